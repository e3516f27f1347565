"""Layout planning for the wasm backend's vision ops: which 4-d activations live NHWC.

The graph is NCHW (torch's layout); the convolution and pooling kernels are NHWC (channels
last, as XNNPACK). Converting around every op would cost a transpose per op, so activations
stay NHWC from one vision op to the next: a value is stored NHWC when a vision op produces it,
or when an elementwise op (relu, clamp, an activation, add/sub/mul/div of 4-d activations or
numbers), a pad, a group norm or a cat produces it from NHWC operands. Layout
changes (plan op LAYOUT) are inserted by the lowering only where a value crosses the border: a
graph input into a convolution, an NHWC value into an op that needs NCHW (a reshape/flatten of
a 4-d tensor, unless its H and W are 1, where both layouts share their bytes), or a graph output.

This pass also pairs each convolution with the eval-mode batch norm that alone reads its result,
so the lowering emits one CONV2D whose weights the runtime folds the batch norm into at load, and
finds the zero constant pads that only convolutions read, which become those convolutions' padding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..ir import Graph, Node, Ref

# ops whose 4-d input and output the kernels hold NHWC
VISION_OPS = frozenset({"conv2d", "batch_norm", "max_pool2d", "max_pool2d_with_indices", "avg_pool2d",
                        "adaptive_avg_pool2d", "conv_transpose2d", "adaptive_max_pool2d", "upsample_nearest2d",
                        "upsample_bilinear2d", "_upsample_nearest_exact2d", "upsample_bicubic2d"})
NHWC_AXES = (0, 3, 1, 2)  # NCHW dim -> its position in the NHWC bytes
BINARY_OPS = frozenset({"add", "sub", "mul", "div"})
PAD_OPS = frozenset({"constant_pad_nd", "reflection_pad2d", "replication_pad2d", "_pad_circular"})
# elementwise activations of one operand (UNARY), lowered as they are on NCHW values
ACTIVATION_OPS = frozenset({"sigmoid", "tanh", "silu", "hardswish", "hardsigmoid", "gelu", "leaky_relu", "elu",
                            "selu", "mish", "softplus"})
# ops that run on either layout (their output follows their input): elementwise ops, pads, group norm
PASSTHROUGH_OPS = frozenset({"relu", "clamp", "group_norm"}) | PAD_OPS | ACTIVATION_OPS
NCHW_TO_NHWC = 0
NHWC_TO_NCHW = 1


def nhwc_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    n, c, h, w = shape
    return (n, h, w, c)


@dataclass
class Layout:
    nhwc: set[str] = field(default_factory=set)            # graph values stored NHWC
    fold: dict[str, Node] = field(default_factory=dict)    # conv output -> the batch norm folded into it
    folded: set[int] = field(default_factory=set)          # id() of folded batch norm nodes
    # zero constant pad read only by convolutions -> (its input, padding top, left, bottom, right)
    zero_pad: dict[str, tuple[str, int, int, int, int]] = field(default_factory=dict)
    converted: dict[tuple[str, int], str] = field(default_factory=dict)  # (value, direction) -> copy
    node_nhwc: bool = False                                # the node being lowered runs on NHWC

    def begin(self, node: Node) -> None:
        """Called before each node is lowered: does it run on NHWC operands?"""
        self.node_nhwc = bool(node.outputs) and node.outputs[0] in self.nhwc

    def operand(self, c: Any, name: str) -> str:
        """The value an op reads for graph value `name`, in the layout the current node runs in."""
        if self.node_nhwc:
            return self.to_nhwc(c, name)
        if name in self.nhwc:
            return self.convert(c, name, NHWC_TO_NCHW)
        return name

    def to_nhwc(self, c: Any, name: str) -> str:
        if name in self.nhwc or name not in c.g.values or len(c.g.values[name].shape) != 4:
            return name
        return self.convert(c, name, NCHW_TO_NHWC)

    def convert(self, c: Any, name: str, direction: int) -> str:
        """A LAYOUT op writing `name` in the other layout (once per value and direction)."""
        from ..plan import OpCode, PlanOp

        key = (name, direction)
        if key not in self.converted:
            copy, i = f"{name}_{'nhwc' if direction == NCHW_TO_NHWC else 'nchw'}", 1
            while copy in c.g.values or copy in c.extra:
                copy, i = f"{copy}{i}", i + 1
            shape = tuple(c.g.values[name].shape)
            c.extra[copy] = nhwc_shape(shape) if direction == NCHW_TO_NHWC else shape
            c.ops.append(PlanOp(OpCode.LAYOUT, [name], [copy], "layout", f"{name} to "
                                f"{'NHWC' if direction == NCHW_TO_NHWC else 'NCHW'}", params=(direction,)))
            self.converted[key] = copy
        return self.converted[key]


def _users(g: Graph) -> dict[str, list[Node]]:
    users: dict[str, list[Node]] = {}
    for node in g.nodes:
        for ref in node.input_refs():
            users.setdefault(ref.name, []).append(node)
    return users


def _const(g: Graph, ref: Any) -> bool:
    return isinstance(ref, Ref) and ref.name in g.constants


def _activation_4d(g: Graph, ref: Ref) -> bool:
    return len(g.values[ref.name].shape) == 4 and g.values[ref.name].dtype == "float32" and not _const(g, ref)


def _nhwc_binary(g: Graph, layout: Layout, node: Node) -> bool:
    """add/sub/mul/div of 4-d activations (broadcasting among themselves, e.g. a squeeze-excite
    scale [N, C, 1, 1]) and numbers, one operand NHWC: computed on the NHWC bytes. A constant or
    lower-rank operand broadcasts against NCHW dims, so it keeps the op in NCHW."""
    a = node.args
    if a.get("alpha", 1) != 1 or a.get("rounding_mode") is not None:
        return False
    operands = [a["self"], a["other"]]
    refs = [v for v in operands if isinstance(v, Ref)]
    numbers = [v for v in operands if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return len(refs) + len(numbers) == 2 and all(_activation_4d(g, r) for r in refs) \
        and any(r.name in layout.nhwc for r in refs) and len(g.values[node.outputs[0]].shape) == 4


def _nhwc_cat(g: Graph, layout: Layout, tensors: list) -> bool:
    """cat of 4-d float activations, one of them NHWC: concatenated in NHWC (a skip connection)."""
    refs = [t for t in tensors if isinstance(t, Ref)]
    return len(refs) == len(tensors) and any(r.name in layout.nhwc for r in refs) and all(
        _activation_4d(g, r) for r in refs)


def plan_layout(g: Graph) -> Layout:
    layout = Layout()
    users = _users(g)
    outputs = set(g.outputs)
    producer = {n.outputs[0]: n for n in g.nodes if n.outputs}
    for node in g.nodes:
        a = node.args
        x = a.get("input", a.get("self"))
        if node.op == "cat" and _nhwc_cat(g, layout, a["tensors"]):
            layout.nhwc.add(node.outputs[0])
        if not isinstance(x, Ref):
            continue
        rank = len(g.values[x.name].shape)
        if node.op in VISION_OPS and rank == 4:
            layout.nhwc.add(node.outputs[0])
        elif node.op in PASSTHROUGH_OPS and x.name in layout.nhwc:
            layout.nhwc.add(node.outputs[0])
        elif node.op in BINARY_OPS and _nhwc_binary(g, layout, node):
            layout.nhwc.add(node.outputs[0])
        if node.op == "batch_norm" and rank == 4 and not a["training"] and len(users.get(x.name, [])) == 1 \
                and x.name not in outputs and all(_const(g, a[k]) for k in ("weight", "bias", "running_mean",
                                                                         "running_var")):
            conv = producer.get(x.name)
            if conv is not None and conv.op == "conv2d":
                layout.fold[x.name] = node
                layout.folded.add(id(node))
        pad, out = list(a.get("pad") or []), Ref(node.outputs[0])
        if node.op == "constant_pad_nd" and rank == 4 and a["value"] == 0 and 0 < len(pad) <= 4 \
                and min(pad) >= 0 and out.name not in outputs and not _const(g, x) and users.get(out.name) \
                and all(u.op == "conv2d" and u.args["input"] == out and u.input_refs().count(out) == 1
                        for u in users[out.name]):
            left, right, top, bottom = pad + [0] * (4 - len(pad))
            layout.zero_pad[node.outputs[0]] = (x.name, top, left, bottom, right)
    return layout
