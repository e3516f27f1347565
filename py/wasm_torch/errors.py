"""Error types. Every message names the file, op or field at fault, on one line."""

from __future__ import annotations


class WasmTorchError(Exception):
    """Base class: bad input or an unsupported model. The CLI maps it to exit code 2."""


class FormatError(WasmTorchError):
    """A file is malformed, truncated, or exceeds a size bound."""


class SecurityError(WasmTorchError):
    """A file reaches for code it must not run (e.g. a pickle referencing os.system)."""


class UnsupportedError(WasmTorchError):
    """The model uses ops or constructs that wasm-torch does not support.

    `problems` lists every (op, location) found, so one run reports them all.
    """

    def __init__(self, message: str, problems: list[tuple[str, str]] | None = None):
        self.problems = list(problems or [])
        if self.problems:
            listed = "; ".join(f"{op} at {loc}" if loc else op for op, loc in self.problems)
            message = f"{message}: {listed}"
        super().__init__(message)


class ShapeError(WasmTorchError):
    """Shapes or dtypes given to an op are inconsistent."""
