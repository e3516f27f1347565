"""batch_norm that BATCH_NORM cannot take, as the arithmetic it stands for (before lowering).

BATCH_NORM folds constant parameters at load. Two forms reach the converter without them, both
from decomposed exports of instance norm: batch statistics (training mode over a [1, N*C, ...]
view) and running statistics computed by the graph (running_mean.repeat(N)). They become
    y = (x - mean) * rsqrt(var + eps) [* weight] [+ bias]
with mean and biased var over every dim but the channels (training mode) or the given running
statistics, each per-channel tensor viewed as [1, C, 1, ...] to broadcast: ops the wasm backend
runs (REDUCE, BINARY, UNARY).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..ir import Graph, Node, Ref
from ..ops.common import emit
from .dce import eliminate_dead_code


def _folds(g: Graph, node: Node) -> bool:
    """Eval mode with constant (or absent) parameters: the runtime's BATCH_NORM takes it."""
    a = node.args
    return not a["training"] and all(
        a[k] is None or (isinstance(a[k], Ref) and a[k].name in g.constants)
        for k in ("weight", "bias", "running_mean", "running_var"))


def decompose_batch_norm(g: Graph) -> Graph:
    """A copy of `g` with the batch norms BATCH_NORM cannot run written out (or `g` itself)."""
    todo = [n for n in g.nodes if n.op == "batch_norm" and not _folds(g, n)
            and len(g.values[n.args["input"].name].shape) >= 2 and g.values[n.outputs[0]].dtype == "float32"]
    if not todo:
        return g
    out = dataclasses.replace(g, nodes=[], values=dict(g.values))
    for node in g.nodes:
        if any(node is t for t in todo):
            _write_out(out, node)
        else:
            out.nodes.append(node)
    return eliminate_dead_code(out)


def _write_out(g: Graph, node: Node) -> None:
    a, src = node.args, node.source
    x = a["input"]
    shape = g.values[x.name].shape
    view = [1, shape[1]] + [1] * (len(shape) - 2)

    def per_channel(ref: Any) -> Ref:
        return emit(g, "reshape", src, ref, view)[0]

    if a["training"] or a["running_mean"] is None or a["running_var"] is None:
        dims = [0] + list(range(2, len(shape)))
        mean = emit(g, "mean", src, x, dims, True)[0]
        var = emit(g, "var", src, x, dims, correction=0, keepdim=True)[0]
    else:
        mean, var = per_channel(a["running_mean"]), per_channel(a["running_var"])
    y = emit(g, "mul", src, emit(g, "sub", src, x, mean)[0],
             emit(g, "rsqrt", src, emit(g, "add", src, var, float(a["eps"]))[0])[0])[0]
    if a["weight"] is not None:
        y = emit(g, "mul", src, y, per_channel(a["weight"]))[0]
    if a["bias"] is not None:
        y = emit(g, "add", src, y, per_channel(a["bias"]))[0]
    # the result under the node's own output name (a zero-copy reshape)
    g.nodes.append(Node("reshape", {"self": y, "shape": list(shape)}, [node.outputs[0]], src))
