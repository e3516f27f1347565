"""In-place writes of the torch.export TRAINING IR, made functional.

The default export keeps in-place ops (`relu_`, `index_put_` behind `y[0, idx] = v`) and views
that share memory with their base. The graph we build is functional, so a write through a view
is replayed the way torch's functionalization does it: the written view is scattered back into
each base along its view chain (`select_scatter`, `slice_scatter`, an inverse permute...), and
other views of the same memory that are read later are recomputed from the updated base.
When that is impossible (a view that may be a copy, like `reshape`), the op is refused rather
than converted wrongly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import UnsupportedError
from ..ir import Graph, Ref
from ..ops import registry

# Ops whose result shares memory with their `self` argument.
VIEW_OPS = {"view", "_unsafe_view", "reshape", "alias", "as_strided", "select", "slice", "narrow",
            "expand", "expand_as", "permute", "transpose", "t", "squeeze", "unsqueeze", "flatten",
            "unflatten", "view_as", "diagonal", "split", "split_with_sizes", "chunk", "unbind",
            "movedim", "swapaxes", "detach", "unfold", "contiguous", "reshape_as", "tensor_split",
            "view_as_real", "real", "imag"}
# Views that are always views (never copies) and whose writes can be scattered back exactly.
_EXACT = {"view", "_unsafe_view", "alias", "detach", "select", "slice", "narrow", "squeeze",
          "unsqueeze", "unflatten", "view_as", "permute", "transpose", "t", "movedim", "swapaxes"}


@dataclass
class View:
    base: str
    op: str
    overload: str
    args: dict[str, Any]  # the view op's arguments other than `self`


class Aliases:
    """Which values share memory, and how to rebuild them after a write (one graph scope)."""

    def __init__(self, last_use: dict[str, int]):
        self.last_use = last_use
        self.parent: dict[str, View] = {}
        self.root: dict[str, str] = {}

    def record(self, out: str, base: str, op: str, overload: str, args: dict[str, Any]) -> None:
        """`out` = op(base, **args) shares memory with `base` (op "alias": `out` is `base`)."""
        self.root[out] = self.root.get(base, base)
        self.parent[out] = View(base, op, overload, {k: v for k, v in args.items() if k != "self"})

    def write(self, g: Graph, env: dict[str, Any], name: str, value: Ref, index: int,
              target: str, src: str) -> None:
        """`name` now holds `value` (node `index` wrote it in place): update env for every value
        sharing its memory that is read after `index`, or refuse."""
        updated = {name: value}
        cur = name
        while cur in self.parent:
            view = self.parent[cur]
            new = scatter_back(g, env[view.base], updated[cur], view, src)
            if new is None:
                break
            updated[view.base] = new
            cur = view.base
        root = self.root.get(name, name)
        for other, r in list(self.root.items()) + [(root, root)]:
            if r != root or other in updated or self.last_use.get(other, -1) <= index:
                continue
            value_now = self._replay(g, other, updated, env, src)
            if value_now is None:
                raise UnsupportedError("in-place op on shared memory", [(
                    f"{target} writes memory that {other!r} reads later, through a view that may be a "
                    f"copy (export with run_decompositions() to make the program functional)", src)])
            updated[other] = value_now
        env.update(updated)

    def _replay(self, g: Graph, name: str, updated: dict[str, Any], env: dict[str, Any],
                src: str) -> Any:
        if name in updated:
            return updated[name]
        view = self.parent.get(name)
        if view is None or view.op not in _EXACT:
            return None
        base = self._replay(g, view.base, updated, env, src)
        if base is None:
            return None
        value = lower_view_op(g, view.op, view.overload, base, view.args, src)
        updated[name] = value
        return value


def lower_view_op(g: Graph, op: str, overload: str, self_: Any, args: dict[str, Any], src: str) -> Any:
    if op in ("alias", "detach"):
        return self_
    return registry.lower_call(g, op, [], {"self": self_, **args}, src, overload)[0]


def scatter_back(g: Graph, base: Any, written: Any, view: View, src: str) -> Any:
    """The new value of `base` after `view` of it was overwritten with `written`; None if the
    view cannot be inverted exactly."""
    op, a = view.op, view.args
    if op not in _EXACT:
        return None
    if op in ("alias", "detach"):
        return written
    if op == "select":
        return registry.lower_call(g, "select_scatter", [], {
            "self": base, "src": written, "dim": a.get("dim"), "index": a.get("index")}, src)[0]
    if op in ("slice", "narrow"):
        dim = a.get("dim", 0)
        if op == "narrow":
            start, end, step = a.get("start"), a.get("start") + a.get("length"), 1
        else:
            start, end, step = a.get("start"), a.get("end"), a.get("step", 1)
        return registry.lower_call(g, "slice_scatter", [], {
            "self": base, "src": written, "dim": dim, "start": start, "end": end, "step": step}, src)[0]
    shape = list(g.meta(base).shape) if isinstance(base, Ref) else None
    if op in ("permute", "transpose", "t", "movedim", "swapaxes"):
        ndim = len(g.meta(written).shape)
        perm = _permutation(op, a, ndim)
        inverse = [perm.index(i) for i in range(ndim)]
        return registry.lower_call(g, "permute", [], {"self": written, "dims": inverse}, src)[0]
    if shape is None:
        return None
    return registry.lower_call(g, "reshape", [], {"self": written, "shape": shape}, src)[0]


def _permutation(op: str, a: dict[str, Any], ndim: int) -> list[int]:
    """Which input dim each output dim of a permuting view comes from."""
    perm = list(range(ndim))
    if op == "permute":
        return [d % ndim for d in a["dims"]]
    if op == "t":
        return perm[::-1] if ndim == 2 else perm
    if op in ("transpose", "swapaxes"):
        d0, d1 = (a.get("dim0", a.get("axis0")) % ndim, a.get("dim1", a.get("axis1")) % ndim)
        perm[d0], perm[d1] = perm[d1], perm[d0]
        return perm
    # movedim with int or list source/destination
    src_dims = a["source"] if isinstance(a["source"], list) else [a["source"]]
    dst_dims = a["destination"] if isinstance(a["destination"], list) else [a["destination"]]
    src_dims = [d % ndim for d in src_dims]
    dst_dims = [d % ndim for d in dst_dims]
    out: list[int | None] = [None] * ndim
    for s, d in zip(src_dims, dst_dims):
        out[d] = s
    rest = iter(d for d in range(ndim) if d not in src_dims)
    return [o if o is not None else next(rest) for o in out]
