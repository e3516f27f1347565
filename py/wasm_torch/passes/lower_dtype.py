"""Kernel selection for dtype-aware ops, reductions and the float ops the f32 kernels lack (plan op
codes 50..69, and UNARY / BINARY / SOFTMAX where a float32 kernel exists), called by
passes/lower_wasm.py through LOWER. Values may be float32, int64 or bool (stored as one byte).

    eq ne lt le gt ge                ELEMWISE compare -> bool (operands promoted as torch does)
    logical_and/or/xor, bitwise_and/or/xor   ELEMWISE
    add sub mul div on int64/bool, with alpha, or with rounding_mode; remainder, fmod, pow, atan2,
    hypot; maximum/minimum           ELEMWISE (float32 add/sub/mul/div/maximum/minimum: BINARY)
    logical_not bitwise_not isnan isinf isfinite, int64 neg/abs/sign, log log2 log10 log1p expm1
    sin cos tan asin acos atan sinh cosh asinh acosh atanh erfc exp2 frac   MAP (float32 libm per
                                     element)
    lerp                             BINARY ops (and WHERE for a tensor weight), torch's two-sided form
    glu                              SLICE, SLICE, UNARY sigmoid, BINARY mul
    count_nonzero                    CAST to bool, CAST to int64, REDUCE sum
    floor ceil trunc round sign erf mish log_sigmoid elu selu softplus, pow(x, 2 / 0.5)   UNARY
    prelu                            CLAMP, CLAMP, BINARY mul, BINARY add
    where, masked_fill, tril/triu    WHERE (numbers become rank-0 constants; tril/triu of a constant
                                     is folded)
    clamp with tensor bounds         BINARY max / min (ELEMWISE on int64)
    _to_copy                         CAST (float32, int64, bool; also int32, uint8, float64, float16)
    sum mean prod amax amin max/min(dim) argmax argmin var std linalg_vector_norm logsumexp any
    all                              REDUCE over one run of dims (a TRANSPOSE first when the
                                     reduced dims are not adjacent); keepdim is a RESHAPE
    cumsum cumprod                   SCAN
    topk, sort (argsort)             TOPK (k = n for sort; TRANSPOSEs around it when not the last dim)
    softmax / log_softmax over any dim   SOFTMAX over the last dim, SOFTMAX_DIM over another
    linspace, eye                    folded into plan constants
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import Any

from ..formats.tensor import TensorData
from ..ir import Node, Ref
from ..plan import OpCode, PlanOp
from . import lower_transformer as lt
from . import lower_wasm as lw

COMPUTE = ("float32", "int64", "bool")  # what the ops compute in
DTYPES = COMPUTE + ("int32", "uint8", "float64", "float16")  # what values may hold (casts, copies, inputs, outputs)
_PACK = {"float32": "<f", "int64": "<q", "bool": "<B"}
# wt_elemwise_op, wt_map_op, wt_reduce_op, wt_scan_op (wasm_kernels/runtime/wt_dtype_ops.h)
_EW = {op: i for i, op in enumerate(
    ["add", "sub", "mul", "div", "floor_div", "trunc_div", "remainder", "fmod", "maximum", "minimum", "pow",
     "atan2", "hypot", "bitwise_and", "bitwise_or", "bitwise_xor", "eq", "ne", "lt", "le", "gt", "ge",
     "logical_and", "logical_or", "logical_xor"])}
_COMPARE = ("eq", "ne", "lt", "le", "gt", "ge")
_MAP = {op: i for i, op in enumerate(
    ["neg", "abs", "sign", "logical_not", "bitwise_not", "isnan", "isinf", "isfinite", "log", "log2", "log10",
     "log1p", "expm1", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh",
     "erfc", "exp2", "frac"])}
_MAP_FLOAT = tuple(list(_MAP)[5:])  # float32 tests and libm ops: ints and bools are cast to float32 first
# bool arithmetic as torch computes it (True + True is True)
_BOOL_AS = {"add": "logical_or", "maximum": "logical_or", "mul": "logical_and", "minimum": "logical_and"}
_BOOL_OPS = ("bitwise_and", "bitwise_or", "bitwise_xor", "eq", "ne", "logical_and", "logical_or", "logical_xor")
_REDUCE = {op: i for i, op in enumerate(
    ["sum", "mean", "prod", "amax", "amin", "argmax", "argmin", "var", "std", "linalg_vector_norm", "logsumexp",
     "any", "all"])}
_SCAN = {"cumsum": 0, "cumprod": 1}
# wt_vunary_op (include/wt_elementwise.h)
_VUNARY = {"floor": 17, "ceil": 18, "trunc": 19, "round": 20, "sign": 21, "square": 22, "erf": 23, "mish": 24,
           "log_sigmoid": 25, "sqrt": 15}
_ELU, _SOFTPLUS = 10, 11
_BINARY_F32 = {"add": 0, "sub": 1, "mul": 2, "div": 3, "maximum": 4, "minimum": 5}
_ALWAYS_FLOAT = ("div", "atan2", "hypot")  # int operands are promoted to float first


# ---------------------------------------------------------------------------------------------
# values


def _dtype(c: lw._Ctx, name: str) -> str:
    return c.dtypes[name] if name in c.dtypes else c.g.values[name].dtype


def _shape(c: lw._Ctx, name: str) -> tuple[int, ...]:
    return c.extra[name] if name in c.extra else tuple(c.g.values[name].shape)


def _operand(c: lw._Ctx, n: Node, ref: Any, what: str) -> str:
    """A tensor operand in a dtype the ops compute in (torch's layout): int32 and uint8 values as
    int64 copies (exact), float64 and float16 rejected."""
    if not isinstance(ref, Ref):
        raise lw._Reject(f"{n.op} ({what} is not a tensor)")
    name = c.value(ref, what, n.op)
    if _dtype(c, name) in ("int32", "uint8"):
        return _cast(c, n, name, "int64")
    if _dtype(c, name) not in COMPUTE:
        raise lw._Reject(f"{n.op} ({what} is {_dtype(c, name)})")
    return name


def _new(c: lw._Ctx, base: str, shape: tuple[int, ...], dtype: str) -> str:
    name, i = f"{base}_{dtype}", 1
    while name in c.g.values or name in c.extra:
        name, i = f"{base}_{dtype}{i}", i + 1
    c.extra[name] = tuple(shape)
    c.dtypes[name] = dtype
    return name


def _scalar(c: lw._Ctx, value: Any, dtype: str) -> str:
    """A rank-0 constant holding `value` in `dtype` (numbers broadcast like tensors)."""
    if dtype == "int64":
        if not math.isfinite(value) or value != int(value):
            raise lw._Reject(f"the number {value!r} as int64")
        value = int(value)
    data = struct.pack(_PACK[dtype], lt._f32(value) if dtype == "float32" else value)
    name = _new(c, "scalar", (), dtype)
    c.folded[name] = TensorData(dtype, (), data, name=name)
    return name


def _emit(c: lw._Ctx, code: OpCode, n: Node, inputs: list[str], output: str, params: tuple = ()) -> str:
    c.ops.append(PlanOp(code, inputs, [output], n.op, n.source, params=params))
    return output


def _cast(c: lw._Ctx, n: Node, name: str, dtype: str) -> str:
    if _dtype(c, name) == dtype:
        return name
    return _emit(c, OpCode.CAST, n, [name], _new(c, name, _shape(c, name), dtype))


def _number(v: Any) -> bool:
    return isinstance(v, (int, float))  # bools too


def _promote(c: lw._Ctx, op: str, operands: list[Any]) -> str:
    """torch's result type of tensors (graph refs or lowered names) and numbers (a number only
    lifts the category)."""
    tensors = [c.g.values[v.name].dtype if isinstance(v, Ref) else _dtype(c, v) for v in operands
               if isinstance(v, (Ref, str))]
    tensors = ["int64" if d in ("int32", "uint8") else d for d in tensors]  # computed as int64 copies
    bad = [d for d in tensors if d not in COMPUTE]
    if bad:
        raise lw._Reject(f"{op} ({bad[0]} operand)")
    numbers = [v for v in operands if not isinstance(v, (Ref, str))]
    if "float32" in tensors or any(isinstance(v, float) for v in numbers):
        return "float32"
    if "int64" in tensors or any(not isinstance(v, bool) for v in numbers):
        return "int64"
    return "bool"


def _as(c: lw._Ctx, n: Node, v: Any, what: str, dtype: str) -> str:
    """A tensor operand (a graph ref or a lowered name) or a number, as a value of `dtype`."""
    if isinstance(v, str):
        return _cast(c, n, v, dtype)
    if isinstance(v, Ref):
        return _cast(c, n, _operand(c, n, v, what), dtype)
    if not _number(v) or (isinstance(v, float) and math.isnan(v) and dtype != "float32"):
        raise lw._Reject(f"{n.op} ({what} is {v!r})")
    return _scalar(c, v, dtype)


def _out(c: lw._Ctx, n: Node, i: int = 0, dtypes: tuple[str, ...] = COMPUTE) -> str:
    name = n.outputs[i]
    dtype = c.g.values[name].dtype
    if dtype not in dtypes:
        raise lw._Reject(f"{n.op} (result is {dtype})")
    return name


def _keepdim_shape(shape: tuple[int, ...], dims: list[int]) -> tuple[int, ...]:
    return tuple(d for i, d in enumerate(shape) if i not in dims)


# ---------------------------------------------------------------------------------------------
# elementwise


def _all_f32_refs(c: lw._Ctx, *vs: Any) -> bool:
    return all(c.g.values[v.name].dtype == "float32" for v in vs if isinstance(v, Ref))


def _binary_f32(c: lw._Ctx, n: Node, op: str, x: Any, y: Any, output: str) -> str:
    """BINARY on float32 names or numbers (one of them a tensor)."""
    code = _BINARY_F32[op]
    if isinstance(x, str) and isinstance(y, str):
        return _emit(c, OpCode.BINARY, n, [x, y], output, (code, 0, 0.0))
    if isinstance(x, str):
        return _emit(c, OpCode.BINARY, n, [x], output, (code, 0, lt._f32(y)))
    return _emit(c, OpCode.BINARY, n, [y], output, (code, 1, lt._f32(x)))


def _f32_or_number(c: lw._Ctx, v: Any, what: str, op: str) -> Any:
    return c.tensor(v, what, op) if isinstance(v, Ref) else v


def _elemwise(c: lw._Ctx, n: Node, op: str, x: Any, y: Any, output: str, dtype: str | None = None) -> str:
    dtype = dtype or _promote(c, n.op, [x, y])
    if op in _ALWAYS_FLOAT:
        dtype = "float32"
    if dtype == "bool":
        op = _BOOL_AS.get(op, op)
        if op not in _BOOL_OPS:
            raise lw._Reject(f"{n.op} (bool operands)")
    inputs = [_as(c, n, x, "self", dtype), _as(c, n, y, "other", dtype)]
    want = "bool" if op in _COMPARE or op.startswith("logical") else dtype
    if _dtype(c, output) != want:
        raise lw._Reject(f"{n.op} ({dtype} operands, result {_dtype(c, output)})")
    if dtype == "float32" and op in _BINARY_F32:  # cast operands (int * 0.5): the SIMD kernels
        return _binary_f32(c, n, op, inputs[0], inputs[1], output)
    return _emit(c, OpCode.ELEMWISE, n, inputs, output, (_EW[op],))


def _arith(c: lw._Ctx, n: Node) -> None:
    """add/sub/mul/div and the other binary ops of any dtype."""
    a = n.args
    x, y = a["self"], a["other"] if "other" in a else a["exponent"]
    out = _out(c, n)
    op = {"floor_divide": "floor_div"}.get(n.op, n.op)
    mode = a.get("rounding_mode")
    if op == "div" and mode is not None:
        if mode not in ("floor", "trunc"):
            raise lw._Reject(f"div (rounding_mode={mode!r})")
        op = "floor_div" if mode == "floor" else "trunc_div"
    f32 = _dtype(c, out) == "float32" and _all_f32_refs(c, x, y)
    alpha = a.get("alpha", 1)
    if f32 and op == "pow" and isinstance(x, Ref) and y in (2, 0.5) and not isinstance(y, bool):
        code = _VUNARY["square" if y == 2 else "sqrt"]
        _emit(c, OpCode.UNARY, n, [c.tensor(x, "self", "pow")], out, (code, 0.0, 0.0))
    elif f32 and op in ("add", "sub", "mul", "div") and alpha == 1:
        lt._binary(c, n)  # the float32 SIMD kernels, scalar forms included
    elif f32 and op in _BINARY_F32:
        xs, ys = _f32_or_number(c, x, "self", n.op), _f32_or_number(c, y, "other", n.op)
        if alpha != 1:  # other * alpha first, as torch
            ys = _binary_f32(c, n, "mul", ys, alpha, _new(c, out, _shape(c, ys), "float32")) \
                if isinstance(ys, str) else ys * alpha
        _binary_f32(c, n, op, xs, ys, out)
    else:
        if alpha != 1 and isinstance(y, Ref):  # other * alpha first, as torch
            dtype = _promote(c, n.op, [x, y])
            y = _elemwise(c, n, "mul", y, alpha, _new(c, out, _shape(c, y.name), dtype), dtype)
        elif alpha != 1:
            y = y * alpha
        _elemwise(c, n, op, x, y, out)


def _logical(c: lw._Ctx, n: Node) -> None:
    """logical_and/or/xor: operands as bool."""
    a = n.args
    _elemwise(c, n, n.op, a["self"], a["other"], _out(c, n), "bool")


def _map(c: lw._Ctx, n: Node) -> None:
    x = n.args["self"]
    out = _out(c, n)
    dtype = c.g.values[x.name].dtype if isinstance(x, Ref) else ""
    op = n.op
    if dtype == "float32" and op in ("neg", "abs"):
        lt._unary(c, n)
        return
    if dtype == "float32" and op == "sign":
        _emit(c, OpCode.UNARY, n, [c.tensor(x, "self", op)], out, (_VUNARY["sign"], 0.0, 0.0))
        return
    if op == "logical_not":
        name = _cast(c, n, _operand(c, n, x, "self"), "bool")
    elif op in _MAP_FLOAT:
        name = _cast(c, n, _operand(c, n, x, "self"), "float32")
    elif dtype not in ("int64", "bool") or (dtype == "bool" and op != "bitwise_not"):
        raise lw._Reject(f"{op} (self is {dtype or 'not a tensor'})")
    else:
        name = _operand(c, n, x, "self")
    _emit(c, OpCode.MAP, n, [name], out, (_MAP[op],))


def _vunary(c: lw._Ctx, n: Node) -> None:
    a = n.args
    x = c.tensor(a["self"], "self", n.op)
    out = _out(c, n)
    if _dtype(c, out) != "float32":
        raise lw._Reject(f"{n.op} (result is {_dtype(c, out)})")
    if n.op == "round" and a.get("decimals", 0):
        scale = 10.0 ** a["decimals"]  # torch: nearbyint(x * 10^d) / 10^d in float32
        t = _binary_f32(c, n, "mul", x, scale, _new(c, out, _shape(c, out), "float32"))
        r = _emit(c, OpCode.UNARY, n, [t], _new(c, out, _shape(c, out), "float32"), (_VUNARY["round"], 0.0, 0.0))
        _binary_f32(c, n, "div", r, scale, out)
        return
    if n.op == "elu":
        if a["input_scale"] != 1:
            raise lw._Reject(f"elu (input_scale={a['input_scale']})")
        params: tuple = (_ELU, lt._f32(a["alpha"]), lt._f32(a["scale"]))
    elif n.op == "softplus":
        if not a["beta"]:
            raise lw._Reject("softplus (beta=0)")
        params = (_SOFTPLUS, lt._f32(a["beta"]), lt._f32(a["threshold"]))
    else:
        params = (_VUNARY[n.op], 0.0, 0.0)
    _emit(c, OpCode.UNARY, n, [x], out, params)


def _prelu(c: lw._Ctx, n: Node) -> None:
    """max(x, 0) + w * min(x, 0), w [C] applied along dim 1 (exact for either sign)."""
    x = c.tensor(n.args["self"], "self", "prelu")
    w = c.tensor(n.args["weight"], "weight", "prelu")
    shape, wshape = _shape(c, x), _shape(c, w)
    out = _out(c, n)
    if len(wshape) != 1 or (wshape[0] != 1 and (len(shape) < 2 or shape[1] != wshape[0])):
        raise lw._Reject(f"prelu (weight {list(wshape)} for input {list(shape)})")
    if wshape[0] != 1 and len(shape) > 2:  # [C] -> [C, 1, ...] so it broadcasts along dim 1
        w = _emit(c, OpCode.RESHAPE, n, [w], _new(c, w, (wshape[0],) + (1,) * (len(shape) - 2), "float32"))
    pos = _new(c, out, shape, "float32")
    c.ops.append(PlanOp(OpCode.CLAMP, [x], [pos], "prelu", n.source, min=0.0, max=math.inf))
    neg = _new(c, out, shape, "float32")
    c.ops.append(PlanOp(OpCode.CLAMP, [x], [neg], "prelu", n.source, min=-math.inf, max=0.0))
    scaled = _binary_f32(c, n, "mul", neg, w, _new(c, out, shape, "float32"))
    _binary_f32(c, n, "add", pos, scaled, out)


def _where(c: lw._Ctx, n: Node) -> None:
    a = n.args
    if n.op == "masked_fill":
        cond, x, y = a["mask"], a["value"], a["self"]
    else:
        cond, x, y = a["condition"], a["self"], a["other"]
    out = _out(c, n)
    dtype = _dtype(c, out)
    mask = _cast(c, n, _operand(c, n, cond, "condition"), "bool")
    _emit(c, OpCode.WHERE, n, [mask, _as(c, n, x, "self", dtype), _as(c, n, y, "other", dtype)], out)


def _triangle(c: lw._Ctx, n: Node) -> None:
    """tril/triu: x where the constant mask of the last two dims is set, else 0."""
    x = _operand(c, n, n.args["self"], "self")
    shape = _shape(c, x)
    if len(shape) < 2:
        raise lw._Reject(f"{n.op} (rank {len(shape)})")
    rows, cols = shape[-2:]
    k = n.args["diagonal"]
    keep = [(j - i <= k) if n.op == "tril" else (j - i >= k) for i in range(rows) for j in range(cols)]
    const = c.folded.get(x, c.g.constants.get(x))
    if const is not None and len(keep) * math.prod(shape[:-2]) <= lt.MAX_FOLDED:  # of a constant: folded
        values = const.tolist()
        lt._fold(c, n, [v if keep[i % len(keep)] else type(v)(0) for i, v in enumerate(values)])
        return
    mask = _new(c, "mask", (rows, cols), "bool")
    c.folded[mask] = TensorData("bool", (rows, cols), bytes(keep), name=mask)
    out = _out(c, n)
    _emit(c, OpCode.WHERE, n, [mask, x, _scalar(c, 0, _dtype(c, out))], out)


def _clamp(c: lw._Ctx, n: Node, fallback: Callable) -> None:
    """Tensor bounds or an int64 input: max then min (BINARY for float32, ELEMWISE otherwise)."""
    a = n.args
    bounds = [a.get("min"), a.get("max")]
    out = _out(c, n)
    f32 = _dtype(c, out) == "float32" and _all_f32_refs(c, a["self"], *bounds)
    if f32 and not any(isinstance(b, Ref) for b in bounds):
        fallback(c, n)  # number bounds: CLAMP, fusable into the op before
        return
    x = c.tensor(a["self"], "self", "clamp") if f32 else a["self"]
    for op, bound in (("maximum", bounds[0]), ("minimum", bounds[1])):
        if bound is None:
            continue
        last = op == "minimum" or bounds[1] is None
        target = out if last else _new(c, out, _shape(c, out), _dtype(c, out))
        if f32:
            x = _binary_f32(c, n, op, x, _f32_or_number(c, bound, op, "clamp"), target)
        else:
            x = _elemwise(c, n, op, x, bound, target, _dtype(c, out))


def _to_copy(c: lw._Ctx, n: Node) -> None:
    x = c.value(n.args["self"], "self", "_to_copy")  # any stored dtype: CAST reads them all
    out = _out(c, n, 0, DTYPES)
    if _dtype(c, x) == _dtype(c, out):
        _emit(c, OpCode.RESHAPE, n, [x], out)
    else:
        _emit(c, OpCode.CAST, n, [x], out)


def _lerp(c: lw._Ctx, n: Node) -> None:
    """torch's form: weight < 0.5 ? self + weight * (end - self) : end - (end - self) * (1 - weight)."""
    a = n.args
    out = _out(c, n)
    x, end = c.tensor(a["self"], "self", "lerp"), c.tensor(a["end"], "end", "lerp")
    w = _f32_or_number(c, a["weight"], "weight", "lerp")
    shape = _shape(c, out)

    def tmp() -> str:
        return _new(c, out, shape, "float32")

    diff = _binary_f32(c, n, "sub", end, x, _new(c, out, _broadcast(c, end, x), "float32"))
    if not isinstance(w, str):
        if w < 0.5:
            _binary_f32(c, n, "add", x, _binary_f32(c, n, "mul", diff, w, tmp()), out)
        else:
            _binary_f32(c, n, "sub", end, _binary_f32(c, n, "mul", diff, 1.0 - w, tmp()), out)
        return
    low = _binary_f32(c, n, "add", x, _binary_f32(c, n, "mul", diff, w, tmp()), tmp())
    rest = _binary_f32(c, n, "sub", 1.0, w, _new(c, out, _shape(c, w), "float32"))
    high = _binary_f32(c, n, "sub", end, _binary_f32(c, n, "mul", diff, rest, tmp()), tmp())
    below = _emit(c, OpCode.ELEMWISE, n, [w, _scalar(c, 0.5, "float32")], _new(c, out, _shape(c, w), "bool"),
                  (_EW["lt"],))
    _emit(c, OpCode.WHERE, n, [below, low, high], out)


