"""The wasm kernels from Python in a browser kernel (JupyterLite's Pyodide kernel, or any Pyodide in a Worker).

    import wasm_torch
    await wasm_torch.install_kernels()            # once per kernel session (top-level await in a cell)
    model = wasm_torch.load("model.pt2")
    y = model(x)                                  # on the kernels; model.backend == "wasm", model.threads

In JupyterLite, JavaScript cannot install the kernels before Python runs, so Python imports the site's
`wasm-torch/runtime/pyodide_bridge.mjs` and hands it the running Pyodide (`pyodide_js`).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from .errors import WasmTorchError

# The default thread cap of the site's JS API (site/src/wasm-torch.mjs), for the same reason: more
# workers than this buy little on the plans we run and each costs a Worker start-up.
MAX_THREADS = 8
# Where tools/build_lite.py puts kernels/ and runtime/, relative to the JupyterLite site's root.
SITE_FOLDER = "wasm-torch/"
NO_THREADS_NOTICE = (
    "wasm-torch: threads are off (this page is not cross-origin isolated: the server sends no "
    "Cross-Origin-Opener-Policy: same-origin / Cross-Origin-Embedder-Policy: require-corp headers), "
    "so the kernels run single-threaded. `wasm-torch lite` serves the site with them.")


def site_root(worker_url: str) -> str:
    """The JupyterLite site's root URL, from the kernel worker's own URL: the kernel runs in
    `<root>/extensions/@jupyterlite/pyodide-kernel-extension/static/<name>.worker.<hash>.js`."""
    head, sep, _ = worker_url.partition("/extensions/")
    if not sep:
        raise WasmTorchError(
            f"cannot tell the site's root from this worker's URL {worker_url!r} (not a JupyterLite kernel): "
            f"pass url=, the URL of the folder holding kernels/ and runtime/pyodide_bridge.mjs")
    return head + "/"


def kernels_base(worker_url: str, url: str | None = None) -> str:
    """The folder (ending in /) holding kernels/ and runtime/: `url` if absolute, else resolved
    against the JupyterLite site's root (default: its wasm-torch/)."""
    from urllib.parse import urljoin

    base = url if url and "://" in url else urljoin(site_root(worker_url), url or SITE_FOLDER)
    return base if base.endswith("/") else base + "/"


def _default_threads(js: Any) -> int:
    return max(1, min(int(getattr(js.navigator, "hardwareConcurrency", 1) or 1), MAX_THREADS))


async def install_kernels(threads: int | None = None, url: str | None = None) -> dict[str, Any]:
    """Loads the wasm kernel module into this Pyodide, so models run on it; returns {variant, threads}.

    threads: worker threads to use (default: the browser's core count, at most 8). They need a
    cross-origin isolated page (COOP/COEP headers); without it the single-threaded variant loads
    and a notice says so. url: the folder holding `kernels/` and `runtime/pyodide_bridge.mjs`,
    absolute or relative to the site's root (default: `wasm-torch/` at the JupyterLite site's root,
    where tools/build_lite.py puts it). Models loaded after this call run on the kernels.
    Calling it again returns the first call's result.
    """
    if sys.platform != "emscripten":
        raise WasmTorchError("install_kernels runs inside Pyodide (JupyterLite, a browser worker); on CPython "
                             "models run on the reference runtime, or under Node with model.backend = 'wasm'")
    if threads is not None and threads < 1:
        raise WasmTorchError(f"threads must be at least 1, got {threads}")
    import js
    import pyodide_js
    from pyodide.code import run_js
    from pyodide.ffi import JsException, to_js

    base = kernels_base(str(js.location.href), url)
    wanted = threads or _default_threads(js)
    bridge = f"{base}runtime/pyodide_bridge.mjs"
    try:
        module = await run_js(f"import({json.dumps(bridge)})")
        options = to_js({"kernelsURL": f"{base}kernels/", "threads": wanted}, dict_converter=js.Object.fromEntries)
        info = await module.installKernels(pyodide_js, options)
    except JsException as e:
        raise WasmTorchError(f"cannot load the wasm kernels from {base}: {e}") from None
    got = {"variant": str(info.variant), "threads": int(info.threads)}
    if wanted > 1 and not js.crossOriginIsolated:
        print(NO_THREADS_NOTICE)
    return got

