"""Static memory plan: one arena for every activation, offsets chosen from value lifetimes.

Values that are alive at the same time never share bytes; values whose lifetimes do not
overlap may. Placement is TFLite's "greedy by size": largest buffer first, each at the lowest
64-byte aligned offset that clears every already placed buffer alive at the same time. An op's
output is alive at that op's step together with its inputs, so no op ever writes over what it
reads. Reshapes alias their input (one buffer, the union of the lifetimes). The model's inputs
stay alive for the whole forward pass (forward never overwrites them, so a caller may run it
again on the same inputs) and its outputs until the end.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..plan import ALIGN, OpCode, PlanOp, align


@dataclass
class ArenaPlan:
    root: dict[str, str]      # value -> the value owning its bytes (itself unless a reshape alias)
    offsets: dict[str, int]   # arena root -> byte offset
    arena_bytes: int


def plan_arena(ops: list[PlanOp], inputs: list[str], outputs: list[str], nbytes: dict[str, int],
               constants: set[str]) -> ArenaPlan:
    root: dict[str, str] = {}

    def find(name: str) -> str:
        return root.get(name, name)

    for op in ops:
        if op.code == OpCode.RESHAPE:
            root[op.outputs[0]] = find(op.inputs[0])
    for name in nbytes:
        root.setdefault(name, name)
    end = len(ops)
    first: dict[str, int] = {find(n): -1 for n in inputs}
    last: dict[str, int] = {find(n): end for n in inputs + outputs}
    for step, op in enumerate(ops):
        for name in op.outputs:
            first.setdefault(find(name), step)
        for name in op.inputs + op.outputs:
            r = find(name)
            last[r] = max(last.get(r, step), step)
    buffers = sorted((r for r in first if r not in constants), key=lambda r: (-nbytes[r], first[r], r))
    placed: list[tuple[int, int, int, int]] = []  # (offset, size, first, last)
    offsets: dict[str, int] = {}
    for r in buffers:
        size = align(nbytes[r])
        offset = 0
        if size:
            busy = sorted((o, s) for o, s, f, l in placed if s and f <= last[r] and first[r] <= l)
            for o, s in busy:
                if offset + size <= o:
                    break
                offset = max(offset, o + s)
        offsets[r] = offset
        placed.append((offset, size, first[r], last[r]))
    arena = max((o + s for o, s, _, _ in placed), default=0)
    assert arena % ALIGN == 0
    return ArenaPlan(root, offsets, arena)
