"""In-place writes in TorchScript code, made functional.

TorchScript code writes through views: `y[:, idx] = v` is traced as
`_0 = torch.slice(y, 0, 0, N); torch.index_put_(_0, [None, idx], v)` and later reads `y`. The
graph is functional, so a write produces a new value, which is scattered back into the view's
base (`slice_scatter`, `select_scatter`, an inverse permute, ...); views of that base taken
earlier are recomputed from it when they are read again. A write through a view that may be a
copy (`reshape`, `split`, ...) cannot be scattered back: reading that base afterwards is refused.

Values are tracked by object identity: ops that alias their input (views, and lowerings such as
`contiguous` or eval-mode `dropout` that hand back the input itself) return objects tied to it,
while copies (`clone`) get a fresh `Ref` object even when they lower to no node.
"""

from __future__ import annotations

from typing import Any

from ..ir import Graph, Ref
from .inplace import VIEW_OPS, View, lower_view_op, scatter_back
from .torchscript_values import unsupported

# Ops that copy although their lowering may return the input value itself.
COPY_OPS = frozenset({"clone", "_to_copy", "lift_fresh_copy"})


class _Stale:
    """A base whose memory was written through a view that cannot be scattered back."""

    def __init__(self, what: str):
        self.what = what


class Aliases:
    def __init__(self, g: Graph):
        self.g = g
        # id(view) -> (view, its base, how it was taken); the objects are kept alive here.
        self._views: dict[int, tuple[Ref, Ref, View]] = {}
        # id(value) -> (value, what it holds now: a newer value or _Stale)
        self._latest: dict[int, tuple[Ref, Any]] = {}

    def record_view(self, out: Any, base: Any, op: str, args: dict[str, Any]) -> None:
        if isinstance(out, Ref) and isinstance(base, Ref) and out is not base and op in VIEW_OPS:
            rest = {k: v for k, v in args.items() if k != "self"}
            self._views[id(out)] = (out, base, View(base.name, op, "", rest))

    def resolve(self, v: Any, src: str) -> Any:
        """The current value of `v`, after every in-place write that reached its memory."""
        while isinstance(v, Ref):
            latest = self._latest.get(id(v))
            if latest is not None:
                if isinstance(latest[1], _Stale):
                    raise unsupported(f"reading a tensor after {latest[1].what}", src)
                v = latest[1]
                continue
            view = self._views.get(id(v))
            if view is None:
                return v
            _, base, how = view
            base_now = self.resolve(base, src)
            if base_now is base:
                return v
            new = lower_view_op(self.g, how.op, how.overload, base_now, how.args, src)
            self.record_view(new, base_now, how.op, how.args)
            self._latest[id(v)] = (v, new)
            v = new
        return v

    def resolve_all(self, v: Any, src: str) -> Any:
        if isinstance(v, Ref):
            return self.resolve(v, src)
        if isinstance(v, (list, tuple)):
            return type(v)(self.resolve_all(x, src) for x in v)
        if isinstance(v, dict):
            return {k: self.resolve_all(x, src) for k, x in v.items()}
        return v

    def write(self, target: Ref, value: Ref, op: str, src: str) -> None:
        """`op` wrote `value` into `target` in place: update everything sharing its memory."""
        self._latest[id(target)] = (target, value)
        cur, cur_value = target, value
        while id(cur) in self._views:
            _, base, how = self._views[id(cur)]
            base_now = self.resolve(base, src)
            new_base = scatter_back(self.g, base_now, cur_value, how, src)
            if new_base is None:
                stale = _Stale(f"{op} wrote it through a `{how.op}` view (which may be a copy) at {src}")
                self._latest[id(base_now)] = (base_now, stale)
                return
            self._latest[id(base_now)] = (base_now, new_base)
            self.record_view(cur_value, new_base, how.op, how.args)
            cur, cur_value = base_now, new_base