def _broadcast(c: lw._Ctx, *names: str) -> tuple[int, ...]:
    shapes = [_shape(c, v) for v in names]
    rank = max(len(s) for s in shapes)
    padded = [(1,) * (rank - len(s)) + s for s in shapes]
    return tuple(max(dims) if min(dims) else 0 for dims in zip(*padded))


def _glu(c: lw._Ctx, n: Node) -> None:
    x = c.tensor(n.args["self"], "self", "glu")
    shape = _shape(c, x)
    out = _out(c, n)
    dim = n.args["dim"] % len(shape) if shape else 0
    if not shape or shape[dim] % 2 or len(shape) > lt.MAX_RANK:
        raise lw._Reject(f"glu (dim {n.args['dim']} of shape {list(shape)})")
    half = _shape(c, out)
    first = _emit(c, OpCode.SLICE, n, [x], _new(c, out, half, "float32"), (dim, 0, 1))
    second = _emit(c, OpCode.SLICE, n, [x], _new(c, out, half, "float32"), (dim, shape[dim] // 2, 1))
    gate = _emit(c, OpCode.UNARY, n, [second], _new(c, out, half, "float32"), (lt._UNARY["sigmoid"], 0.0, 0.0))
    _binary_f32(c, n, "mul", first, gate, out)


# ---------------------------------------------------------------------------------------------
# reductions


def _count_nonzero(c: lw._Ctx, n: Node) -> None:
    x = _cast(c, n, _operand(c, n, n.args["self"], "self"), "bool")
    x = _cast(c, n, x, "int64")
    _reduce_to(c, n, "sum", x, _reduce_dims(n.args.get("dim"), len(_shape(c, x))), _out(c, n))



def _reduce_dims(dim: Any, rank: int) -> list[int]:
    if dim is None or dim == []:
        return list(range(rank))
    dims = [dim] if isinstance(dim, int) else list(dim)
    return sorted({d % rank for d in dims}) if rank else []


def _adjacent(c: lw._Ctx, n: Node, x: str, dims: list[int]) -> tuple[str, int, int]:
    """x with the reduced dims as one run [start, end): a TRANSPOSE moves them last if needed."""
    if not dims or dims == list(range(dims[0], dims[-1] + 1)):
        return x, (dims[0] if dims else 0), (dims[-1] + 1 if dims else 0)
    shape = _shape(c, x)
    if len(shape) > lt.MAX_RANK:
        raise lw._Reject(f"{n.op} (dims {dims} of a rank-{len(shape)} value)")
    perm = [d for d in range(len(shape)) if d not in dims] + dims
    moved = _new(c, x, tuple(shape[p] for p in perm), _dtype(c, x))
    _emit(c, OpCode.TRANSPOSE, n, [x], moved, tuple(perm + [0] * (8 - len(perm))))
    return moved, len(shape) - len(dims), len(shape)


def _reduce_to(c: lw._Ctx, n: Node, op: str, x: str, dims: list[int], output: str, p: float = 0.0) -> None:
    """REDUCE x over dims into output (of keepdim shape or not: a RESHAPE restores the 1s)."""
    if _dtype(c, x) == "bool" and op in ("amax", "amin"):
        op = "any" if op == "amax" else "all"
    elif _dtype(c, x) == "bool" and op in ("argmax", "argmin"):
        x = _cast(c, n, x, "int64")
    moved, start, end = _adjacent(c, n, x, dims)
    shape = _keepdim_shape(_shape(c, x), dims)
    target = output if _shape(c, output) == shape else _new(c, output, shape, _dtype(c, output))
    _emit(c, OpCode.REDUCE, n, [moved], target, (_REDUCE[op], start, end, lt._f32(p)))
    if target != output:
        _emit(c, OpCode.RESHAPE, n, [target], output)


def _reduce(c: lw._Ctx, n: Node) -> None:
    a = n.args
    out = _out(c, n)
    x = _operand(c, n, a["self"], "self")
    rank = len(_shape(c, x))
    dims = _reduce_dims(a.get("dim"), rank)
    op, p = n.op, 0.0
    if op in ("any", "all"):
        x = _cast(c, n, x, "bool")
    elif op in ("sum", "prod"):
        x = _cast(c, n, x, _dtype(c, out))  # torch accumulates ints and bools in int64
    elif op in ("mean", "var", "std", "linalg_vector_norm", "logsumexp") and _dtype(c, x) != "float32":
        raise lw._Reject(f"{op} ({_dtype(c, x)} input)")
    if op in ("var", "std"):
        p = 1.0 if a.get("correction") is None else a["correction"]
    elif op == "linalg_vector_norm":
        p = a["ord"]
        if not isinstance(p, (int, float)) or not p > 0:
            raise lw._Reject(f"linalg_vector_norm (ord={p!r})")
    _reduce_to(c, n, op, x, dims, out, p)


def _extremum_dim(c: lw._Ctx, n: Node) -> None:
    """max/min along a dim: values and indices, two REDUCE ops."""
    a = n.args
    x = _operand(c, n, a["self"], "self")
    dims = _reduce_dims(a["dim"], len(_shape(c, x)))
    values, indices = _out(c, n, 0), _out(c, n, 1)
    _reduce_to(c, n, "amax" if n.op == "max" else "amin", x, dims, values)
    _reduce_to(c, n, "argmax" if n.op == "max" else "argmin", x, dims, indices)


def _scan(c: lw._Ctx, n: Node) -> None:
    out = _out(c, n)
    x = _cast(c, n, _operand(c, n, n.args["self"], "self"), _dtype(c, out))
    rank = len(_shape(c, x))
    if rank == 0:
        _emit(c, OpCode.RESHAPE, n, [x], out)
        return
    _emit(c, OpCode.SCAN, n, [x], out, (_SCAN[n.op], n.args["dim"] % rank))


def _softmax(c: lw._Ctx, n: Node) -> None:
    x = n.args["self"]
    rank = len(c.shape(x)) if isinstance(x, Ref) else 0
    dim = n.args["dim"] % rank if rank else 0
    if rank == 0 or dim == rank - 1:
        lt._softmax(c, n)  # the row kernels
        return
    out = _out(c, n)
    if _dtype(c, out) != "float32":
        raise lw._Reject(f"{n.op} (result is {_dtype(c, out)})")
    _emit(c, OpCode.SOFTMAX_DIM, n, [c.tensor(x, "self", n.op)], out, (dim, 1 if n.op == "log_softmax" else 0))


def _topk_to(c: lw._Ctx, n: Node, k: int, dim: int, largest: bool, values: str, indices: str) -> None:
    """TOPK over `dim`: TRANSPOSEs swap it with the last dim around the op when it is not last."""
    x = _operand(c, n, n.args["self"], "self")
    shape = _shape(c, x)
    if not shape or _dtype(c, x) not in ("float32", "int64") or len(shape) > lt.MAX_RANK:
        raise lw._Reject(f"{n.op} ({_dtype(c, x)} rank-{len(shape)} input)")
    dim %= len(shape)
    flags = 1 if largest else 0
    if dim == len(shape) - 1:
        c.ops.append(PlanOp(OpCode.TOPK, [x], [values, indices], n.op, n.source, params=(k, flags)))
        return
    perm = list(range(len(shape)))
    perm[dim], perm[-1] = perm[-1], perm[dim]  # a swap: its own inverse
    params = tuple(perm + [0] * (8 - len(perm)))
    moved = _emit(c, OpCode.TRANSPOSE, n, [x], _new(c, x, tuple(shape[p] for p in perm), _dtype(c, x)), params)
    out_shape = _shape(c, moved)[:-1] + (k,)
    v = _new(c, values, out_shape, _dtype(c, x))
    i = _new(c, indices, out_shape, "int64")
    c.ops.append(PlanOp(OpCode.TOPK, [moved], [v, i], n.op, n.source, params=(k, flags)))
    _emit(c, OpCode.TRANSPOSE, n, [v], values, params)
    _emit(c, OpCode.TRANSPOSE, n, [i], indices, params)


def _topk(c: lw._Ctx, n: Node) -> None:
    a = n.args
    if not isinstance(a["k"], int):
        raise lw._Reject("topk (k is not a number)")
    _topk_to(c, n, a["k"], a["dim"], a["largest"], _out(c, n, 0), _out(c, n, 1))


def _sort(c: lw._Ctx, n: Node) -> None:
    a = n.args
    shape = c.shape(a["self"]) if isinstance(a["self"], Ref) else ()
    dim = a["dim"] % len(shape) if shape else 0
    _topk_to(c, n, shape[dim] if shape else 1, a["dim"], a["descending"], _out(c, n, 0), _out(c, n, 1))


# ---------------------------------------------------------------------------------------------
# creation


def _linspace(c: lw._Ctx, n: Node) -> None:
    a = n.args
    start, end, steps = a["start"], a["end"], a["steps"]
    if not all(isinstance(v, (int, float)) for v in (start, end, steps)) or _dtype(c, _out(c, n)) != "float32":
        raise lw._Reject("linspace (bounds are not numbers, or not float32)")
    f = lt._f32
    step = f((end - start) / (steps - 1)) if steps > 1 else 0.0
    half = steps // 2 if steps > 1 else 1  # torch fills the first half from start, the rest back from end
    lt._fold(c, n, [f(start + i * step) if i < half else f(end - (steps - 1 - i) * step) for i in range(steps)])


def _eye(c: lw._Ctx, n: Node) -> None:
    rows, cols = c.g.values[_out(c, n)].shape
    lt._fold(c, n, [1 if i == j else 0 for i in range(rows) for j in range(cols)])


# ---------------------------------------------------------------------------------------------

LOWER: dict[str, Callable[[lw._Ctx, Node], None]] = {
    **{op: _arith for op in ("add", "sub", "mul", "div", "floor_divide", "remainder", "fmod", "pow", "atan2",
                             "hypot", "maximum", "minimum", "bitwise_and", "bitwise_or", "bitwise_xor", *_COMPARE)},
    **{op: _logical for op in ("logical_and", "logical_or", "logical_xor")},
    **{op: _map for op in _MAP},
    **{op: _vunary for op in ("floor", "ceil", "trunc", "round", "erf", "mish", "log_sigmoid", "elu", "softplus")},
    "prelu": _prelu, "where": _where, "masked_fill": _where, "tril": _triangle, "triu": _triangle,
    "_to_copy": _to_copy, **{op: _reduce for op in _REDUCE}, "max": _extremum_dim, "min": _extremum_dim,
    **{op: _scan for op in _SCAN}, "softmax": _softmax, "log_softmax": _softmax, "linspace": _linspace,
    "eye": _eye, "lerp": _lerp, "glu": _glu, "count_nonzero": _count_nonzero, "topk": _topk, "sort": _sort,
}
# Ops whose float32 number-bound forms the table already lowers: wrapped, not replaced.
WRAP: dict[str, Callable[[lw._Ctx, Node, Callable], None]] = {"clamp": _clamp}


def install(table: dict[str, Callable]) -> dict[str, Callable]:
    """The lowering table with these ops added (they take precedence) and clamp wrapped."""
    out = {**table, **LOWER}
    for op, wrap in WRAP.items():
        out[op] = (lambda w, f: lambda c, n: w(c, n, f))(wrap, table[op])
    return out
