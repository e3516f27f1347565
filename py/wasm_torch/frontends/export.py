"""The torch.export frontend: a .pt2 program (formats.md §3.3) -> one canonical ir.Graph.

Handles the default TRAINING IR and core ATen after `run_decompositions()`. Every
`torch.ops.aten.<op>.<overload>` node is bound by schema argument name and lowered through the op
registry. Symbolic sizes fold to ints: dynamic dims take the user's input shapes (or the export
hints), so `sym_size`, `operator.*` on sizes and `as_expr` sizes are plain numbers afterwards.
`torch.cond` is inlined when its predicate is known at conversion time.

Nothing named in the file is ever imported or called: targets are strings matched against
allowlists; anything else is refused.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

from .. import dtypes
from ..errors import FormatError, SecurityError, ShapeError, UnsupportedError, WasmTorchError
from ..formats.pt2 import Pt2Archive, export_dtype
from ..ir import Graph, Node, Ref, TensorMeta
from ..ops import registry
from . import constfold, symexpr
from .export_schema import MAX_DEPTH, check_program
from .inplace import VIEW_OPS, Aliases

ATEN = "torch.ops.aten."
COND = "torch.ops.higher_order.cond"
SET_GRAD = "torch.ops.higher_order.wrap_with_set_grad_enabled"

# Python-level arithmetic on symbolic sizes that export records as graph nodes.
_SYM_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "floordiv": operator.floordiv,
    "mod": operator.mod, "truediv": operator.truediv, "pow": symexpr.bounded_pow, "neg": operator.neg,
    "pos": operator.pos, "abs": operator.abs, "eq": operator.eq, "ne": operator.ne,
    "lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge,
    "and_": operator.and_, "or_": operator.or_, "not_": operator.not_,
}
SYM_TARGETS: dict[str, Callable[..., Any]] = {
    **{f"_operator.{k}": f for k, f in _SYM_FUNCTIONS.items()},
    **{f"operator.{k}": f for k, f in _SYM_FUNCTIONS.items()},
    "torch.sym_not": operator.not_, "torch.sym_max": max, "torch.sym_min": min,
    "torch.sym_float": float, "torch.sym_int": int, "torch.sym_ite": lambda c, a, b: a if c else b,
    "torch.sym_sum": lambda xs: sum(xs), "torch._sym_sqrt": math.sqrt,
    "math.ceil": math.ceil, "math.floor": math.floor, "math.trunc": math.trunc,
}
# aten ops on sizes, folded here from the (static) shapes the graph infers.
_SIZE_OPS = {"sym_size.int", "sym_numel.default", "sym_stride.int", "sym_storage_offset.default",
             "_assert_scalar.default", "sym_constrain_range.default",
             "sym_constrain_range_for_size.default"}

_MEMORY_FORMATS = {0: None, 1: "contiguous_format", 2: "channels_last", 3: "channels_last_3d",
                   4: "preserve_format"}
_LAYOUTS = {0: None, 1: "sparse_coo", 2: "sparse_csr", 3: "sparse_csc", 4: "sparse_bsr",
            5: "sparse_bsc", 6: "_mkldnn", 7: "strided"}


def convert_pt2(archive: Pt2Archive, input_shapes: Any = None, input_dtypes: Any = None,
                filename: str = "", debug: bool = False, notes: list[str] | None = None) -> Graph:
    """Convert a read .pt2 archive to a Graph.

    `input_shapes`/`input_dtypes`: one entry per user input, as a list in input order or a dict by
    input name (None entries keep the exported value). They set dynamic dims; static dims and
    dtypes must match the export. `notes` collects non-fatal remarks (ignored buffer mutations...).
    Raises UnsupportedError listing every unsupported node at once.
    """
    filename = filename or archive.filename or "model.pt2"
    check_program(archive.program, filename)
    conv = _Converter(archive, filename, debug)
    g = conv.run(input_shapes, input_dtypes)
    if notes is not None:
        notes.extend(conv.notes)
    return g


class _Poisoned(Exception):
    """A node reads a value that an unsupported node should have produced: skip it quietly."""


_POISON = object()


class _Scope:
    """One graph's value table: the top-level program or an inlined cond branch."""

    def __init__(self, graph: dict[str, Any], module: str):
        self.graph = graph
        self.env: dict[str, Any] = {}
        self.tensor_values: dict[str, Any] = graph.get("tensor_values") or {}
        self.sym_values = {**(graph.get("sym_int_values") or {}), **(graph.get("sym_bool_values") or {}),
                           **(graph.get("sym_float_values") or {})}
        self.module = module  # module path shown for nodes without an nn_module_stack
        # For in-place ops of the TRAINING IR: which values share memory, and when each value is
        # last read (index of the node, or len(nodes) for graph outputs).
        last_use: dict[str, int] = {}
        nodes = graph["nodes"]
        for i, node in enumerate(nodes):
            for inp in node["inputs"]:
                for name in _tensor_names(inp["arg"]):
                    last_use[name] = i
        for out in graph["outputs"]:
            for name in _tensor_names(out):
                last_use[name] = len(nodes)
        self.aliases = Aliases(last_use)
        self.index = 0


