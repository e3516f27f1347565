"""TorchScript archives (`torch.jit.save` of traced or scripted modules) -> the canonical op graph.

The archive's `code/` is walked with `ast` and partially evaluated (see `torchscript_eval`): Python
values fold away and only tensor ops become graph nodes. Nothing from the archive is executed.

Inputs: traced archives carry example input shapes and dtypes (`traced_inputs.pkl`), so
`input_shapes` may be omitted; scripted archives need it. `input_shapes` has one entry per
`forward` argument after `self` (a list, or a dict keyed by argument name):
- a `Tensor` argument takes a shape (list/tuple of ints) and becomes a graph input;
- an `Optional[Tensor]` argument takes a shape or None;
- a `Tuple[Tensor, ...]` / `List[Tensor]` argument takes a list of shapes (graph inputs
  named `arg.0`, `arg.1`, ...); traced example inputs are regrouped the same way;
- any other argument (`sr: int`, `flag: bool`, `sizes: List[int]`) takes its Python value,
  which is folded into the graph as a constant: the graph does not have it as an input.
Arguments left out use their default from the signature. `input_dtypes` gives dtype names
("float32", "int64", ...) in the same layout (a single string applies to every tensor).

Outputs: the returned value flattened depth-first (tuples, lists, dict values in order); a
returned Python number (int64, float64 or bool) or known 0-d tensor becomes a constant output;
None is skipped.
"""

from __future__ import annotations

import ast
from typing import Any

from ..errors import UnsupportedError, WasmTorchError
from ..ir import Graph, Ref, TensorMeta
from . import torchscript_builtins as B
from .torchscript_code import CodeIndex
from .torchscript_eval import Frame, Interpreter, stub_qualname
from .torchscript_values import ScalarTensor, Unknown

Shapes = list[Any] | tuple[Any, ...] | dict[str, Any]
Dtypes = str | list[Any] | tuple[Any, ...] | dict[str, Any]


def convert_torchscript(archive: Any, input_shapes: Shapes | None = None, input_dtypes: Dtypes | None = None,
                        filename: str = "") -> Graph:
    """Convert a TorchScriptArchive (formats.torchscript.read_torchscript) into a graph.

    Raises UnsupportedError listing every unsupported op (with its `code/<file>:<line>`) found in
    one run, or naming the unsupported construct (e.g. an `if` on a tensor's value).
    """
    name = filename or getattr(archive, "filename", "") or "model"
    try:
        return _convert(archive, input_shapes, input_dtypes, name)
    except RecursionError:
        raise UnsupportedError(f"{name}: TorchScript code or module tree nests too deeply to convert") from None


def _convert(archive: Any, input_shapes: Shapes | None, input_dtypes: Dtypes | None, name: str) -> Graph:
    code = CodeIndex(archive.code)
    g = Graph()
    interp = Interpreter(g, code, archive.constants)
    qualname = stub_qualname(archive.module)
    if qualname is None:
        raise WasmTorchError(f"{name}: data.pkl does not hold a TorchScript module object")
    root = interp.wrap_module(archive.module, "")
    cls = code.find_class(qualname)
    if cls is None or "forward" not in cls.methods:
        raise UnsupportedError(f"{name}: {qualname} has no forward method in code/")
    fdef = cls.methods["forward"]
    where = f"code/{cls.file}:{fdef.lineno}"
    args = _bind_inputs(g, interp, cls.file, fdef, archive, input_shapes, input_dtypes, name)
    try:
        result = interp.call_function(cls.file, fdef, [root, *args], {}, where)
    except WasmTorchError as e:
        # After an unsupported op, later errors may only be its consequences: report the ops.
        if interp.problems:
            extra = [p for p in getattr(e, "problems", []) if p not in interp.problems]
            raise UnsupportedError("unsupported ops", interp.problems + extra) from e
        raise
    if interp.problems:
        raise UnsupportedError("unsupported ops", interp.problems)
    outputs: list[Ref] = []
    _flatten(interp, interp.aliases.resolve_all(result, where), outputs, where)
    if not outputs:
        raise WasmTorchError(f"{name}: forward returns no tensors")
    g.outputs = [r.name for r in outputs]
    g.output_names = [f"output_{i}" for i in range(len(outputs))]
    return g


