"""Matrix products: linear, matmul (every torch rank case), addmm, baddbmm, einsum.

Canonical ops (ATen names and schemas): linear, matmul, addmm, baddbmm, einsum.

Spellings lowered onto them:
    matmul   mm, bmm, mv, dot, vdot (real tensors), with torch's rank checks; outer / ger
             (column @ row) and addbmm's batch-summed product ((n, b*m) @ (b*m, p)) with reshapes
    addmv and addbmm: the product, then beta * self + alpha * product with mul/add

References accumulate in float64 (integers in int64), then the runtime casts to the inferred dtype.
"""

from __future__ import annotations

from ..errors import ShapeError
from ..ir import Graph, Ref, TensorMeta
from .common import broadcast, emit
from .registry import A, define, lower_call, lowering


def _same_dtype(*metas: TensorMeta) -> str:
    dtypes = {m.dtype for m in metas}
    if len(dtypes) != 1:
        raise ShapeError(f"operands must share one dtype, got {sorted(dtypes)}")
    return dtypes.pop()


def _tensor(v: object, what: str) -> TensorMeta:
    if not isinstance(v, TensorMeta):
        raise ShapeError(f"{what} must be a tensor, got {v!r}")
    return v


def matmul_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """torch.matmul's result shape: 1-d operands gain and lose a dim, batch dims broadcast."""
    if not a or not b:
        raise ShapeError("both arguments to matmul need at least 1 dimension")
    a2 = (1, *a) if len(a) == 1 else a
    b2 = (*b, 1) if len(b) == 1 else b
    if a2[-1] != b2[-2]:
        raise ShapeError(f"shapes {list(a)} and {list(b)} cannot be multiplied ({a2[-1]} != {b2[-2]})")
    out = [*broadcast(a2[:-2], b2[:-2]), a2[-2], b2[-1]]
    if len(b) == 1:
        out.pop(-1)
    if len(a) == 1:
        out.pop(-2 if len(b) > 1 else -1)
    return tuple(out)


def _as_compute(np, *arrays):
    """float64 for floats (torch accumulates in float32; we accumulate exactly), int64 for ints."""
    return [np.asarray(x, dtype=np.float64 if x.dtype.kind in "fc" else np.int64) for x in arrays]


def _linear_infer(a: A) -> TensorMeta:
    x, w = _tensor(a.input, "input"), _tensor(a.weight, "weight")
    dtype = _same_dtype(x, w) if a.bias is None else _same_dtype(x, w, _tensor(a.bias, "bias"))
    if len(w.shape) not in (1, 2) or not x.shape or x.shape[-1] != w.shape[-1]:
        raise ShapeError(f"input {list(x.shape)} and weight {list(w.shape)} do not match")
    out = x.shape[:-1] + w.shape[:-1]
    if a.bias is not None:
        broadcast(a.bias.shape, out)
    return TensorMeta(dtype, out)


def _linear_ref(a: A):
    import numpy as np

    x, w = _as_compute(np, a.input, a.weight)
    out = np.matmul(x, w.T)
    return out if a.bias is None else out + _as_compute(np, a.bias)[0]


def _matmul_infer(a: A) -> TensorMeta:
    x, y = _tensor(a.self, "self"), _tensor(a.other, "other")
    return TensorMeta(_same_dtype(x, y), matmul_shape(x.shape, y.shape))


def _matmul_ref(a: A):
    import numpy as np

    return np.matmul(*_as_compute(np, a.self, a.other))


def _addmm_infer(rank: int, m1: str, m2: str):
    def infer(a: A) -> TensorMeta:
        s, x, y = _tensor(a.self, "self"), _tensor(a[m1], m1), _tensor(a[m2], m2)
        if len(x.shape) != rank or len(y.shape) != rank:
            raise ShapeError(f"{m1} and {m2} must be {rank}-d, got {list(x.shape)} and {list(y.shape)}")
        if rank == 3 and x.shape[0] != y.shape[0]:
            raise ShapeError(f"batch sizes differ: {list(x.shape)} and {list(y.shape)}")
        out = matmul_shape(x.shape, y.shape)
        if broadcast(s.shape, out) != out:
            raise ShapeError(f"self {list(s.shape)} does not broadcast to the product's shape {list(out)}")
        return TensorMeta(_same_dtype(s, x, y), out)

    return infer


