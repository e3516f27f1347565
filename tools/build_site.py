"""Builds the static site (default: site/dist/) from this checkout.

    python tools/build_site.py [OUT] [--wheel WHEEL]

Layout of OUT (every path same-origin; nothing is fetched from a CDN at run time):
    index.html, app.mjs, style.css     the page (site/src/)
    wasm-torch.mjs                     the JS API (`WASMTorch`)
    worker/converter.mjs               Pyodide + our wheel: model bytes -> .wtm plan + summary
    worker/runtime.mjs                 the kernel module: runs plans
    runtime/wtm.mjs, npy.mjs, pyodide_bridge.mjs   from the Python package (one copy for every consumer)
    kernels/                           both kernel module variants (st, mt + its worker.js)
    pyodide/                           Pyodide core from the npm package `pyodide`
    wheels/<our wheel>                 built with `build` from this checkout
    samples/tiny_cnn.pt2               the built-in sample model
    site.json                          {version, wheel, sample}: what the page and workers load
    *.gz                               precompressed twins of the big text and .wasm files
Needs: `npm ci` done (node_modules/pyodide), the kernels built (`make -C wasm_kernels`), and `build` +
setuptools in this Python (tools/setup.sh installs them).
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "py" / "wasm_torch"
# The Pyodide core: the interpreter, its stdlib and lock; no package wheels (numpy etc. are not used).
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
KERNEL_FILES = ("wasm-torch-kernels.mjs", "wasm-torch-kernels.wasm", "wasm-torch-kernels-mt.mjs",
                "wasm-torch-kernels-mt.wasm", "wasm-torch-kernels-mt.worker.js")
SAMPLE = "tiny_cnn.pt2"
COMPRESSIBLE = {".wasm", ".mjs", ".js", ".json", ".html", ".css", ".pt2"}


def _need(path: Path, how: str) -> Path:
    if not path.exists():
        sys.exit(f"build_site: {path} is missing: {how}")
    return path


def build_wheel(out: Path) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", tmp, str(ROOT)],
                           capture_output=True, text=True)
        if r.returncode:
            sys.exit(f"build_site: building the wheel failed:\n{(r.stdout + r.stderr)[-3000:]}")
        (wheel,) = Path(tmp).glob("wasm_torch-*.whl")
        return Path(shutil.copy2(wheel, out / wheel.name))


def build_site(out: Path, wheel: Path | None = None) -> dict[str, object]:
    """Writes the site into `out` (emptied first); returns the site.json document."""
    pyodide = _need(ROOT / "node_modules" / "pyodide", "run `npm ci`")
    kernels = PACKAGE / "kernels"
    for name in KERNEL_FILES:
        _need(kernels / name, "build the kernels: `make -C wasm_kernels`")
    if out.exists():
        shutil.rmtree(out)
    for sub in ("worker", "runtime", "kernels", "pyodide", "wheels", "samples"):
        (out / sub).mkdir(parents=True)
    for f in (ROOT / "site" / "src").iterdir():
        shutil.copy2(f, out / f.name)
    for f in (ROOT / "worker").glob("*.mjs"):
        shutil.copy2(f, out / "worker" / f.name)
    for name in ("wtm.mjs", "npy.mjs", "pyodide_bridge.mjs"):
        shutil.copy2(PACKAGE / "runtime" / name, out / "runtime" / name)
    for name in KERNEL_FILES:
        shutil.copy2(kernels / name, out / "kernels" / name)
    for name in PYODIDE_FILES:
        shutil.copy2(_need(pyodide / name, "run `npm ci`"), out / "pyodide" / name)
    shutil.copy2(PACKAGE / "samples" / SAMPLE, out / "samples" / SAMPLE)
    wheel = Path(shutil.copy2(wheel, out / "wheels" / wheel.name)) if wheel else build_wheel(out / "wheels")
    precompress(out)
    from wasm_torch import __version__

    info = {"version": __version__, "wheel": f"wheels/{wheel.name}", "sample": f"samples/{SAMPLE}"}
    (out / "site.json").write_text(json.dumps(info, indent=1) + "\n")
    return info


def precompress(out: Path, min_bytes: int = 4096) -> None:
    """X.gz beside every big compressible file, for servers that send precompressed files
    (`wasm-torch serve`, nginx gzip_static, ...); zip archives and wheels are compressed already."""
    for p in list(out.rglob("*")):
        if p.is_file() and p.suffix in COMPRESSIBLE and p.stat().st_size >= min_bytes:
            p.with_name(p.name + ".gz").write_bytes(gzip.compress(p.read_bytes(), 6, mtime=0))


def site_bytes(out: Path) -> int:
    return sum(p.stat().st_size for p in out.rglob("*") if p.is_file() and p.suffix != ".gz")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", nargs="?", default=str(ROOT / "site" / "dist"))
    ap.add_argument("--wheel", help="use this wheel instead of building one")
    args = ap.parse_args()
    t0 = time.monotonic()
    out = Path(args.out)
    build_site(out, Path(args.wheel) if args.wheel else None)
    print(f"built {out} ({site_bytes(out) / 1e6:.1f} MB) in {time.monotonic() - t0:.1f} s")


if __name__ == "__main__":
    main()