def list_unsupported(archive: Any, input_shapes: Shapes | None = None,
                     input_dtypes: Dtypes | None = None) -> list[tuple[str, str]]:
    """Every unsupported op or construct as (what, "code/<file>:<line>").

    With input shapes (or a traced archive) this runs the conversion, which follows the exact
    path `forward` takes. Without them it scans every call in `code/`, including branches the
    model would never take (e.g. both MultiheadAttention paths), so it may over-report.
    """
    if input_shapes is None and getattr(archive, "traced_inputs", None) is None:
        return _scan_unsupported(CodeIndex(archive.code))
    try:
        convert_torchscript(archive, input_shapes, input_dtypes)
    except UnsupportedError as e:
        if e.problems:
            return e.problems
        raise
    return []


def _scan_unsupported(code: CodeIndex) -> list[tuple[str, str]]:
    from ..ops import registry

    found: list[tuple[str, str]] = []
    for path, tree in code.trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            dotted = _dotted(node.func)
            head, _, op = dotted.rpartition(".")
            if head in ("torch", "ops.aten"):
                known = (op in B.STATIC or op in B.FOLD or op in B.LIST_FOLD or op in B.CONTAINER
                         or registry.find_lowering(op)
                         or (op.endswith("_") and registry.find_lowering(op[:-1])))
                what = op
            elif head == "ops.prim":
                known, what = op in B.PRIM, f"prim::{op}"
            elif head.startswith("ops."):
                known, what = False, f"{head[4:]}::{op}"
            else:
                continue
            if not known and (what, f"code/{path}:{node.lineno}") not in found:
                found.append((what, f"code/{path}:{node.lineno}"))
    return found


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return ""


# -- inputs and outputs -----------------------------------------------------------------------

def _annotation(arg: ast.arg) -> str:
    return ast.unparse(arg.annotation) if arg.annotation is not None else "Any"


def _bind_inputs(g: Graph, interp: Interpreter, file: str, fdef: ast.FunctionDef, archive: Any,
                 input_shapes: Shapes | None, input_dtypes: Dtypes | None, name: str) -> list[Any]:
    params = fdef.args.args[1:]
    names = [p.arg for p in params]
    signature = "forward(" + ", ".join(f"{p.arg}: {_annotation(p)}" for p in params) + ")"
    traced = getattr(archive, "traced_inputs", None)
    if traced is not None:
        # Example inputs are stored flat: regroup them by the signature (tuples of tensors).
        flat_shapes = iter([list(t.shape) for t in traced])
        flat_dtypes = iter([t.dtype for t in traced])
        if input_shapes is None:
            input_shapes = [_regroup(p.annotation, flat_shapes, signature, name) for p in params]
        if input_dtypes is None:
            input_dtypes = [_regroup(p.annotation, flat_dtypes, signature, name) for p in params]
    elif input_shapes is None:
        raise WasmTorchError(
            f"{name}: a scripted model needs input shapes: {signature}; pass input_shapes with a "
            "shape for each Tensor argument and a Python value for each other argument")
    shapes = _by_position(input_shapes, names, "input_shapes", name)
    dts = {p: input_dtypes for p in names} if isinstance(input_dtypes, str) else \
        _by_position(input_dtypes, names, "input_dtypes", name)
    first_default = len(fdef.args.args) - len(fdef.args.defaults)
    values = []
    for i, p in enumerate(params):
        if p.arg in shapes:
            values.append(_make_input(g, p.annotation, shapes[p.arg], dts.get(p.arg), p.arg, name))
        elif i + 1 >= first_default:
            values.append(interp.eval(fdef.args.defaults[i + 1 - first_default], Frame({}, file)))
        else:
            raise WasmTorchError(f"{name}: no input shape or value for argument {p.arg!r} of {signature}")
    return values


