"""What TorchScript's builtins mean at conversion time.

`torch.<op>` calls either fold in Python (arithmetic and comparisons on Python values and
known 0-d tensors, list/str/dict helpers, questions about static shapes and dtypes) or lower
onto canonical graph ops through the registry. `ops.prim.<op>` and bare builtins (`int`,
`range`, ...) always fold. Nothing here runs code from the archive.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import dtypes
from ..errors import UnsupportedError, WasmTorchError
from ..formats.tensor import TensorData
from ..ir import Ref, TensorMeta
from ..ops import registry
from .torchscript_alias import COPY_OPS
from .torchscript_values import UNKNOWN, ScalarTensor, Unknown, has_unknown, unsupported

if TYPE_CHECKING:
    from .torchscript_eval import Interpreter

Args = list[Any]
Kwargs = dict[str, Any]


# -- arithmetic and comparisons that fold on Python values and known 0-d tensors -------------

def _trunc_div(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):
        q = abs(a) // abs(b)
        return q if (a >= 0) == (b >= 0) else -q
    return float(math.trunc(a / b))


def _div(a: Any, b: Any, rounding_mode: str | None = None) -> Any:
    if rounding_mode is None:
        return a / b
    if rounding_mode == "trunc":
        return _trunc_div(a, b)
    if rounding_mode == "floor":
        return a // b
    raise WasmTorchError(f"div: unknown rounding_mode {rounding_mode!r}")


def _pow(a: Any, b: Any) -> Any:
    # aten::pow.int returns a float, like every TorchScript pow on Python numbers.
    return float(a) ** b


def _round_int(fn: Callable[[float], float]) -> Callable[[Any], Any]:
    # math.floor/ceil on a TorchScript float give an int (aten::floor.float -> int).
    return lambda a: int(fn(a))


# name -> (function of Python values, result is bool)
FOLD: dict[str, tuple[Callable[..., Any], bool]] = {
    "add": (lambda a, b, alpha=1: a + b * alpha if alpha != 1 else a + b, False),
    "sub": (lambda a, b, alpha=1: a - b * alpha if alpha != 1 else a - b, False),
    "rsub": (lambda a, b, alpha=1: b - a * alpha, False),
    "mul": (lambda a, b: a * b, False),
    "div": (_div, False),
    "true_divide": (lambda a, b: a / b, False),
    "floordiv": (lambda a, b: a // b, False),
    "floor_divide": (lambda a, b: a // b, False),
    "remainder": (lambda a, b: a % b, False),
    "fmod": (math.fmod, False),
    "pow": (_pow, False),
    "neg": (lambda a: -a, False),
    "abs": (abs, False),
    "sqrt": (math.sqrt, False),
    "exp": (math.exp, False),
    "log": (math.log, False),
    "floor": (_round_int(math.floor), False),
    "ceil": (_round_int(math.ceil), False),
    "eq": (lambda a, b: a == b, True),
    "ne": (lambda a, b: a != b, True),
    "lt": (lambda a, b: a < b, True),
    "le": (lambda a, b: a <= b, True),
    "gt": (lambda a, b: a > b, True),
    "ge": (lambda a, b: a >= b, True),
    "__and__": (lambda a, b: a & b, False),
    "__or__": (lambda a, b: a | b, False),
    "__xor__": (lambda a, b: a ^ b, False),
}
_FLOAT_RESULT = frozenset({"div", "true_divide", "sqrt", "exp", "log"})
# Folded only when the first argument is a Python list (on tensors they are reductions).
LIST_FOLD: dict[str, Callable[..., Any]] = {
    "any": lambda xs: any(xs),
    "all": lambda xs: all(xs),
    "sum": lambda xs: sum(xs),
    "max": lambda xs: max(xs),
    "min": lambda xs: min(xs),
    "sort": lambda xs, reverse=False: xs.sort(reverse=reverse),
    "reverse": lambda xs: xs.reverse(),
    "count": lambda xs, v: xs.count(v),
    "index": lambda xs, v: xs.index(v),
}


def _fold(ctx: Interpreter, name: str, args: Args, kwargs: Kwargs, src: str) -> Any:
    fn, is_bool = FOLD[name]
    tensors = [a for a in args if isinstance(a, ScalarTensor)]
    plain = [a.value if isinstance(a, ScalarTensor) else a for a in args]
    if name == "mul" and _repeated_length(plain) > MAX_SEQUENCE:
        raise WasmTorchError(f"torch.mul: result longer than {MAX_SEQUENCE} at {src}")
    value = _bounded(fn(*plain, **kwargs), name, src)
    if not tensors:
        return value
    if is_bool:
        return ScalarTensor(bool(value), "bool")
    dtype = dtypes.result_type(*(TensorMeta(a.dtype, ()) if isinstance(a, ScalarTensor) and not a.wrapped
                                 else plain_value(a) for a in args))
    if name in _FLOAT_RESULT and kwargs.get("rounding_mode") is None and not dtypes.is_float(dtype):
        dtype = "float32"  # true division and transcendental ops of int tensors give torch's default
    return ScalarTensor(cast_value(value, dtype), dtype)


# Longest str/list folding may build: archive code could otherwise double a string in a loop.
MAX_SEQUENCE = 1_000_000


def _repeated_length(operands: list[Any]) -> int:
    """Length of `sequence * n` (0 when not a sequence repetition)."""
    seqs = [len(a) for a in operands if isinstance(a, (str, list, tuple))]
    counts = [a for a in operands if isinstance(a, int) and not isinstance(a, bool)]
    return seqs[0] * counts[0] if len(seqs) == 1 and len(counts) == 1 else 0


def _bounded(value: Any, name: str, src: str) -> Any:
    """TorchScript ints are int64 (they wrap); sequences stay small."""
    if isinstance(value, int) and not isinstance(value, bool) and not -2**63 <= value < 2**63:
        return (value + 2**63) % 2**64 - 2**63
    if isinstance(value, (str, list, tuple)) and len(value) > MAX_SEQUENCE:
        raise WasmTorchError(f"torch.{name}: result longer than {MAX_SEQUENCE} at {src}")
    return value


def cast_value(v: Any, dtype: str) -> Any:
    """A Python number as a tensor of `dtype` holds it (float32 rounding, int truncation)."""
    if dtype == "bool":
        return bool(v)
    if dtypes.is_int(dtype):
        return int(v)
    if dtype in ("float32", "float16"):
        return struct.unpack("<" + dtypes.DTYPES[dtype][1], struct.pack("<" + dtypes.DTYPES[dtype][1], v))[0]
    return float(v)


# -- builtins that ask about static facts, mutate containers or format strings ---------------

def _meta(ctx: Interpreter, x: Any, what: str, src: str) -> TensorMeta:
    if isinstance(x, Ref):
        return ctx.g.meta(x)
    if isinstance(x, ScalarTensor):
        return TensorMeta(x.dtype, ())
    raise WasmTorchError(f"{what}: expected a tensor, got {describe(x)} at {src}")


def _size(ctx: Interpreter, args: Args, kwargs: Kwargs, src: str) -> Any:
    shape = list(_meta(ctx, args[0], "torch.size", src).shape)
    dim = args[1] if len(args) > 1 else kwargs.get("dim")
    if dim is None:
        return shape
    if not -len(shape) <= dim < max(len(shape), 1):
        raise WasmTorchError(f"torch.size: dim {dim} out of range for a {len(shape)}-d tensor at {src}")
    return shape[dim]


def _len(ctx: Interpreter, args: Args, kwargs: Kwargs, src: str) -> Any:
    x = args[0]
    if isinstance(x, (list, tuple, str, dict)):
        return len(x)
    shape = _meta(ctx, x, "len()", src).shape
    if not shape:
        raise WasmTorchError(f"len() of a 0-d tensor at {src}")
    return shape[0]


def format_value(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        inner = ", ".join(format_value(x) for x in v)
        return f"[{inner}]" if isinstance(v, list) else f"({inner}{',' if len(v) == 1 else ''})"
    if isinstance(v, ScalarTensor):
        return str(v.value)
    if isinstance(v, (Ref, Unknown)):
        return "<tensor>"
    return str(v)


def _format(fmt: Any, *args: Any) -> str:
    # aten::format fills each "{}" in order. Python's str.format is never used on archive
    # strings: it can reach attributes ("{0.__class__}").
    if not isinstance(fmt, str):
        return format_value(fmt)
    parts = fmt.split("{}")
    out = parts[0]
    for i, part in enumerate(parts[1:]):
        out += (format_value(args[i]) if i < len(args) else "{}") + part
    return out


def _is(a: Any, b: Any) -> Any:
    """`is` on TorchScript values: None checks, and the same graph value (self-attention)."""
    if a is None or b is None:
        return a is b
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return UNKNOWN
    if isinstance(a, (Ref, bool)) and isinstance(b, (Ref, bool)):
        return a == b
    return a is b


def _not(ctx: Interpreter, v: Any, src: str) -> Any:
    v = item(ctx, v, "`not` of", src)
    return v if isinstance(v, Unknown) else not v


def item(ctx: Interpreter, x: Any, what: str, src: str) -> Any:
    """The Python value of a known tensor (a 0-d tensor, a one-element constant); a Python value
    passes through. `what` names the construct for the data-dependent error ("int() of")."""
    if isinstance(x, Unknown):
        return UNKNOWN
    if isinstance(x, ScalarTensor):
        return x.value
    if isinstance(x, Ref):
        data = ctx.g.constants.get(x.name)
        if data is not None and data.numel == 1:
            return data.item()
        raise unsupported(f"{what} a tensor's value (data-dependent control flow)", src)
    return x


def to_int(ctx: Interpreter, args: Args, kwargs: Kwargs, src: str) -> Any:
    v = item(ctx, args[0], "int() of", src)
    if isinstance(v, Unknown):
        return v
    try:
        return int(v)
    except (TypeError, ValueError, OverflowError):
        raise WasmTorchError(f"int({format_value(v)!r}) is not a number at {src}") from None


def to_float(ctx: Interpreter, args: Args, kwargs: Kwargs, src: str) -> Any:
    v = item(ctx, args[0], "float() of", src)
    if isinstance(v, Unknown):
        return v
    try:
        return float(v)
    except (TypeError, ValueError):
        raise WasmTorchError(f"float({format_value(v)!r}) is not a number at {src}") from None


def to_bool(ctx: Interpreter, args: Args, kwargs: Kwargs, src: str) -> Any:
    v = item(ctx, args[0], "bool() of", src)
    return v if isinstance(v, Unknown) else bool(v)


def _range(ctx: Interpreter, args: Args, kwargs: Kwargs, src: str) -> Any:
    vals = [item(ctx, a, "range() of", src) for a in args]
    if not vals or not all(isinstance(v, int) for v in vals):
        raise WasmTorchError(f"range{tuple(format_value(v) for v in vals)}: expected ints at {src}")
    r = range(*vals)
    if len(r) > MAX_SEQUENCE:
        raise WasmTorchError(f"range of {len(r)} items is too long to unroll at {src}")
    return r


def _nested(data: Any, src: str) -> tuple[tuple[int, ...], list[Any]]:
    """Shape and row-major values of nested Python lists."""
    if not isinstance(data, (list, tuple)):
        return (), [data]
    subs = [_nested(x, src) for x in data]
    if len({shape for shape, _ in subs}) > 1:
        raise WasmTorchError(f"torch.tensor: ragged nested list at {src}")
    inner = subs[0][0] if subs else ()
    return (len(data), *inner), [v for _, vals in subs for v in vals]


def _tensor(ctx: Interpreter, args: Args, kwargs: Kwargs, src: str) -> Any:
    """torch.tensor(<Python data>) -> a graph constant."""
    shape, values = _nested(args[0], src)
    values = [item(ctx, v, "torch.tensor() of", src) for v in values]
    dtype = kwargs.get("dtype", args[1] if len(args) > 1 else None)
    if dtype is None:
        dtype = ("bool" if values and all(isinstance(v, bool) for v in values) else
                 "int64" if values and all(isinstance(v, int) for v in values) else "float32")
    elif isinstance(dtype, int):
        dtype = c10_dtype(dtype, src)
    return ctx.constant_ref(make_tensor(values, shape, dtype, src))


def make_tensor(values: list[Any], shape: tuple[int, ...], dtype: str, src: str = "") -> TensorData:
    fmt = dtypes.DTYPES.get(dtype, (0, None))[1]
    if fmt is None:
        raise UnsupportedError(f"cannot make a {dtype} constant at {src}")
    vals = [cast_value(v, dtype) for v in values]
    return TensorData(dtype, shape, struct.pack(f"<{len(vals)}{fmt}", *vals))


def c10_dtype(code: int, src: str) -> str:
    try:
        return dtypes.C10[code]
    except KeyError:
        raise WasmTorchError(f"unknown c10 dtype code {code} at {src}") from None


def _set_grad(ctx: Interpreter, args: Args, kwargs: Kwargs, src: str) -> None:
    ctx.grad_enabled = bool(args[0])


def _set_item(c: Any, k: Any, v: Any) -> Any:
    c[k] = v
    return c


def _py(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A plain function of Python values as a builtin (ctx, args, kwargs, src)."""
    return lambda ctx, args, kwargs, src: fn(*args, **kwargs)


