"""wasm-torch: run PyTorch models (.pt2, TorchScript .pt, safetensors weights) in the browser.

    import wasm_torch
    m = wasm_torch.load("model.pt2")
    print(m.summary())
    y = m(x)            # numpy in, numpy out (reference runtime on CPython)
"""

__version__ = "0.1.0"

from .errors import FormatError, SecurityError, UnsupportedError, WasmTorchError  # noqa: E402
from .model import Model, inspect, load  # noqa: E402

__all__ = ["FormatError", "Model", "SecurityError", "UnsupportedError", "WasmTorchError",
           "inspect", "load", "__version__"]