def _type_args(ann: ast.expr | None) -> tuple[str, list[ast.expr]]:
    """`Optional[Tuple[Tensor, int]]` -> ("Optional", [Tuple[Tensor, int]]); `Tensor` -> ("Tensor", [])."""
    if isinstance(ann, ast.Subscript) and isinstance(ann.value, ast.Name):
        inner = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else [ann.slice]
        return ann.value.id, list(inner)
    return (ann.id if isinstance(ann, ast.Name) else ""), []


def _regroup(ann: ast.expr | None, flat: Any, signature: str, name: str) -> Any:
    kind, inner = _type_args(ann)
    if kind == "Tensor":
        try:
            return next(flat)
        except StopIteration:
            raise WasmTorchError(f"{name}: traced_inputs.pkl has too few example inputs for "
                                 f"{signature}") from None
    if kind == "Tuple":
        return [_regroup(a, flat, signature, name) for a in inner]
    raise WasmTorchError(f"{name}: cannot match the traced example inputs to {signature}; pass input_shapes")


def _make_input(g: Graph, ann: ast.expr | None, given: Any, dtype: Any, label: str, name: str) -> Any:
    """A graph input per Tensor in the argument's type; other values pass through as constants."""
    kind, inner = _type_args(ann)
    if kind == "Tensor":
        ref = g.add_input(g.new_name(label), _input_meta(given, dtype, label, name))
        g.input_names.append(label)
        return ref
    if kind == "Optional" and given is not None:
        return _make_input(g, inner[0], given, dtype, label, name)
    if kind in ("Tuple", "List") and "Tensor" in ast.unparse(ann):
        if not isinstance(given, (list, tuple)):
            raise WasmTorchError(f"{name}: input {label!r} ({ast.unparse(ann)}) needs a list of shapes")
        types = inner if kind == "Tuple" else inner * len(given)
        if len(types) != len(given):
            raise WasmTorchError(f"{name}: input {label!r} ({ast.unparse(ann)}) needs {len(types)} entries")
        dts = dtype if isinstance(dtype, (list, tuple)) else [dtype] * len(given)
        items = [_make_input(g, t, x, d, f"{label}.{i}", name)
                 for i, (t, x, d) in enumerate(zip(types, given, dts))]
        return tuple(items) if kind == "Tuple" else items
    return given


def _by_position(given: Any, names: list[str], what: str, name: str) -> dict[str, Any]:
    if given is None:
        return {}
    if isinstance(given, dict):
        extra = set(given) - set(names)
        if extra:
            raise WasmTorchError(f"{name}: {what} names unknown forward arguments {sorted(extra)} "
                                 f"(forward takes {names})")
        return dict(given)
    if not isinstance(given, (list, tuple)) or len(given) > len(names):
        raise WasmTorchError(f"{name}: {what} must be a list of at most {len(names)} entries "
                             f"(one per forward argument {names})")
    return dict(zip(names, given))


def _input_meta(shape: Any, dtype: Any, arg: str, name: str) -> TensorMeta:
    if not isinstance(shape, (list, tuple)) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise WasmTorchError(f"{name}: input {arg!r} needs a shape (a list of sizes), got {shape!r}")
    dtype = dtype or "float32"
    from .. import dtypes

    if dtype not in dtypes.DTYPES:
        raise WasmTorchError(f"{name}: input {arg!r}: unknown dtype {dtype!r}")
    return TensorMeta(dtype, tuple(shape))


def _flatten(interp: Interpreter, v: Any, out: list[Ref], src: str) -> None:
    if isinstance(v, Ref):
        out.append(v)
    elif isinstance(v, ScalarTensor):
        out.append(interp.materialise(v))
    elif isinstance(v, (bool, int, float)):
        # TorchScript numbers are int64 and double.
        out.append(interp.materialise(ScalarTensor(v, "bool" if isinstance(v, bool) else
                                                   "int64" if isinstance(v, int) else "float64")))
    elif isinstance(v, (list, tuple)):
        for x in v:
            _flatten(interp, x, out, src)
    elif isinstance(v, dict):
        for x in v.values():
            _flatten(interp, x, out, src)
    elif v is not None and not isinstance(v, Unknown):
        raise UnsupportedError("unsupported TorchScript", [(f"returning {B.describe(v)} from forward", src)])
