"""The numpy reference runtime: runs a graph node by node with each op's reference function.

It is the oracle for tests and the CPython fallback, not the fast path. Needs numpy.
"""

from __future__ import annotations

from typing import Any

from ..errors import WasmTorchError
from ..formats.tensor import np_dtype
from ..ir import Graph, Ref
from ..ops import registry
from ..ops.registry import A


def run_node(op: str, args: dict[str, Any], env: dict[str, Any]) -> list[Any]:
    """Evaluate one op on concrete arrays (`env` maps value names to numpy arrays)."""

    def resolve(v: Any) -> Any:
        if isinstance(v, Ref):
            return env[v.name]
        if isinstance(v, list):
            return [resolve(x) for x in v]
        return v

    out = registry.get(op).ref(A((k, resolve(v)) for k, v in args.items()))
    return list(out) if isinstance(out, (list, tuple)) else [out]


def run_graph(g: Graph, inputs: list[Any]) -> list[Any]:
    import numpy as np

    if len(inputs) != len(g.inputs):
        raise WasmTorchError(f"the model takes {len(g.inputs)} inputs, {len(inputs)} given")
    env: dict[str, Any] = {name: data.numpy() for name, data in g.constants.items()}
    for name, x in zip(g.inputs, inputs):
        meta = g.values[name]
        arr = np.asarray(x)
        if tuple(arr.shape) != meta.shape:
            raise WasmTorchError(f"input {name!r}: shape {list(arr.shape)}, expected {list(meta.shape)}")
        env[name] = arr.astype(np_dtype(meta.dtype), copy=False)
    for node in g.nodes:
        outs = run_node(node.op, node.args, env)
        for name, arr in zip(node.outputs, outs):
            meta = g.values[name]
            arr = np.asarray(arr)
            if tuple(arr.shape) != meta.shape:
                raise WasmTorchError(
                    f"internal: {node.op} at {node.source or '?'} produced shape {list(arr.shape)}, "
                    f"inferred {list(meta.shape)}")
            env[name] = arr.astype(np_dtype(meta.dtype), copy=False)
    return [env[name] for name in g.outputs]