class _Converter:
    def __init__(self, archive: Pt2Archive, filename: str, debug: bool):
        self.archive = archive
        self.filename = filename
        self.debug = debug
        self.g = Graph()
        self.syms: dict[str, int] = {}
        self.problems: list[tuple[str, str]] = []
        self.notes: list[str] = []
        self.producers: dict[str, Node] = {}
        # Values standing in for outputs of nodes that could not be converted.
        self.stand_ins: set[str] = set()
        # Placeholder name -> state_dict name, for parameters, buffers and constants.
        self.state_names: dict[str, str] = {}

    # -- top level -----------------------------------------------------------------------------

    def run(self, input_shapes: Any, input_dtypes: Any) -> Graph:
        program = self.archive.program  # structure checked by export_schema.check_program
        gm = program["graph_module"]
        sig = gm["signature"]
        scope = _Scope(gm["graph"], "")
        self._bind_placeholders(scope, sig, program.get("range_constraints") or {},
                                input_shapes, input_dtypes)
        self._convert_nodes(scope, 0)
        self._bind_outputs(scope, sig)
        if self.problems:
            raise UnsupportedError(f"{self.filename}: unsupported parts of the program", self.problems)
        return self.g

    def _bind_placeholders(self, scope: _Scope, sig: dict[str, Any], ranges: dict[str, Any],
                           shapes: Any, dtypes_: Any) -> None:
        user: list[tuple[str, dict[str, Any]]] = []
        for spec in sig["input_specs"]:
            kind, body = _union(spec)
            if kind in ("parameter", "buffer", "tensor_constant"):
                name = _tensor_name(body.get("arg"))
                fqn = body.get(f"{kind}_name")
                data = self._state(kind, fqn, body)
                self.state_names[name] = fqn
                scope.env[name] = self.g.add_constant(self.g.new_name(name), data, param_name=fqn)
            elif kind == "user_input":
                akind, arg = _union(body.get("arg"))
                if akind == "as_tensor":
                    name = _tensor_name(body.get("arg"))
                    user.append((name, self._tensor_meta_json(scope, name)))
                elif akind in ("as_none", "as_int", "as_float", "as_bool", "as_string"):
                    continue  # a Python constant input: export already folded it into the graph
                else:
                    raise UnsupportedError(f"{self.filename}: a non-tensor model input ({akind})")
            elif kind == "constant_input":
                _, value = _union(body.get("value"))
                scope.env[str(body.get("name"))] = value
            else:
                raise UnsupportedError(f"{self.filename}: model inputs of kind {kind!r} (custom objects, "
                                       f"effect tokens) are not supported")
        metas = self._resolve_inputs(user, ranges, shapes, dtypes_)
        for (name, _), meta in zip(user, metas):
            scope.env[name] = self.g.add_input(name, meta)
            self.g.input_names.append(name)

    def _state(self, kind: str, fqn: Any, body: dict[str, Any]) -> Any:
        a = self.archive
        first, second = (a.weights, a.constants)
        if kind == "tensor_constant" or (kind == "buffer" and body.get("persistent") is False):
            first, second = second, first
        for table in (first, second):
            if fqn in table:
                return table[fqn]
        raise FormatError(f"{self.filename}: the program uses {kind} {fqn!r}, which the archive "
                          f"does not hold")

    def _tensor_meta_json(self, scope: _Scope, name: str) -> dict[str, Any]:
        meta = scope.tensor_values.get(name)
        if meta is None:
            raise FormatError(f"{self.filename}: no tensor_values entry for input {name!r}")
        return meta

    def _bind_outputs(self, scope: _Scope, sig: dict[str, Any]) -> None:
        for spec in sig["output_specs"]:
            kind, body = _union(spec)
            if kind.endswith("_mutation"):
                what = body.get("buffer_name") or body.get("parameter_name") or body.get("user_input_name")
                self.notes.append(f"the program updates {kind.removesuffix('_mutation').replace('_', ' ')} "
                                  f"{what!r}; the update is not kept between calls")
                continue
            if kind not in ("user_output", "loss_output"):
                self.notes.append(f"a {kind.replace('_', ' ')} output was dropped (training only)")
                continue
            akind, arg = _union(body.get("arg"))
            if akind == "as_none":
                self.notes.append("a None output was dropped")
                continue
            if akind != "as_tensor":
                raise UnsupportedError(f"{self.filename}: a non-tensor model output ({akind})")
            value = scope.env.get(_tensor_name(body["arg"]), _POISON)
            if value is _POISON:
                if self.problems:
                    continue  # produced by an unsupported node, already reported
                raise FormatError(f"{self.filename}: output {arg.get('name')!r} is never computed")
            if not isinstance(value, Ref):
                raise UnsupportedError(f"{self.filename}: model output {arg.get('name')!r} is a Python "
                                       f"value, not a tensor")
            self.g.outputs.append(value.name)
            self.g.output_names.append(f"output_{len(self.g.output_names)}")

    # -- dynamic shapes ------------------------------------------------------------------------

    def _resolve_inputs(self, user: list[tuple[str, dict[str, Any]]], ranges: dict[str, Any],
                        shapes: Any, dtypes_: Any) -> list[TensorMeta]:
        names = [n for n, _ in user]
        given_shapes = _per_input(shapes, names, "input_shapes", self.filename)
        given_dtypes = _per_input(dtypes_, names, "input_dtypes", self.filename)
        # (is_hint, is_derived, input, dim, expr, value): user-given sizes first, bare symbols first.
        dims: list[tuple[bool, bool, str, int, str, int | None]] = []
        static: list[list[Any]] = []
        for (name, meta), given in zip(user, given_shapes):
            sizes = meta["sizes"]
            if given is not None and len(given) != len(sizes):
                raise ShapeError(f"{self.filename}: input {name!r} has {len(sizes)} dims, "
                                 f"input_shapes gives {list(given)}")
            row: list[Any] = []
            for d, size in enumerate(sizes):
                kind, body = _union(size)
                want = None if given is None else _int(given[d], f"input_shapes for {name!r}")
                if kind == "as_int":
                    body = _int(body, f"{self.filename}: input {name!r} size")
                    if want is not None and want != body:
                        raise ShapeError(f"{self.filename}: input {name!r} dim {d} is {body} in the exported "
                                         f"program (static), input_shapes gives {want}")
                    row.append(body)
                    continue
                expr = body["expr_str"]
                hint = (body.get("hint") or {}).get("as_int")
                bare = _is_bare_symbol(expr)
                if want is not None:
                    dims.append((False, not bare, name, d, expr, want))
                if hint is not None:
                    dims.append((True, not bare, name, d, expr, hint))
                row.append(expr)
            static.append(row)
        self._solve_symbols(sorted(dims, key=lambda t: (t[0], t[1])))
        self._check_ranges(ranges)
        metas = []
        for (name, meta), row, want_dtype in zip(user, static, given_dtypes):
            shape = tuple(v if isinstance(v, int) else self._eval_size(v, f"input {name!r}") for v in row)
            dtype = export_dtype(meta.get("dtype"), f"{self.filename}: input {name!r}")
            if want_dtype is not None and _dtype_name(want_dtype) != dtype:
                raise ShapeError(f"{self.filename}: input {name!r} was exported as {dtype}, "
                                 f"input_dtypes gives {want_dtype}")
            metas.append(TensorMeta(dtype, shape))
        return metas

    def _solve_symbols(self, dims: list[tuple[bool, bool, str, int, str, int | None]]) -> None:
        pending = list(dims)
        while pending:
            progress, left = False, []
            for item in pending:
                is_hint, _, name, d, expr, value = item
                unknown = symexpr.symbols(expr) - self.syms.keys()
                if len(unknown) > 1:
                    left.append(item)
                    continue
                if unknown:
                    sym = unknown.pop()
                    self.syms[sym] = self._solve(expr, sym, value, name, d)
                    progress = True
                elif not is_hint and symexpr.evaluate(expr, self.syms) != value:
                    raise ShapeError(
                        f"{self.filename}: input {name!r} dim {d} must be {symexpr.pretty(expr)} = "
                        f"{symexpr.evaluate(expr, self.syms)} given the other input sizes, "
                        f"input_shapes gives {value}")
            if not progress:
                break
            pending = left

    def _solve(self, expr: str, sym: str, value: int, name: str, d: int) -> int:
        """The value of `sym` that makes `expr` equal `value` (sizes grow with their symbols).
        Ranges are checked afterwards, with a clearer message."""
        if _is_bare_symbol(expr):
            return value
        lo, hi = 0, 2**62
        env = dict(self.syms)
        while lo < hi:
            mid = (lo + hi) // 2
            env[sym] = mid
            if symexpr.evaluate(expr, env) < value:
                lo = mid + 1
            else:
                hi = mid
        env[sym] = lo
        if symexpr.evaluate(expr, env) != value:
            raise ShapeError(f"{self.filename}: input {name!r} dim {d} is {value}, which is not a "
                             f"valid value of {symexpr.pretty(expr)}")
        return lo

    def _check_ranges(self, ranges: dict[str, Any]) -> None:
        for key, bounds in ranges.items():
            try:
                v = symexpr.evaluate(key, self.syms)
            except symexpr.Unresolved:
                continue  # a symbol no input carries (unbacked): checked when it is used
            lo, hi = _range(bounds)
            if not lo <= v <= hi:
                shown = f"[{lo}, {hi}]" if hi < 2**63 else f"[{lo}, inf)"
                raise ShapeError(f"{self.filename}: dynamic size {key} = {v} is outside the range "
                                 f"{shown} the program was exported for")

    def _eval_size(self, expr: str, what: str) -> int:
        try:
            v = symexpr.evaluate(expr, self.syms)
        except symexpr.Unresolved as e:
            raise ShapeError(f"{self.filename}: {what} has a size {symexpr.pretty(expr)} whose symbol "
                             f"{e.symbol} is unknown; give input_shapes") from None
        return _int(v, what)

    # -- nodes ---------------------------------------------------------------------------------

    def _convert_nodes(self, scope: _Scope, depth: int) -> None:
        for i, node in enumerate(scope.graph["nodes"]):
            scope.index = i
            src = self._source(node, scope)
            try:
                self._convert_node(scope, node, src, depth)
            except _Poisoned:
                self._poison_outputs(scope, node)
                self._check_known(node, src, depth)
            except UnsupportedError as e:
                self.problems.extend(e.problems or [(str(e), "" if src in str(e) else src)])
                self._poison_outputs(scope, node)
                self._check_subgraphs(node, src, depth)

    def _convert_node(self, scope: _Scope, node: dict[str, Any], src: str, depth: int) -> None:
        target = node["target"]
        if target.startswith(ATEN):
            name, _, overload = target[len(ATEN):].partition(".")
            if not name or not overload or "." in overload:
                raise FormatError(f"{src}: malformed target {target!r}")
            if f"{name}.{overload}" in _SIZE_OPS:
                self._size_op(scope, node, f"{name}.{overload}", src)
            else:
                self._aten(scope, node, name, overload, src)
        elif target in SYM_TARGETS:
            args = [self._decode(scope, i["arg"], src) for i in node["inputs"]]
            try:
                value = symexpr.check_size(SYM_TARGETS[target](*args))
            except (ArithmeticError, TypeError, ValueError, FormatError) as e:
                raise ShapeError(f"{src}: {target} on sizes {args} failed: {e}") from None
            self._bind(scope, node, [value], src)
        elif target == "_operator.getitem":
            seq, index = (self._decode(scope, i["arg"], src) for i in node["inputs"][:2])
            if not isinstance(seq, list) or not isinstance(index, int) or not -len(seq) <= index < len(seq):
                raise FormatError(f"{src}: getitem {index!r} of a {type(seq).__name__}")
            self._bind(scope, node, [seq[index]], src)
        elif target in (COND, SET_GRAD):
            if depth >= MAX_DEPTH:
                raise FormatError(f"{src}: subgraphs nested more than {MAX_DEPTH} deep")
            self._control(scope, node, target, src, depth)
        elif target.startswith("torch.ops."):
            raise UnsupportedError("unsupported op", [(target[len("torch.ops."):], src)])
        else:
            raise SecurityError(f"{src}: target {target!r} is not a torch operator; refusing the program")

    def _aten(self, scope: _Scope, node: dict[str, Any], name: str, overload: str, src: str) -> None:
        positional, keywords = [], {}
        for inp in node["inputs"]:
            value = self._decode(scope, inp.get("arg"), src)
            if inp.get("name"):
                keywords[inp["name"]] = value
            else:
                positional.append(value)
        # The TRAINING IR keeps in-place ops (relu_, add_): lower them as their functional form
        # and let the mutated name refer to the result.
        inplace = name.endswith("_") and not name.endswith("__")
        op = name if registry.find_lowering(name) or not inplace else name[:-1]
        if not (registry.find_lowering(op, overload) or registry.find_lowering(op)):
            raise UnsupportedError("unsupported op", [(f"aten.{name}.{overload}", src)])
        start = len(self.g.nodes)
        try:
            refs = registry.lower_call(self.g, op, positional, keywords, src, overload)
        except WasmTorchError as e:
            if type(e) is not WasmTorchError:  # shape, format or security problems stop here
                raise
            # The op is known but these arguments bind to none of its schemas: a variant we lack.
            problem = f"aten.{name}.{overload} ({str(e).replace(f' at {src}', '')})"
            raise UnsupportedError("unsupported op variant", [(problem, src)]) from None
        target = keywords.get("self")
        if inplace and refs and isinstance(refs[0], Ref) and isinstance(target, Ref) \
                and self.g.meta(refs[0]).dtype != self.g.meta(target).dtype:
            # an in-place op keeps its tensor's dtype (half.add_(float) stays half)
            refs[0] = registry.lower_call(self.g, "_to_copy", [refs[0]], {"dtype": self.g.meta(target).dtype},
                                          src)[0]
        for n in self.g.nodes[start:]:
            for out in n.outputs:
                self.producers[out] = n
        self._bind(scope, node, refs, src)
        base = _self_name(node)
        if base is None or not (inplace or name in VIEW_OPS):
            return
        outs = [n for out in node["outputs"] for n in _tensor_names(out)]
        if inplace:
            if refs and isinstance(refs[0], Ref):
                scope.aliases.write(self.g, scope.env, base, refs[0], scope.index,
                                    f"aten.{name}.{overload}", src)
            if base in self.state_names:
                self.notes.append(f"{src} updates {self.state_names[base]!r}; the update is not kept "
                                  f"between calls")
            for out in outs:
                scope.aliases.record(out, base, "alias", "default", {})
        else:
            for out in outs:
                scope.aliases.record(out, base, name, overload, keywords if len(outs) == 1 else {})

    def _size_op(self, scope: _Scope, node: dict[str, Any], op: str, src: str) -> None:
        a = {i["name"]: self._decode(scope, i["arg"], src) for i in node["inputs"]}
        if op == "_assert_scalar.default":
            if not a.get("self"):
                raise ShapeError(f"{src}: runtime assertion failed: {a.get('assert_msg') or 'a size check'}")
            return
        if op.startswith("sym_constrain_range"):
            return  # bounds on unbacked sizes; any such size is refused where it is used
        meta = self._meta(a.get("self"), src)
        if op == "sym_size.int":
            value = meta.shape[_dim(a.get("dim"), len(meta.shape), src)]
        elif op == "sym_numel.default":
            value = meta.numel
        elif op == "sym_stride.int":
            dim = _dim(a.get("dim"), len(meta.shape), src)
            value = math.prod(meta.shape[dim + 1:])  # graph values are contiguous
        else:
            value = 0
        self._bind(scope, node, [value], src)

    def _control(self, scope: _Scope, node: dict[str, Any], target: str, src: str, depth: int) -> None:
        args = [i["arg"] for i in node["inputs"]]
        if len(args) < 3:
            raise FormatError(f"{src}: {target} with {len(args)} arguments")
        if target == COND:
            pred = self._decode(scope, args[0], src)
            chosen = self._constant_predicate(pred)
            if chosen is None and self._reaches_stand_in(pred):
                raise _Poisoned  # the predicate's own producer is the problem, already reported
            if chosen is None:
                raise UnsupportedError("torch.cond with a data-dependent predicate (only predicates "
                                       "computable from constants and shapes can be inlined)",
                                       [("torch.cond with a data-dependent predicate", src)])
            branch = args[1] if chosen else args[2]
            operands = self._decode(scope, args[3], src) if len(args) > 3 else []
        else:
            branch = args[1]
            operands = [self._decode(scope, a, src) for a in args[2:]]
        kind, body = _union(branch)
        if kind != "as_graph":
            raise FormatError(f"{src}: expected a subgraph, found {kind}")
        module = _module_label((node.get("metadata") or {}).get("nn_module_stack")) or scope.module
        outputs = self._inline(body, operands, module, src, depth)
        self._bind(scope, node, outputs, src)

    def _constant_predicate(self, pred: Any) -> bool | None:
        if isinstance(pred, (bool, int, float)):
            return bool(pred)
        if isinstance(pred, Ref):
            value = constfold.fold(self.g, self.producers, pred)
            if value is not None and len(value) == 1:
                return bool(value[0])
        return None

    def _reaches_stand_in(self, value: Any) -> bool:
        todo, seen = [value], set()
        while todo:
            v = todo.pop()
            if not isinstance(v, Ref) or v.name in seen:
                continue
            seen.add(v.name)
            if v.name in self.stand_ins:
                return True
            node = self.producers.get(v.name)
            if node is not None:
                todo.extend(node.input_refs())
        return False

    def _inline(self, arg: dict[str, Any], operands: Any, module: str, src: str, depth: int) -> list[Any]:
        graph = arg["graph"]
        sub = _Scope(graph, module)
        inputs = graph["inputs"]
        operands = operands if isinstance(operands, list) else [operands]
        if len(inputs) != len(operands):
            raise FormatError(f"{src}: subgraph {arg.get('name')!r} takes {len(inputs)} inputs, "
                              f"{len(operands)} given")
        for inp, value in zip(inputs, operands):
            for name in _output_names(inp):
                sub.env[name] = value
        self._convert_nodes(sub, depth + 1)
        return [self._decode(sub, out, src) for out in graph["outputs"]]

    # -- arguments and outputs -----------------------------------------------------------------

    def _decode(self, scope: _Scope, arg: Any, src: str) -> Any:
        kind, v = _union(arg)
        if kind == "as_none":
            return None
        if kind == "as_tensor":
            return self._value(scope, v["name"], src)
        if kind == "as_tensors":
            return [self._value(scope, t["name"], src) for t in v]
        if kind == "as_optional_tensor":
            return self._decode_optional(scope, v, src)
        if kind == "as_optional_tensors":
            return [self._decode_optional(scope, t, src) for t in v]
        if kind in ("as_int", "as_float", "as_bool", "as_string"):
            return _scalar(kind, v)
        if kind in ("as_ints", "as_floats", "as_bools", "as_strings"):
            return [_scalar(kind[:-1], x) for x in v]
        if kind in ("as_int_lists", "as_float_lists"):
            return [[_scalar(kind[:-6], x) for x in row] for row in v]
        if kind in ("as_sym_int", "as_sym_bool", "as_sym_float"):
            return self._decode_sym(scope, v, src)
        if kind in ("as_sym_ints", "as_sym_bools", "as_sym_floats"):
            return [self._decode_sym(scope, x, src) for x in v]
        if kind == "as_scalar_type":
            return export_dtype(v, src)
        if kind == "as_memory_format":
            return _enum(_MEMORY_FORMATS, v, src, "memory format")
        if kind == "as_layout":
            return _enum(_LAYOUTS, v, src, "layout")
        if kind == "as_device":
            return v["type"] + (f":{v['index']}" if v.get("index") is not None else "")
        if kind == "as_complex":
            return complex(_scalar("as_float", v["real"]), _scalar("as_float", v["imag"]))
        if kind in ("as_graph", "as_custom_obj", "as_operator", "as_nested_tensors", "as_string_to_argument"):
            raise UnsupportedError(f"{src}: an argument of kind {kind} is not supported")
        raise FormatError(f"{src}: unknown argument kind {kind!r}")

    def _decode_optional(self, scope: _Scope, v: Any, src: str) -> Any:
        kind, body = _union(v)
        return None if kind == "as_none" else self._value(scope, body["name"], src)

    def _decode_sym(self, scope: _Scope, v: Any, src: str) -> Any:
        kind, body = _union(v)
        if kind != "as_name":
            return _scalar(kind, body)
        if body in scope.env:
            return self._value(scope, body, src)
        if body in scope.sym_values:  # a size whose producer was skipped: torch recorded its formula
            try:
                return self._sym_value(scope.sym_values[body])
            except symexpr.Unresolved:
                pass
        raise UnsupportedError(f"{src}: size {body!r} depends on tensor data (data-dependent shapes "
                               f"are not supported)")

    def _value(self, scope: _Scope, name: str, src: str) -> Any:
        if name not in scope.env:
            raise FormatError(f"{src}: uses {name!r} before it is defined")
        value = scope.env[name]
        if value is _POISON:
            raise _Poisoned
        return value

    def _meta(self, v: Any, src: str) -> TensorMeta:
        if not isinstance(v, Ref):
            raise FormatError(f"{src}: expected a tensor argument")
        return self.g.meta(v)

    def _bind(self, scope: _Scope, node: dict[str, Any], values: list[Any], src: str) -> None:
        """Name the node's outputs after what the lowering returned, checking torch's recorded metas."""
        outs = node["outputs"]
        is_list = len(outs) == 1 and "as_tensors" in outs[0]
        if is_list:  # one Tensor[] result (split_with_sizes)
            names: list[str | None] = list(_output_names(outs[0]))
            values = values[0] if len(values) == 1 and isinstance(values[0], list) else values
        else:  # one entry per result of a tuple (None where the result is not named)
            names = [(_output_names(out) or [None])[0] for out in outs]
        if len(values) < len(names) or (is_list and len(values) > len(names)):
            raise WasmTorchError(f"{src}: the lowering returned {len(values)} results, the program "
                                 f"has {len(names)}")
        for name, value in zip(names, values):
            if name is None:
                continue
            self._check_meta(scope, name, value, src)
            scope.env[name] = value

    def _check_meta(self, scope: _Scope, name: str, value: Any, src: str) -> None:
        """Compare our inferred dtype/shape with the one torch recorded (catches lowering bugs)."""
        if not isinstance(value, Ref):
            return
        expected = self._recorded_meta(scope, name)
        if expected is None:
            return
        got = self.g.meta(value)
        if got.dtype != expected.dtype or tuple(got.shape) != expected.shape:
            raise ShapeError(f"{src}: inferred {got!r} for {name!r}, the exported program "
                             f"records {expected!r}")

    def _recorded_meta(self, scope: _Scope, name: str) -> TensorMeta | None:
        """The dtype and shape torch recorded for a value; None when unknown (unbacked sizes)."""
        meta = scope.tensor_values.get(name)
        if meta is None or meta["dtype"] not in dtypes.EXPORT:
            return None
        try:
            shape = tuple(self._sym_value(size) for size in meta["sizes"])
        except symexpr.Unresolved:
            return None
        return TensorMeta(dtypes.EXPORT[meta["dtype"]], shape)

    def _sym_value(self, v: dict[str, Any]) -> Any:
        """The value of a recorded SymInt/SymBool/SymFloat (`as_int`... or an `as_expr` formula)."""
        kind, body = _union(v)
        return symexpr.evaluate(body["expr_str"], self.syms) if kind == "as_expr" else body

    def _poison_outputs(self, scope: _Scope, node: dict[str, Any]) -> None:
        """Outputs of a node we could not convert: keep going with torch's recorded metas, so that
        later nodes are still checked and every problem is reported in one pass."""
        for out in node["outputs"]:
            for name in _output_names(out):
                meta = self._recorded_meta(scope, name)  # None for sizes: they stay unknown
                if meta is None:
                    scope.env[name] = _POISON
                else:
                    ref = Ref(self.g.new_name(name))
                    self.g.values[ref.name] = meta
                    self.stand_ins.add(ref.name)
                    scope.env[name] = ref

    def _check_known(self, node: dict[str, Any], src: str, depth: int) -> None:
        """A node that was skipped (its input is missing, or it was not converted): still report
        it, and the nodes of its subgraphs, when unsupported, so one pass lists every problem."""
        target = node["target"]
        if target.startswith(ATEN):
            name, _, overload = target[len(ATEN):].partition(".")
            if not (f"{name}.{overload}" in _SIZE_OPS or registry.find_lowering(name, overload)
                    or registry.find_lowering(name)):
                self.problems.append((target[len("torch.ops."):], src))
        elif target.startswith("torch.ops.") and target not in (COND, SET_GRAD):
            self.problems.append((target[len("torch.ops."):], src))
        elif not target.startswith("torch.ops.") and target not in SYM_TARGETS \
                and target != "_operator.getitem":
            raise SecurityError(f"{src}: target {target!r} is not a torch operator; refusing the program")
        self._check_subgraphs(node, src, depth)

    def _check_subgraphs(self, node: dict[str, Any], src: str, depth: int) -> None:
        if depth >= MAX_DEPTH:
            raise FormatError(f"{src}: subgraphs nested more than {MAX_DEPTH} deep")
        for inp in node["inputs"]:
            body = inp["arg"].get("as_graph")
            for sub in body["graph"]["nodes"] if body else []:
                sub_src = f"node {sub.get('name') or '?'} in {body['name']} of {src}"
                self._check_known(sub, sub_src, depth + 1)

    def _source(self, node: dict[str, Any], scope: _Scope) -> str:
        name = node.get("name") or "?"
        meta = node.get("metadata") or {}
        module = _module_label(meta.get("nn_module_stack")) or scope.module
        src = f"node {name} ({module})" if module else f"node {name}"
        if self.debug and meta.get("stack_trace"):
            src += f" [{meta['stack_trace'].strip().splitlines()[0]}]"
        return src


