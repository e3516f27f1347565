"""Compute small tensors that depend on constants only, without numpy (it runs inside Pyodide).

Used to decide control flow at conversion time, e.g. a `torch.cond` whose predicate is
`self.flag.sum() > 0` on a buffer. Only a handful of ops matter for such predicates: elementwise
arithmetic and comparisons, logical ops, full reductions and shape-only ops. Anything else, or
anything reading a graph input, is "not constant" (None).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from .. import dtypes
from ..errors import FormatError
from ..ir import Graph, Node, Ref

# Larger constants are not worth folding here (predicates are scalars).
MAX_FOLD_ELEMENTS = 4096
MAX_FOLD_DEPTH = 64

Values = list[Any]  # flat row-major values

_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le,
    "eq": operator.eq, "ne": operator.ne,
    "logical_and": lambda a, b: bool(a) and bool(b), "logical_or": lambda a, b: bool(a) or bool(b),
    "logical_xor": lambda a, b: bool(a) != bool(b),
    "bitwise_and": operator.and_, "bitwise_or": operator.or_, "bitwise_xor": operator.xor,
    "maximum": max, "minimum": min,
}
_UNARY: dict[str, Callable[[Any], Any]] = {
    "neg": operator.neg, "abs": abs, "logical_not": operator.not_,
    "bitwise_not": lambda a: not a if isinstance(a, bool) else ~a,
}
_REDUCE: dict[str, Callable[[Values], Any]] = {
    "sum": sum, "any": any, "all": all, "amax": max, "amin": min, "max": max, "min": min,
    "mean": lambda v: sum(v) / len(v),
}
# Ops that keep the values in order and change only shape or dtype.
_SAME_VALUES = {"reshape", "view", "flatten", "squeeze", "unsqueeze", "contiguous", "clone", "alias",
                "detach", "to", "_to_copy", "type_as"}
# Ops that pick or repeat elements: folded only when one element goes in and one comes out.
_ONE_ELEMENT = {"select", "slice", "expand", "permute", "transpose", "t", "index_select"}


def fold(g: Graph, producers: dict[str, Node], ref: Ref, depth: int = 0) -> Values | None:
    """Flat values of `ref` if it is computable from graph constants alone, else None."""
    if depth > MAX_FOLD_DEPTH:
        return None
    if ref.name in g.constants:
        data = g.constants[ref.name]
        if data.numel > MAX_FOLD_ELEMENTS:
            return None
        try:
            return data.tolist()
        except FormatError:  # a dtype Python cannot decode (bfloat16 is fine) does not fold
            return None
    node = producers.get(ref.name)
    if node is None or len(node.outputs) != 1:
        return None
    out = g.values[ref.name]
    if out.numel > MAX_FOLD_ELEMENTS:
        return None
    values = _apply(g, producers, node, out.numel, depth)
    if values is None or len(values) != out.numel:
        return None
    return [_cast(v, out.dtype) for v in values]


def _operand(g: Graph, producers: dict[str, Node], v: Any, depth: int) -> Values | None:
    if isinstance(v, Ref):
        return fold(g, producers, v, depth + 1)
    if isinstance(v, (bool, int, float)):
        return [v]
    return None


def _apply(g: Graph, producers: dict[str, Node], node: Node, numel: int, depth: int) -> Values | None:
    op, a = node.op, node.args
    if op in _BINARY or op == "div":
        x = _operand(g, producers, a.get("self"), depth)
        y = _operand(g, producers, a.get("other"), depth)
        if x is None or y is None or not (len(x) == len(y) or len(x) == 1 or len(y) == 1):
            return None
        n = max(len(x), len(y))
        xs, ys = (x * n if len(x) == 1 else x), (y * n if len(y) == 1 else y)
        alpha = a.get("alpha", 1)
        if op in ("add", "sub") and alpha not in (1, None):
            ys = [v * alpha for v in ys]
        try:
            if op == "div":
                return [_divide(p, q, a.get("rounding_mode")) for p, q in zip(xs, ys)]
            return [_BINARY[op](p, q) for p, q in zip(xs, ys)]
        except (ArithmeticError, TypeError):
            return None
    x = _operand(g, producers, a.get("self"), depth)
    if x is None:
        return None
    if op in _UNARY:
        return [_UNARY[op](v) for v in x]
    if op in _REDUCE and numel == 1 and x:
        return [_REDUCE[op](x)]
    if (op in _SAME_VALUES and len(x) == numel) or (op in _ONE_ELEMENT and len(x) == numel == 1):
        return x
    return None


def _divide(p: Any, q: Any, mode: str | None) -> Any:
    r = p / q
    if mode == "floor":
        return p // q if isinstance(p, int) and isinstance(q, int) else float(int(r // 1))
    if mode == "trunc":
        return int(r)
    return r


def _cast(v: Any, dtype: str) -> Any:
    if dtype == "bool":
        return bool(v)
    if dtypes.is_int(dtype):
        return int(v)
    return float(v)