def _addmm_ref(m1: str, m2: str):
    def ref(a: A):
        import numpy as np

        s, x, y = _as_compute(np, a.self, a[m1], a[m2])
        out = np.matmul(x, y) * a.alpha
        # beta == 0 ignores self entirely (its NaNs and infs included), as torch does
        return out if a.beta == 0 else out + s * a.beta

    return ref


define("linear(Tensor input, Tensor weight, Tensor? bias=None) -> Tensor", _linear_infer, _linear_ref)
define("matmul(Tensor self, Tensor other) -> Tensor", _matmul_infer, _matmul_ref)
define("addmm(Tensor self, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1) -> Tensor",
       _addmm_infer(2, "mat1", "mat2"), _addmm_ref("mat1", "mat2"))
define("baddbmm(Tensor self, Tensor batch1, Tensor batch2, *, Scalar beta=1, Scalar alpha=1) -> Tensor",
       _addmm_infer(3, "batch1", "batch2"), _addmm_ref("batch1", "batch2"))


# ---------------------------------------------------------------------------------------------
# einsum

_Parsed = tuple[dict[str, int], tuple[int, ...], str]


def _letters(s: str) -> bool:
    return all(c.isalpha() for c in s)


def _parse_einsum(equation: str, shapes: list[tuple[int, ...]]) -> _Parsed:
    """Sizes per letter, the broadcast ellipsis shape and the output subscripts (explicit or
    implicit: '...' then the letters used once, in ASCII order, as torch orders labels)."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ShapeError(f"{equation!r} has {len(terms)} operands, {len(shapes)} tensors given")
    sizes: dict[str, int] = {}
    ellipses = []
    for term, shape in zip(terms, shapes):
        pre, dots, post = term.partition("...")
        n_ell = len(shape) - len(pre) - len(post)
        if "..." in post or (not dots and n_ell) or n_ell < 0 or not _letters(pre + post):
            raise ShapeError(f"einsum subscripts {term!r} do not fit an operand of shape {list(shape)}")
        ellipses.append(shape[len(pre): len(pre) + n_ell])
        for c, d in zip(pre + post, shape[:len(pre)] + shape[len(shape) - len(post):]):
            known = sizes.get(c, d)
            if known != d and 1 not in (known, d):
                raise ShapeError(f"einsum subscript {c!r} has sizes {known} and {d}")
            sizes[c] = max(known, d) if 1 in (known, d) else d
    ell = broadcast(*ellipses)
    if arrow:
        out = rhs
        letters = out.replace("...", "")
        if not _letters(letters) or len(set(letters)) != len(letters) or out.count("...") > 1 or \
                any(c not in sizes for c in letters):
            raise ShapeError(f"einsum output subscripts {rhs!r} are invalid")
    else:
        once = sorted(c for c in sizes if lhs.count(c) == 1)
        out = ("..." if "..." in lhs else "") + "".join(once)
    return sizes, ell, out


def _einsum_infer(a: A) -> TensorMeta:
    metas = [_tensor(t, "tensors") for t in a.tensors]
    if not metas:
        raise ShapeError("needs at least one tensor")
    sizes, ell, out = _parse_einsum(a.equation, [m.shape for m in metas])
    pre, _, post = out.partition("...")
    shape = [sizes[c] for c in pre] + (list(ell) if "..." in out else []) + [sizes[c] for c in post]
    return TensorMeta(_same_dtype(*metas), tuple(shape))


def _einsum_ref(a: A):
    import numpy as np

    arrays = _as_compute(np, *a.tensors)
    sizes, _, out = _parse_einsum(a.equation, [x.shape for x in arrays])
    lhs = a.equation.replace(" ", "").partition("->")[0]
    expanded = []
    for term, x in zip(lhs.split(","), arrays):
        # torch broadcasts size-1 dims of a subscript; numpy's einsum does not
        pre, _, post = term.partition("...")
        ell = x.shape[len(pre): x.ndim - len(post)]
        target = [sizes[c] for c in pre] + list(ell) + [sizes[c] for c in post]
        expanded.append(np.broadcast_to(x, target))
    return np.einsum(f"{lhs}->{out}", *expanded, optimize=len(arrays) > 2)


define("einsum(str equation, Tensor[] tensors, *, int[]? path=None) -> Tensor", _einsum_infer, _einsum_ref)


# ---------------------------------------------------------------------------------------------
# Spellings


def _ranks(g: Graph, op: str, src: str, *pairs: tuple[Ref, int]) -> None:
    for ref, rank in pairs:
        shape = g.meta(ref).shape if isinstance(ref, Ref) else None
        if shape is None or len(shape) != rank:
            raise ShapeError(f"{op}: expected a {rank}-d tensor, got "
                             f"{list(shape) if shape is not None else repr(ref)} at {src}")


def _product_lowering(op: str, rank_a: int, rank_b: int, second: str):
    def lower(g: Graph, a: A, src: str) -> list[Ref]:
        _ranks(g, op, src, (a.self, rank_a), (a[second], rank_b))
        return emit(g, "matmul", src, a.self, a[second])

    lowering(f"{op}(Tensor self, Tensor {second}) -> Tensor")(lower)


_product_lowering("mm", 2, 2, "mat2")
_product_lowering("bmm", 3, 3, "mat2")
_product_lowering("mv", 2, 1, "vec")
_product_lowering("dot", 1, 1, "tensor")
_product_lowering("vdot", 1, 1, "other")


def _reshape(g: Graph, x: Ref, shape: list[int], src: str) -> Ref:
    return lower_call(g, "reshape", [x, shape], {}, src)[0]


def _outer(g: Graph, a: A, src: str) -> list[Ref]:
    """A column times a row."""
    _ranks(g, "outer", src, (a.self, 1), (a.vec2, 1))
    return emit(g, "matmul", src, _reshape(g, a.self, [-1, 1], src), _reshape(g, a.vec2, [1, -1], src))


lowering("outer(Tensor self, Tensor vec2) -> Tensor")(_outer)
lowering("ger(Tensor self, Tensor vec2) -> Tensor")(_outer)


def _scaled_add(g: Graph, a: A, product: Ref, src: str) -> list[Ref]:
    """beta * self + alpha * product, with torch's rule that beta == 0 ignores self."""
    if a.beta == 0:
        return [product] if a.alpha == 1 else lower_call(g, "mul", [product, a.alpha], {}, src)
    base = a.self if a.beta == 1 else lower_call(g, "mul", [a.self, a.beta], {}, src)[0]
    return lower_call(g, "add", [base, product], {"alpha": a.alpha}, src)


@lowering("addmv(Tensor self, Tensor mat, Tensor vec, *, Scalar beta=1, Scalar alpha=1) -> Tensor")
def _lower_addmv(g: Graph, a: A, src: str) -> list[Ref]:
    _ranks(g, "addmv", src, (a.mat, 2), (a.vec, 1))
    return _scaled_add(g, a, emit(g, "matmul", src, a.mat, a.vec)[0], src)


@lowering("addbmm(Tensor self, Tensor batch1, Tensor batch2, *, Scalar beta=1, Scalar alpha=1) -> Tensor")
def _lower_addbmm(g: Graph, a: A, src: str) -> list[Ref]:
    """The batch-summed product is one matmul: (n, b*m) @ (b*m, p)."""
    _ranks(g, "addbmm", src, (a.batch1, 3), (a.batch2, 3))
    b, n, m = g.meta(a.batch1).shape
    rows = _reshape(g, lower_call(g, "permute", [a.batch1, [1, 0, 2]], {}, src)[0], [n, b * m], src)
    product = emit(g, "matmul", src, rows, _reshape(g, a.batch2, [b * m, -1], src))[0]
    return _scaled_add(g, a, product, src)
