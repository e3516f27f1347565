"""wasm-torch: run PyTorch models (.pt2, TorchScript .pt, safetensors weights) in the browser.

    import wasm_torch
    m = wasm_torch.load("model.pt2")
    print(m.summary())
    y = m(x)            # numpy in, numpy out (reference runtime on CPython)

In JupyterLite (Pyodide), `await wasm_torch.install_kernels()` first: models then run on the wasm kernels.
"""

__version__ = "0.1.0"

from .errors import FormatError, SecurityError, UnsupportedError, WasmTorchError  # noqa: E402
from .lite import install_kernels  # noqa: E402
from .model import Model, inspect, load  # noqa: E402

__all__ = ["FormatError", "Model", "SecurityError", "UnsupportedError", "WasmTorchError",
           "inspect", "install_kernels", "load", "__version__"]
