"""TorchScript archives (torch.jit.save, and lite-interpreter .ptl): formats.md §1.

Reads the module object tree, the code/ sources (as text: never executed), the tensor
constants and the traced example inputs. Interpreting the code is the frontend's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import FormatError
from .detect import zip_kind
from .tensor import TensorData
from .torch_save import check_byteorder, load_zip_pickle
from .unpickler import PickleContext, ScriptObject
from .zipreader import MAX_INFLATED, ZipArchive

# Bound on all code/ sources together (each member is also bounded by MAX_INFLATED).
MAX_CODE_TOTAL = MAX_INFLATED


@dataclass
class TorchScriptArchive:
    filename: str
    module: ScriptObject
    code: dict[str, str]
    constants: list[Any]
    traced_inputs: list[TensorData] | None
    version: int
    lite: bool = False
    warnings: list[str] = field(default_factory=list)


def read_torchscript(data: bytes | bytearray | memoryview, filename: str) -> TorchScriptArchive:
    z = ZipArchive(data, filename)
    if zip_kind(z) != "torchscript":
        raise FormatError(f"{filename}: not a TorchScript archive (needs {z.root}/data.pkl with "
                          "code/ or constants.pkl)")
    check_byteorder(z)
    version = _version(z)
    code = _code(z)
    ctx = PickleContext(filename)
    module = load_zip_pickle(z, ctx, "data.pkl")
    if not isinstance(module, ScriptObject):
        raise FormatError(f"{filename}: data.pkl holds {type(module).__name__}, not a TorchScript module")
    constants = load_zip_pickle(z, ctx, "constants.pkl") if z.has("constants.pkl") else ()
    if not isinstance(constants, tuple):
        raise FormatError(f"{filename}: constants.pkl holds {type(constants).__name__}, not a tuple")
    traced = None
    if z.has("traced_inputs.pkl"):
        traced = _traced_inputs(load_zip_pickle(z, ctx, "traced_inputs.pkl", allow_empty=True), ctx)
    return TorchScriptArchive(filename, module, code, list(constants), traced, version,
                              lite=z.has("bytecode.pkl"), warnings=ctx.warnings)


def _version(z: ZipArchive) -> int:
    for name in ("version", ".data/version"):
        if z.has(name):
            text = bytes(z.read(name, max_size=32)).strip()
            if not text.isdigit():
                raise FormatError(f"{z.filename}: {z.root}/{name} holds {text[:20]!r}, not a number")
            return int(text)
    raise FormatError(f"{z.filename}: TorchScript archive has no version record")


def _code(z: ZipArchive) -> dict[str, str]:
    code: dict[str, str] = {}
    total = 0
    for name in z.names:
        if not (name.startswith("code/") and name.endswith(".py")):
            continue
        raw = z.read(name, max_size=MAX_INFLATED)
        total += len(raw)
        if total > MAX_CODE_TOTAL:
            raise FormatError(f"{z.filename}: code/ sources exceed {MAX_CODE_TOTAL} bytes in total")
        try:
            code[name[len("code/"):]] = str(raw, "utf-8")
        except UnicodeDecodeError:
            raise FormatError(f"{z.filename}: {z.root}/{name} is not UTF-8 text") from None
    return code


def _traced_inputs(value: Any, ctx: PickleContext) -> list[TensorData] | None:
    # {'forward': [example inputs]}; nested tuples/lists of tensors are flattened.
    forward = value.get("forward") if isinstance(value, dict) else None
    flat: list[TensorData] = []
    pending = [forward] if forward is not None else []
    while pending:
        item = pending.pop()
        if isinstance(item, TensorData):
            flat.append(item)
        elif isinstance(item, (list, tuple)):
            pending.extend(reversed(item))
        else:
            ctx.warnings.append(f"{ctx.filename}: traced_inputs.pkl holds non-tensor inputs; ignored")
            return None
    return flat if forward is not None else None
