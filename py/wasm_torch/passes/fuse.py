"""Fusion on plan ops: a clamp (relu, relu6, hardtanh, clamp) right after a GEMM (or a conv2d,
batch norm or NHWC add) becomes that op's epilogue, saving one pass over the output and its arena buffer."""

from __future__ import annotations

import dataclasses
import math

from ..plan import OpCode, PlanOp

# ops with a clamp epilogue: GEMM, and the vision ops (conv2d, conv_transpose2d, batch norm, add)
_EPILOGUE = frozenset({OpCode.GEMM, OpCode.CONV2D, OpCode.BATCH_NORM, OpCode.ADD_CLAMP, OpCode.CONV_TRANSPOSE2D})


def fuse_clamps(ops: list[PlanOp], outputs: set[str]) -> list[PlanOp]:
    """Fold CLAMP into the GEMM producing its input when nothing else reads the GEMM's result
    (no other op, not a graph output) and the GEMM has no epilogue clamp yet (two clamps do not
    compose into one when min > max)."""
    uses: dict[str, int] = {}
    for op in ops:
        for name in op.inputs:
            uses[name] = uses.get(name, 0) + 1
    producer = {op.outputs[0]: i for i, op in enumerate(ops)}
    fused = list(ops)
    dropped = set()
    for i, op in enumerate(ops):
        if op.code != OpCode.CLAMP:
            continue
        x = op.inputs[0]
        j = producer.get(x)
        if j is None or uses[x] != 1 or x in outputs:
            continue
        gemm = fused[j]
        if gemm.code not in _EPILOGUE or gemm.min != -math.inf or gemm.max != math.inf:
            continue
        fused[j] = dataclasses.replace(gemm, outputs=list(op.outputs), name=f"{gemm.name}+{op.name}",
                                       min=op.min, max=op.max)
        producer[op.outputs[0]] = j
        dropped.add(i)
    return [op for i, op in enumerate(fused) if i not in dropped]