def _run(fn: Callable[..., Any], ctx: Interpreter, what: str, args: Args, kwargs: Kwargs, src: str) -> Any:
    """Call a builtin; archive code giving it wrong arguments gets an error, never a Python crash."""
    try:
        return fn(ctx, args, kwargs, src)
    except (TypeError, ValueError, IndexError, KeyError, AttributeError, OverflowError, struct.error) as e:
        shown = ", ".join(describe(a) for a in args)
        raise WasmTorchError(f"{what}({shown}): {e} at {src}") from None
    except ZeroDivisionError:
        raise WasmTorchError(f"{what}: division by zero at {src}") from None


def _as_list(xs: Any) -> list[Any]:
    if not isinstance(xs, (list, tuple, str)):
        raise TypeError("expected a list")
    return list(xs)


def _slice_list(xs: Any, start: Any = None, end: Any = None, step: int = 1) -> Any:
    return xs[start:end:step]


# torch.<name> builtins answered without the graph's tensor data. Each takes (ctx, args, kwargs, src).
STATIC: dict[str, Callable[..., Any]] = {
    "size": _size,
    "dim": lambda ctx, args, kw, src: len(_meta(ctx, args[0], "torch.dim", src).shape),
    "numel": lambda ctx, args, kw, src: _meta(ctx, args[0], "torch.numel", src).numel,
    "len": _len,
    "is_floating_point": lambda ctx, args, kw, src: dtypes.is_float(_meta(ctx, args[0], "is_floating_point",
                                                                          src).dtype),
    "is_complex": lambda ctx, args, kw, src: dtypes.is_complex(_meta(ctx, args[0], "is_complex", src).dtype),
    "is_grad_enabled": lambda ctx, args, kw, src: ctx.grad_enabled,
    "set_grad_enabled": _set_grad,
    "is_autocast_enabled": lambda ctx, args, kw, src: False,
    "is_autocast_cpu_enabled": lambda ctx, args, kw, src: False,
    "device": lambda ctx, args, kw, src: args[0] if args else "cpu",
    "warn": lambda ctx, args, kw, src: None,
    "format": _py(_format),
    "str": _py(format_value),
    "__is__": _py(_is),
    "__isnot__": _py(lambda a, b: (lambda r: r if isinstance(r, Unknown) else not r)(_is(a, b))),
    "__not__": lambda ctx, args, kw, src: _not(ctx, args[0], src),
    "__range_length": _py(lambda lo, hi, step: max(0, (hi - lo + step - (1 if step > 0 else -1)) // step)),
    "__derive_index": _py(lambda i, start, step: start + i * step),
    "item": lambda ctx, args, kw, src: item(ctx, args[0], "torch.item() of", src),
    "Int": to_int,
    "Float": to_float,
    "Bool": to_bool,
    "ScalarImplicit": lambda ctx, args, kw, src: item(ctx, args[0], "ScalarImplicit of", src),
    "tensor": _tensor,
    "_unwrap_optional": lambda ctx, args, kw, src: args[0],
}
# STATIC entries that inspect a tensor argument (an unknown op's result gives an unknown answer).
_ASKS_TENSOR = frozenset({"size", "dim", "numel", "len", "is_floating_point", "is_complex", "item", "Int",
                          "Float", "Bool", "ScalarImplicit", "tensor"})
# Builtins on lists, strings and dicts (some share a name with a tensor op: `torch.slice` on a
# list is list slicing), used when the first argument is a container.
CONTAINER: dict[str, Callable[..., Any]] = {
    "slice": _py(_slice_list),
    "len": _len,
    "append": _py(lambda xs, v: (xs.append(v), xs)[1]),
    "extend": _py(lambda xs, v: xs.extend(v)),
    "insert": _py(lambda xs, i, v: xs.insert(i, v)),
    "pop": _py(lambda xs, i=-1: xs.pop(i)),
    "clear": _py(lambda xs: xs.clear()),
    "copy": _py(lambda xs: xs.copy()),
    "list": _py(_as_list),
    "keys": _py(lambda d: list(d.keys())),
    "values": _py(lambda d: list(d.values())),
    "items": _py(lambda d: [tuple(kv) for kv in d.items()]),
    "get": _py(lambda d, k, default=None: d.get(k, default)),
    "_set_item": _py(_set_item),
    "__getitem__": _py(lambda c, i: c[i]),
    "__contains__": _py(lambda c, v: v in c),
}

BUILTINS: dict[str, Callable[..., Any]] = {
    "int": to_int,
    "float": to_float,
    "bool": to_bool,
    "str": _py(format_value),
    "len": _len,
    "range": _range,
    "print": lambda ctx, args, kw, src: None,
    "abs": _py(abs),
    "min": _py(min),
    "max": _py(max),
}

JIT: dict[str, Any] = {
    "is_scripting": True,
    "is_tracing": False,
}


# -- ops.prim ---------------------------------------------------------------------------------

def _num_to_tensor(ctx: Interpreter, args: Args, kwargs: Kwargs, src: str) -> Any:
    v = args[0]
    if isinstance(v, (ScalarTensor, Unknown)):
        return v
    if isinstance(v, bool):
        return ScalarTensor(v, "bool")
    if isinstance(v, int):
        return ScalarTensor(v, "int64")
    if isinstance(v, float):
        return ScalarTensor(v, "float64")
    raise WasmTorchError(f"ops.prim.NumToTensor: expected a number, got {describe(v)} at {src}")


def _raise(ctx: Interpreter, args: Args, kwargs: Kwargs, src: str) -> None:
    msg = format_value(args[0]) if args else ""
    cls = args[1] if len(args) > 1 and isinstance(args[1], str) else "Exception"
    raise WasmTorchError(f"the model raised {cls.rpartition('.')[2]}: {msg} at {src}")


def _false(ctx: Interpreter, args: Args, kwargs: Kwargs, src: str) -> bool:
    return False


def _min_max(fn: Callable[..., Any]) -> Callable[..., Any]:
    return lambda ctx, args, kw, src: fn(args[0]) if len(args) == 1 else fn(*args)


PRIM: dict[str, Callable[..., Any]] = {
    "NumToTensor": _num_to_tensor,
    "dtype": lambda ctx, args, kw, src: dtypes.C10_CODE[_meta(ctx, args[0], "ops.prim.dtype", src).dtype],
    "device": lambda ctx, args, kw, src: "cpu",
    "type": lambda ctx, args, kw, src: args[0] if isinstance(args[0], str) else "cpu",
    "layout": lambda ctx, args, kw, src: 0,
    "shape": lambda ctx, args, kw, src: list(_meta(ctx, args[0], "ops.prim.shape", src).shape),
    "data": lambda ctx, args, kw, src: args[0],
    "unchecked_unwrap_optional": lambda ctx, args, kw, src: args[0],
    "RaiseException": _raise,
    "min": _min_max(min),
    "max": _min_max(max),
    "abs": _py(abs),
    **{flag: _false for flag in ("is_nested", "requires_grad", "is_cuda", "is_quantized", "is_mkldnn",
                                 "is_sparse", "is_sparse_csr", "is_xpu", "is_meta", "is_vulkan", "is_ipu",
                                 "is_mps", "is_mtia", "is_maia", "is_xla", "is_lazy")},
}


# -- entry points -----------------------------------------------------------------------------

def call_torch(ctx: Interpreter, name: str, args: Args, kwargs: Kwargs, src: str) -> Any:
    """`torch.<name>(...)` / `ops.aten.<name>(...)`."""
    first = args[0] if args else None
    what = f"torch.{name}"
    if isinstance(first, (list, tuple, str, dict)):
        if name in CONTAINER:
            return _run(CONTAINER[name], ctx, what, args, kwargs, src)
        if name in LIST_FOLD and isinstance(first, (list, tuple)):
            return _run(_py(LIST_FOLD[name]), ctx, what, args, kwargs, src)
    if name in STATIC:
        if name in _ASKS_TENSOR and has_unknown(args):
            return UNKNOWN
        return _run(STATIC[name], ctx, what, args, kwargs, src)
    if name in FOLD and not any(isinstance(a, Ref) for a in [*args, *kwargs.values()]):
        if has_unknown(args) or has_unknown(kwargs):
            return UNKNOWN
        return _run(lambda c, a, k, s_: _fold(c, name, a, k, s_), ctx, what, args, kwargs, src)
    return lower(ctx, name, args, kwargs, src)


def call_builtin(ctx: Interpreter, name: str, args: Args, kwargs: Kwargs, src: str) -> Any:
    """A bare builtin: `int(...)`, `range(...)`, ..."""
    if has_unknown(args) and name != "print":
        return UNKNOWN
    return _run(BUILTINS[name], ctx, name, args, kwargs, src)


def call_prim(ctx: Interpreter, name: str, args: Args, kwargs: Kwargs, src: str) -> Any:
    fn = PRIM.get(name)
    if fn is None:
        ctx.problem(f"prim::{name}", src)
        return UNKNOWN
    if name not in ("RaiseException", "data", "unchecked_unwrap_optional") and has_unknown(args):
        return UNKNOWN
    return _run(fn, ctx, f"ops.prim.{name}", args, kwargs, src)


# Python operator spellings TorchScript prints for tensor ops.
_TENSOR_SPELLINGS = {"__and__": "bitwise_and", "__or__": "bitwise_or", "__xor__": "bitwise_xor",
                     "__lshift__": "bitwise_left_shift", "__rshift__": "bitwise_right_shift",
                     "floordiv": "floor_divide", "true_divide": "div"}


def lower(ctx: Interpreter, name: str, args: Args, kwargs: Kwargs, src: str) -> Any:
    """Emit graph nodes for a tensor op, binding against each registered schema in turn.

    In-place spellings (`add_`) lower onto the functional op when they have no lowering of
    their own; their result then replaces the written tensor (see torchscript_alias).
    """
    op, cands = name, registry.find_lowering(name)
    if not cands and name in _TENSOR_SPELLINGS:
        op = _TENSOR_SPELLINGS[name]
        cands = registry.find_lowering(op)
    inplace = name.endswith("_") and not name.startswith("__")
    if not cands and inplace:
        op = name[:-1]
        cands = registry.find_lowering(op)
    if not cands:
        ctx.problem(name, src)
        return UNKNOWN
    if has_unknown(args) or has_unknown(kwargs):
        return UNKNOWN
    args = ctx.aliases.resolve_all(args, src)
    kwargs = {k: ctx.aliases.resolve_all(v, src) for k, v in kwargs.items()}
    out, bound = _emit(ctx, name, cands, args, kwargs, src)
    inputs = [*args, *kwargs.values()]
    if isinstance(out, Ref) and any(out is x for x in inputs) and (inplace or op in COPY_OPS):
        out = Ref(out.name)  # a copy (or an in-place result) must not alias its input object
    if inplace:
        target = args[0] if args else kwargs.get("self")
        if isinstance(target, Ref) and isinstance(out, Ref):
            ctx.aliases.write(target, out, f"torch.{name}", src)
    else:
        for o in out if isinstance(out, (list, tuple)) else [out]:
            ctx.aliases.record_view(o, bound.get("self"), op, bound)
    return out


def _emit(ctx: Interpreter, name: str, cands: list[Any], args: Args, kwargs: Kwargs,
          src: str) -> tuple[Any, registry.A]:
    errors = []
    for schema, fn in cands:
        pos, kw = _coerce_call(ctx, schema, args, kwargs, src)
        try:
            a = schema.bind(pos, kw, src)
        except WasmTorchError as e:
            errors.append(str(e))
            continue
        out = fn(ctx.g, a, src)
        outs = out if isinstance(out, list) else [out]
        if len(schema.returns) == 1 and schema.returns[0].startswith("Tensor["):
            return outs, a
        if len(schema.returns) <= 1 and len(outs) == 1:
            return outs[0], a
        return tuple(outs), a
    raise WasmTorchError(errors[0] if len(errors) == 1 else
                         f"torch.{name}: no overload matches at {src} ({' | '.join(errors)})")


def _coerce_call(ctx: Interpreter, schema: registry.Schema, args: Args, kwargs: Kwargs,
                 src: str) -> tuple[Args, Kwargs]:
    pos_params = [a for a in schema.args if not a.kwarg_only]
    by_name = {a.name: a for a in schema.args}
    wraps = schema.name.rstrip("_") in _PROMOTING
    pos = [_coerce(ctx, pos_params[i].type, v, wraps, src) if i < len(pos_params) else v
           for i, v in enumerate(args)]
    kw = {k: _coerce(ctx, by_name[k].type, v, wraps, src) if k in by_name else v for k, v in kwargs.items()}
    return pos, kw


# Elementwise ops, where a wrapped number's lower promotion priority matters.
_PROMOTING = frozenset(FOLD) | {
    "where", "masked_fill", "maximum", "minimum", "atan2", "bitwise_and", "bitwise_or", "bitwise_xor",
    "logical_and", "logical_or", "logical_xor", "clamp", "clamp_min", "clamp_max", "lerp", "hypot"}


def _coerce(ctx: Interpreter, typ: str, v: Any, wraps: bool, src: str) -> Any:
    """Adapt a TorchScript value to a schema slot: known 0-d tensors become graph constants in
    tensor slots (Python numbers when wrapped, for elementwise ops) and numbers elsewhere; c10
    dtype codes become dtype names."""
    base = typ.rstrip("?")
    if base.startswith("Tensor"):
        if isinstance(v, (list, tuple)):
            return [ctx.materialise(x) if isinstance(x, ScalarTensor) else x for x in v]
        if isinstance(v, ScalarTensor):
            return v.value if v.wrapped and wraps else ctx.materialise(v)
        return v
    if base == "ScalarType" and isinstance(v, int) and not isinstance(v, bool):
        return c10_dtype(v, src)
    return plain_value(v)


def plain_value(v: Any) -> Any:
    if isinstance(v, ScalarTensor):
        return v.value
    if isinstance(v, (list, tuple)) and any(isinstance(x, ScalarTensor) for x in v):
        return type(v)(plain_value(x) for x in v)
    return v


def describe(v: Any) -> str:
    if isinstance(v, Ref):
        return "a tensor"
    if isinstance(v, ScalarTensor):
        return f"a 0-d {v.dtype} tensor"
    return f"{type(v).__name__} {format_value(v)!r}"