# -- small decoding helpers -------------------------------------------------------------------


def _module_label(stack: Any) -> str:
    """'layers.0.conv1: Conv2d' from the innermost entry of a serialized nn_module_stack."""
    if not isinstance(stack, str) or not stack:
        return ""
    entry = stack.split(";")[-1]
    parts = _split_top(entry)
    if len(parts) != 3 or parts[0].startswith("_empty_nn_module_stack"):
        return ""
    _, path, cls = parts
    cls = cls.rsplit(".", 1)[-1]
    return f"{path}: {cls}" if path else cls


def _split_top(text: str) -> list[str]:
    """Split on commas outside brackets (module paths can read L['self'].layers[0])."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "[(":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return out


def _tensor_names(arg: Any) -> list[str]:
    """Names of the tensors an argument reads (without decoding it)."""
    if not isinstance(arg, dict):
        return []
    out = []
    for kind, v in arg.items():
        items = v if isinstance(v, list) else [v]
        for item in items:
            if kind in ("as_optional_tensor", "as_optional_tensors") and isinstance(item, dict):
                item = item.get("as_tensor")
            if kind in ("as_tensor", "as_tensors", "as_optional_tensor", "as_optional_tensors") \
                    and isinstance(item, dict) and isinstance(item.get("name"), str):
                out.append(item["name"])
    return out


def _self_name(node: dict[str, Any]) -> str | None:
    for inp in node["inputs"]:
        if inp["name"] in ("self", "input"):
            names = _tensor_names(inp["arg"])
            return names[0] if len(names) == 1 else None
    return None


def _output_names(out: dict[str, Any]) -> list[str]:
    """Names an output (or subgraph input) defines: tensors, and sizes given by name."""
    kind, v = _union(out)
    if kind == "as_tensor":
        return [v["name"]]
    if kind == "as_tensors":
        return [t["name"] for t in v]
    if kind in ("as_sym_int", "as_sym_bool", "as_sym_float") and "as_name" in v:
        return [v["as_name"]]
    return []


def _union(v: dict[str, Any]) -> tuple[str, Any]:
    """The one (kind, value) pair of a serialized union (`{"as_int": 3}`), already checked."""
    return next(iter(v.items()))


def _tensor_name(arg: dict[str, Any]) -> str:
    """The name in `{"name": ...}` or `{"as_tensor": {"name": ...}}`."""
    return arg["as_tensor"]["name"] if "as_tensor" in arg else arg["name"]


def _scalar(kind: str, v: Any) -> Any:
    if kind == "as_float":
        # torch writes non-finite floats as the strings Infinity, -Infinity and NaN
        return float(v.lower().replace("infinity", "inf")) if isinstance(v, str) else float(v)
    return v


def _enum(table: dict[int, str | None], v: Any, where: str, what: str) -> str | None:
    if v not in table:
        raise FormatError(f"{where}: unknown {what} code {v!r}")
    return table[v]


def _int(v: Any, what: str) -> int:
    """An int from a JSON value or a user-given size (numpy integers included)."""
    try:
        if isinstance(v, (bool, float, str)):
            raise TypeError
        return operator.index(v)
    except TypeError:
        raise ShapeError(f"{what}: size {v!r} is not an integer") from None


def _dtype_name(v: Any) -> str:
    """'float32' from 'float32', 'torch.float32', numpy's dtype('float32') or 'float'."""
    name = str(v).removeprefix("torch.")
    return dtypes.TORCH_ATTR.get(name, name)


