"""1-d spatial ops as 2-d ones with a width of 1, so they run on the NHWC vision kernels.

conv1d(x [N, C, L]) becomes reshape(conv2d(reshape(x, [N, C, L, 1]), w [OC, ICg, K, 1]), [N, OC, L']),
and likewise for conv_transpose1d, the 1-d pools, batch norm of a 3-d input and the 1-d pads. A
chain of such ops stays 4-d: an op whose input is the squeeze of a lifted result reads that 4-d
result directly, so the reshapes in between are dead and the activations stay NHWC from one op to
the next (the layout pass then sees plain 2-d vision ops). relu and clamp of a lifted result are
lifted too, so they do not break the chain, and a mean over its length is a global average pool.
The length is the height (not the width) because the vision kernels split their work over output
rows: so a batch of one sequence still spreads over the threads.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..formats.tensor import TensorData
from ..ir import Graph, Node, Ref
from .dce import eliminate_dead_code


def _pair(v: Any, default: int) -> list[int]:
    """A 1-d op's int list as the 2-d one: [value (height), default (width)]; [] stays []."""
    v = [v] if isinstance(v, int) else list(v)
    return [v[0], default] if v else []


# op -> (2-d op, args -> 2-d args); only ops whose "self"/"input" is a batched [N, C, L] tensor
def _conv(a: dict, w: Ref) -> dict:
    return {**a, "weight": w, "stride": _pair(a["stride"], 1), "padding": _pair(a["padding"], 0),
            "dilation": _pair(a["dilation"], 1),
            **({"output_padding": _pair(a["output_padding"], 0)} if "output_padding" in a else {})}


_POOLS = {
    "max_pool1d": lambda a: {**a, "kernel_size": _pair(a["kernel_size"], 1), "stride": _pair(a["stride"], 1),
                             "padding": _pair(a["padding"], 0), "dilation": _pair(a["dilation"], 1)},
    "avg_pool1d": lambda a: {**a, "kernel_size": _pair(a["kernel_size"], 1), "stride": _pair(a["stride"], 1),
                             "padding": _pair(a["padding"], 0), "divisor_override": None},
    "adaptive_avg_pool1d": lambda a: {**a, "output_size": _pair(a["output_size"], 1)},
    "adaptive_max_pool1d": lambda a: {**a, "output_size": _pair(a["output_size"], 1)},
    # pads list the last dim (the width, 0 here) first
    "reflection_pad1d": lambda a: {**a, "padding": [0, 0, *a["padding"]]},
    "replication_pad1d": lambda a: {**a, "padding": [0, 0, *a["padding"]]},
    "_pad_circular": lambda a: {**a, "pad": [0, 0, *a["pad"]]},
    "constant_pad_nd": lambda a: {**a, "pad": [0, 0, *a["pad"]]},
}
_RENAME = {"max_pool1d": "max_pool2d", "max_pool1d_with_indices": "max_pool2d_with_indices",
           "avg_pool1d": "avg_pool2d", "adaptive_avg_pool1d": "adaptive_avg_pool2d",
           "adaptive_max_pool1d": "adaptive_max_pool2d", "reflection_pad1d": "reflection_pad2d",
           "replication_pad1d": "replication_pad2d", "conv1d": "conv2d",
           "conv_transpose1d": "conv_transpose2d"}
_POOLS["max_pool1d_with_indices"] = _POOLS["max_pool1d"]
# ops that keep their name: lifted when their input is 3-d; relu and clamp only when their input is
# lifted
_SAME = frozenset({"batch_norm", "relu", "clamp"})


def _key(a: dict) -> str:
    return "input" if "input" in a else "self"


def lift_1d(g: Graph) -> Graph:
    """A copy of `g` with the 1-d spatial ops on batched inputs rewritten as 2-d ops."""
    out = dataclasses.replace(g, nodes=[], values=dict(g.values), constants=dict(g.constants))
    lifted: dict[str, str] = {}  # 3-d value -> the 4-d value holding the same elements

    def as_4d(ref: Ref, src: str) -> Ref:
        if ref.name in lifted:
            return Ref(lifted[ref.name])
        n, c, length = g.values[ref.name].shape
        return out.add_node("reshape", {"self": ref, "shape": [n, c, length, 1]}, src, hint=f"{ref.name}_2d")[0]

    for node in g.nodes:
        a = node.args
        x = a.get(_key(a))
        new = _lift(out, node, x, lifted, as_4d) if isinstance(x, Ref) else None
        if new is None:
            out.nodes.append(node)
            continue
        for old, ref in zip(node.outputs, new):
            out.nodes.append(Node("reshape", {"self": ref, "shape": list(g.values[old].shape)}, [old],
                                  node.source))
            lifted[old] = ref.name
    return eliminate_dead_code(out) if lifted else g


def _lift(out: Graph, node: Node, x: Ref, lifted: dict[str, str], as_4d: Any) -> list[Ref] | None:
    a, op = node.args, node.op
    shape = out.values[x.name].shape
    if len(shape) != 3 or out.values[x.name].dtype != "float32":
        return None
    if op in ("conv1d", "conv_transpose1d"):
        w = a["weight"]
        if not isinstance(w, Ref) or w.name not in out.constants:
            return None
        data = out.constants[w.name]
        o, i, k = data.shape
        name = out.new_name(f"{w.name}_2d")
        w4 = out.add_constant(name, TensorData(data.dtype, (o, i, k, 1), data.raw(), name=name))
        args = _conv(a, w4)
    elif op in _POOLS:
        if len(a.get("pad") or [0, 0]) != 2:  # pads of the length only
            return None
        args = _POOLS[op](a)
    elif op == "mean":  # over the length of a lifted value: the global average pool of the 4-d one
        dims = [d % 3 for d in a["dim"] or []]
        if x.name not in lifted or dims != [2] or a["dtype"] is not None:
            return None
        args = {**a, "dim": [2, 3]}
    elif op in _SAME:
        if op in ("relu", "clamp") and x.name not in lifted:
            return None
        args = dict(a)
    else:
        return None
    key = _key(a)
    return out.add_node(_RENAME.get(op, op), {**args, key: as_4d(x, node.source)}, node.source)
