"""The canonical op graph shared by every frontend, pass, the plan writer and the runtimes.

A graph holds named values with a dtype and a static shape, nodes that apply one canonical op
(see `ops/`) to named arguments, and constants (weights) as zero-copy tensor data.

Node arguments follow the op's schema: every argument is present (defaults filled in), tensor
arguments hold a `Ref` (or a list of `Ref`/None for `Tensor[]`, or None when optional), all other
arguments hold plain Python values. A tensor argument may also hold a Python number, which takes
part in type promotion as a "wrapped number", like `x + 1` does in torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Ref:
    """A reference to a graph value by name."""

    name: str

    def __repr__(self) -> str:
        return f"%{self.name}"


@dataclass
class TensorMeta:
    """dtype and static shape of a value."""

    dtype: str
    shape: tuple[int, ...]

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    def __repr__(self) -> str:
        return f"{self.dtype}{list(self.shape)}"


@dataclass
class Node:
    op: str
    args: dict[str, Any]
    outputs: list[str]
    # Where the op came from: "code/__torch__/models.py:12" or "node conv2d (L__self__.conv1: Conv2d)".
    source: str = ""

    def input_refs(self) -> list[Ref]:
        return list(iter_refs(self.args.values()))


def iter_refs(values: Any):
    """Yield every Ref inside a value, recursing into lists and tuples."""
    for v in values:
        if isinstance(v, Ref):
            yield v
        elif isinstance(v, (list, tuple)):
            yield from iter_refs(v)


@dataclass
class Graph:
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    values: dict[str, TensorMeta] = field(default_factory=dict)
    # Weights and tensor constants: name -> formats.tensor.TensorData (zero-copy views).
    constants: dict[str, Any] = field(default_factory=dict)
    # For each constant: the state_dict name it came from (so --weights can replace it).
    param_names: dict[str, str] = field(default_factory=dict)
    # User-facing names of inputs/outputs ("x", "ids", "output_0").
    input_names: list[str] = field(default_factory=list)
    output_names: list[str] = field(default_factory=list)

    def new_name(self, hint: str) -> str:
        base = hint.replace(".", "_") or "v"
        name, i = base, 1
        while name in self.values or name in self.constants:
            name = f"{base}_{i}"
            i += 1
        return name

    def add_input(self, name: str, meta: TensorMeta) -> Ref:
        self.inputs.append(name)
        self.values[name] = meta
        return Ref(name)

    def add_constant(self, name: str, data: Any, param_name: str | None = None) -> Ref:
        """Add a constant tensor (an object with .dtype and .shape, e.g. TensorData)."""
        self.constants[name] = data
        self.values[name] = TensorMeta(data.dtype, tuple(data.shape))
        if param_name is not None:
            self.param_names[name] = param_name
        return Ref(name)

    def add_node(self, op: str, args: dict[str, Any], source: str = "", hint: str = "") -> list[Ref]:
        """Append a node, inferring output metas from the op's registry entry."""
        from .ops import registry

        opdef = registry.get(op)
        metas = opdef.infer_meta(self, args, source)
        outs = []
        for i, meta in enumerate(metas):
            name = self.new_name(hint or f"{op}_{i}" if len(metas) > 1 else hint or op)
            self.values[name] = meta
            outs.append(name)
        self.nodes.append(Node(op, args, outs, source))
        return [Ref(n) for n in outs]

    def meta(self, ref: Ref) -> TensorMeta:
        return self.values[ref.name]

    def op_histogram(self) -> dict[str, int]:
        hist: dict[str, int] = {}
        for n in self.nodes:
            hist[n.op] = hist.get(n.op, 0) + 1
        return dict(sorted(hist.items(), key=lambda kv: (-kv[1], kv[0])))


def dump(g: Graph) -> str:
    """A canonical text form of the graph (one line per input, constant, node and output).

    Two conversions of the same file agree exactly when their dumps are equal, which is how
    CPython and Pyodide conversions are compared.
    """
    lines = [f"input %{n}: {g.values[n]!r}" for n in g.inputs]
    lines += [f"const %{n}: {g.values[n]!r} = {g.param_names.get(n, '')}" for n in sorted(g.constants)]
    for node in g.nodes:
        args = ", ".join(f"{k}={v!r}" for k, v in node.args.items())
        outs = ", ".join(f"%{o}: {g.values[o]!r}" for o in node.outputs)
        lines.append(f"{outs} = {node.op}({args})")
    lines.append("return " + ", ".join(f"%{n}" for n in g.outputs))
    return "\n".join(lines)