def _dim(v: Any, ndim: int, src: str) -> int:
    if not isinstance(v, int) or not -max(ndim, 1) <= v < max(ndim, 1):
        raise ShapeError(f"{src}: dim {v!r} out of range for a {ndim}-d tensor")
    return v % max(ndim, 1)


def _range(bounds: dict[str, Any] | None) -> tuple[int, int]:
    bounds = bounds or {}
    lo, hi = bounds.get("min_val"), bounds.get("max_val")
    return (0 if lo is None else lo), (2**63 if hi is None else hi)


def _is_bare_symbol(expr: Any) -> bool:
    return isinstance(expr, str) and len(symexpr.symbols(expr)) == 1 and (
        expr.startswith("Symbol(") or expr.isidentifier())


def _per_input(given: Any, names: list[str], what: str, filename: str) -> list[Any]:
    if given is None:
        return [None] * len(names)
    if isinstance(given, dict):
        unknown = set(given) - set(names)
        if unknown:
            raise ShapeError(f"{filename}: {what} names unknown inputs {sorted(unknown)} (inputs: {names})")
        return [given.get(n) for n in names]
    given = list(given)
    if len(given) != len(names):
        raise ShapeError(f"{filename}: {what} has {len(given)} entries, the model takes {len(names)} "
                         f"inputs {names}")
    return given
