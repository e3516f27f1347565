"""Readers for the files PyTorch writes, without torch: stdlib only, bounded, and safe."""

from .detect import KINDS, detect
from .safetensors import read_safetensors
from .tensor import TensorData
from .torch_save import load_zip_pickle, read_torch_save, state_dict_candidates
from .torchscript import TorchScriptArchive, read_torchscript
from .unpickler import (
    Device,
    DType,
    InertObject,
    PickleContext,
    Placeholder,
    ScriptObject,
    Size,
    load_pickle,
)
from .zipreader import ZipArchive

__all__ = [
    "KINDS", "detect", "read_safetensors", "TensorData", "load_zip_pickle", "read_torch_save",
    "state_dict_candidates", "TorchScriptArchive", "read_torchscript", "Device", "DType", "InertObject",
    "PickleContext", "Placeholder", "ScriptObject", "Size", "load_pickle", "ZipArchive",
]
