"""Values the TorchScript evaluator works with besides Python values and tensor `Ref`s.

Python values (int, float, bool, str, None, list, tuple, dict) are kept as themselves; graph
tensors are `ir.Ref`; everything else TorchScript code can hold is one of the classes below.
None of them ever wraps something the archive could use to reach real Python objects: attribute
access goes through explicit dictionaries, never `getattr`.
"""

from __future__ import annotations

from typing import Any

from ..errors import UnsupportedError


class ScalarTensor:
    """A 0-d tensor whose value is known while converting.

    Traced code turns sizes into tensors (`ops.prim.NumToTensor(torch.size(x, 0))`) and keeps
    scalar constants as 0-d tensors (`CONSTANTS.c0`); shape arithmetic on them folds in Python.
    When one reaches a real tensor op it becomes a graph constant (`data` when it came from the
    archive, so the original storage is reused).

    `wrapped`: TorchScript loads 0-d constants as "wrapped numbers" (what a Python scalar becomes
    when traced), which take part in type promotion like Python numbers: `i * CONSTANTS.c0` with
    int64 `i` and c0 = tensor(2.5, float64) gives float32. NumToTensor results are not wrapped.
    """

    __slots__ = ("value", "dtype", "data", "wrapped")

    def __init__(self, value: int | float | bool, dtype: str, data: Any = None, wrapped: bool = False):
        self.value, self.dtype, self.data, self.wrapped = value, dtype, data, wrapped

    def __repr__(self) -> str:
        return f"tensor({self.value!r}, {self.dtype})"


class Unknown:
    """The result of an op that has no lowering: conversion goes on to find every such op."""

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = Unknown()


class Uninitialized:
    """`uninitialized(T)`: a placeholder only ever read on paths that raise."""

    def __repr__(self) -> str:
        return "<uninitialized>"


UNINITIALIZED = Uninitialized()


class Namespace:
    """A dotted name being built up: `torch`, `ops.prim`, `__torch__.torch.nn.functional.relu`."""

    __slots__ = ("dotted",)

    def __init__(self, dotted: str):
        self.dotted = dotted

    def __repr__(self) -> str:
        return self.dotted


class ObjectValue:
    """An instance of a TorchScript class: a module from data.pkl or an object made in code.

    `attrs` holds its attributes as read from the archive (TensorData, stub objects, Python
    values); `path` is its dotted module path from the root ("" for the root, "block.conv1"),
    used to name parameters after the state_dict.
    """

    __slots__ = ("qualname", "attrs", "path")

    def __init__(self, qualname: str, attrs: dict[str, Any], path: str):
        self.qualname, self.attrs, self.path = qualname, attrs, path

    def __repr__(self) -> str:
        return f"<{self.qualname} {self.path or 'root'}>"


class BoundMethod:
    __slots__ = ("owner", "name")

    def __init__(self, owner: ObjectValue, name: str):
        self.owner, self.name = owner, name


def has_unknown(v: Any) -> bool:
    if isinstance(v, Unknown):
        return True
    if isinstance(v, (list, tuple)):
        return any(has_unknown(x) for x in v)
    if isinstance(v, dict):
        return any(has_unknown(x) for x in v.values())
    return False


def unsupported(what: str, src: str) -> UnsupportedError:
    """An UnsupportedError whose `problems` carry the construct and its `code/` location."""
    return UnsupportedError("unsupported TorchScript", [(what, src)])
