"""Replacing a graph's weights from a separate file (--weights): safetensors, a torch.save
state_dict (zip or legacy), or a checkpoint holding one under some key."""

from __future__ import annotations

from .errors import WasmTorchError
from .formats.detect import detect
from .formats.safetensors import read_safetensors
from .formats.tensor import TensorData
from .formats.torch_save import read_torch_save, state_dict_candidates
from .ir import Graph, TensorMeta


def read_weights(data: bytes | memoryview, filename: str) -> tuple[list[tuple[str, dict[str, TensorData]]], list[str]]:
    """All state_dict-like dicts in a weights file, as (where, {name: tensor}), plus warnings."""
    kind = detect(data, filename)
    if kind == "safetensors":
        tensors, _ = read_safetensors(data, filename)
        return [("", tensors)], []
    if kind in ("torch_save", "legacy_torch_save"):
        obj, warnings = read_torch_save(data, filename)
        cands = state_dict_candidates(obj)
        if not cands:
            raise WasmTorchError(f"{filename}: holds no state_dict (no dict of tensors found)")
        return cands, warnings
    raise WasmTorchError(f"{filename}: a {kind} file is not a weights file; use safetensors or torch.save")


def apply_weights(g: Graph, data: bytes | memoryview, filename: str) -> list[str]:
    """Swap the graph's parameters for the file's; returns warnings (unused tensors...).

    Of several candidate dicts (a checkpoint's `state_dict`, `model`, `ema`...), the one whose
    names cover most of the graph's parameters wins. Missing and mismatched tensors are one error
    that lists them all.
    """
    wanted = {fqn: const for const, fqn in g.param_names.items()}
    cands, warnings = read_weights(data, filename)

    def score(cand: tuple[str, dict[str, TensorData]]) -> int:
        return sum(1 for k in cand[1] if k in wanted)

    where, tensors = max(cands, key=score)
    if score((where, tensors)) == 0:
        raise WasmTorchError(
            f"{filename}: none of its tensors match the model's parameters "
            f"(the model has e.g. {', '.join(sorted(wanted)[:3])}; the file has e.g. {', '.join(sorted(tensors)[:3])})")
    problems = []
    for fqn, const in sorted(wanted.items()):
        if fqn not in tensors:
            problems.append(f"missing {fqn}")
            continue
        old, new = g.values[const], tensors[fqn]
        if tuple(new.shape) != old.shape or new.dtype != old.dtype:
            problems.append(f"{fqn} is {new.dtype}{list(new.shape)}, the model needs {old.dtype}{list(old.shape)}")
    if problems:
        raise WasmTorchError(f"{filename}{' [' + where + ']' if where else ''}: " + "; ".join(problems))
    for fqn, const in wanted.items():
        g.constants[const] = tensors[fqn]
        g.values[const] = TensorMeta(tensors[fqn].dtype, tuple(tensors[fqn].shape))
    extra = sorted(set(tensors) - set(wanted))
    if extra:
        shown = ", ".join(extra[:10]) + (f" and {len(extra) - 10} more" if len(extra) > 10 else "")
        warnings.append(f"{filename}: {len(extra)} tensors unused by the model: {shown}")
    return warnings
