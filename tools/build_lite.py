"""Builds a JupyterLite site (default: site/lite/) where `import wasm_torch` runs models on the wasm kernels.

    python tools/build_lite.py [OUT] [--wheel WHEEL]

Clean build every time (an incremental `jupyter lite build` can drop `pyodideUrl` and silently fall
back to the CDN). Needs the registries (PyPI for the kernel's pure-Python dependencies) only while
building; the site itself fetches nothing from outside its origin. Layout of OUT:
    lab/, notebooks/, repl/, tree/, build/, ...  JupyterLite 0.8.6 (jupyterlite-core) and its Pyodide kernel
    static/pyodide/        Pyodide core from npm (node_modules/pyodide) plus every wheel the kernel boots
                           with, preinstalled through the lock: micropip, ipython and jedi with their
                           dependencies (PyPI wheels; the lock's sha256 rewritten to match), piplite,
                           pyodide-kernel, ipykernel (from the kernel extension), comm (PyPI), wasm-torch
    pypi/                  our wheel again, for `%pip install wasm-torch` (piplite's index all.json)
    files/                 the example notebook (examples/wasm_torch_lite.ipynb) and the sample model
    wasm-torch/kernels/    both kernel module variants (st; mt + its worker.js)
    wasm-torch/runtime/    pyodide_bridge.mjs + wtm.mjs: what `await wasm_torch.install_kernels()` imports
    jupyter-lite.json      pyodideUrl, the preinstalled packages, no PyPI fallback, the app in `window.jupyterapp`
Needs jupyterlite-core and jupyterlite-pyodide-kernel 0.8.6 and jupyter_server (the dev extra), `npm ci`,
the kernels built; tools/setup.sh installs all of it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import zipfile
from email.parser import Parser
from pathlib import Path

from build_site import KERNEL_FILES, PACKAGE, PYODIDE_FILES, ROOT, SAMPLE, _need, build_wheel, precompress, site_bytes

LITE_VERSION = "0.8.6"
NOTEBOOK = ROOT / "examples" / "wasm_torch_lite.ipynb"
KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"
# What the kernel installs at boot (jupyterlite-pyodide-kernel 0.8.6's worker), found in the Pyodide lock
# with their dependencies; PyPI has the same versions as pure-Python wheels.
LOCK_ROOTS = ("micropip", "ipython", "jedi")
# In neither the lock nor the kernel extension: pinned here to the version the recipe was checked with.
EXTRA_WHEELS = ("comm==0.2.3",)
# Shipped inside the kernel extension (its static/pypi/)
EXTENSION_WHEELS = ("piplite", "pyodide_kernel", "ipykernel")
# Listed in loadPyodideOptions.packages: the kernel then skips its own micropip/piplite installs of them.
PREINSTALLED = ("micropip", "piplite", "ipykernel", "comm", "pyodide-kernel", "jedi", "ipython", "wasm-torch")


def norm(name: str) -> str:
    """A distribution name as the lock keys it (PEP 503 normalised)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pip_download(specs: list[str], dest: Path) -> list[Path]:
    """Pure-Python wheels for Pyodide's Python (3.14), whatever Python runs this script."""
    r = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                        "--python-version", "3.14", "-d", str(dest), *specs], capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"build_lite: pip download {' '.join(specs)} failed:\n{r.stderr[-3000:]}")
    return sorted(dest.glob("*.whl"))


def lock_closure(packages: dict[str, dict], roots: tuple[str, ...]) -> list[str]:
    """The lock entries `roots` need, dependencies included (`depends` may spell names with `_`)."""
    todo, seen = [norm(r) for r in roots], set()
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo.extend(norm(d) for d in packages[n]["depends"])
    return sorted(seen)


def fill_from_pypi(dist: Path, packages: dict[str, dict], names: list[str]) -> None:
    """Puts the lock's own versions of `names` into `dist` and rewrites their sha256: the npm core has
    no wheels, and Pyodide's builds hash differently from PyPI's (loadPackage then fails its SRI check)."""
    for n in names:
        if not packages[n]["file_name"].endswith("-none-any.whl"):
            sys.exit(f"build_lite: {n} is not a pure-Python wheel in the Pyodide lock; PyPI cannot supply it")
    with tempfile.TemporaryDirectory() as tmp:
        got = {norm(p.name.split("-")[0]): p for p in
               pip_download([f"{packages[n]['name']}=={packages[n]['version']}" for n in names], Path(tmp))}
        for n in names:
            entry = packages[n]
            dest = dist / entry["file_name"]
            shutil.move(got[n], dest)
            entry["sha256"] = hashlib.sha256(dest.read_bytes()).hexdigest()


def lock_entry(wheel: Path) -> dict[str, object]:
    """A Pyodide lock entry for a pure-Python wheel, from its METADATA and top-level names."""
    with zipfile.ZipFile(wheel) as z:
        meta_name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(z.read(meta_name).decode())
        tops = sorted({n.split("/")[0].removesuffix(".py") for n in z.namelist()
                       if not n.split("/")[0].endswith((".dist-info", ".data"))})
    deps = [norm(re.split(r"[ ;<>=!~\[(]", r, maxsplit=1)[0])
            for r in meta.get_all("Requires-Dist") or [] if "extra ==" not in r]
    return {"name": norm(meta["Name"]), "version": meta["Version"], "file_name": wheel.name,
            "install_dir": "site", "package_type": "package", "imports": tops, "depends": deps,
            "unvendored_tests": False, "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest()}


def extension_dir() -> Path:
    """The installed kernel labextension (jupyterlite-pyodide-kernel puts it under <prefix>/share/jupyter)."""
    ext = Path(sysconfig.get_path("data")) / "share" / "jupyter" / "labextensions" / "@jupyterlite" / \
        "pyodide-kernel-extension"
    return _need(ext, f"pip install jupyterlite-pyodide-kernel=={LITE_VERSION}")


def check_versions() -> None:
    from importlib.metadata import PackageNotFoundError, version

    for dist in ("jupyterlite-core", "jupyterlite-pyodide-kernel"):
        try:
            got = version(dist)
        except PackageNotFoundError:
            got = None
        if got != LITE_VERSION:
            sys.exit(f"build_lite: needs {dist}=={LITE_VERSION} (found {got}): pip install -e '.[dev]'")


def pyodide_dist(dist: Path, wheel: Path, extra: list[Path]) -> None:
    """static/pyodide/: the npm core, the kernel's boot wheels and ours, all in one consistent lock."""
    npm = _need(ROOT / "node_modules" / "pyodide", "run `npm ci`")
    dist.mkdir(parents=True)
    for name in PYODIDE_FILES:
        shutil.copy2(_need(npm / name, "run `npm ci`"), dist / name)
    lock_path = dist / "pyodide-lock.json"
    lock = json.loads(lock_path.read_text())
    packages = lock["packages"]
    fill_from_pypi(dist, packages, lock_closure(packages, LOCK_ROOTS))
    pypi = extension_dir() / "static" / "pypi"
    shipped = [next(pypi.glob(f"{name}-*.whl")) for name in EXTENSION_WHEELS]
    for w in [*shipped, *extra, wheel]:
        shutil.copy2(w, dist / w.name)
        entry = lock_entry(w)
        packages[entry["name"]] = entry
    missing = [n for n in PREINSTALLED if not (dist / packages[n]["file_name"]).is_file()]
    if missing:
        sys.exit(f"build_lite: no wheel for {missing} in {dist}")
    lock_path.write_text(json.dumps(lock))


def lite_config() -> dict[str, object]:
    return {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": "wasm-torch in JupyterLite",
            "exposeAppInBrowser": True,
            "litePluginSettings": {KERNEL_PLUGIN: {
                # explicit: without it the kernel loads Pyodide from the CDN
                "pyodideUrl": "./static/pyodide/pyodide.mjs",
                "disablePyPIFallback": True,
                "loadPyodideOptions": {"packages": list(PREINSTALLED)},
            }},
        },
    }


def build_lite(out: Path, wheel: Path | None = None) -> Path:
    """Writes the JupyterLite site into `out` (removed first); returns `out`."""
    check_versions()
    for name in KERNEL_FILES:
        _need(PACKAGE / "kernels" / name, "build the kernels: `make -C wasm_kernels`")
    out = out.resolve()
    if out.exists():
        shutil.rmtree(out)
    with tempfile.TemporaryDirectory(prefix="wasm-torch-lite-") as tmp:
        lite = Path(tmp)
        wheel = Path(shutil.copy2(wheel, lite / wheel.name)) if wheel else build_wheel(lite)
        (lite / "pypi").mkdir()
        shutil.copy2(wheel, lite / "pypi" / wheel.name)
        extra = pip_download(list(EXTRA_WHEELS), lite / "extra")
        pyodide_dist(lite / "static" / "pyodide", wheel, extra)
        (lite / "files").mkdir()
        shutil.copy2(_need(NOTEBOOK, "the example notebook is part of the checkout"), lite / "files" / NOTEBOOK.name)
        shutil.copy2(PACKAGE / "samples" / SAMPLE, lite / "files" / SAMPLE)
        (lite / "jupyter-lite.json").write_text(json.dumps(lite_config(), indent=1))
        (lite / "jupyter_lite_config.json").write_text(json.dumps({"LiteBuildConfig": {"no_sourcemaps": True}}))
        # the shipped notebook opens straight into a running kernel (no "Select Kernel" dialog)
        (lite / "overrides.json").write_text(json.dumps(
            {"@jupyterlab/notebook-extension:tracker": {"autoStartDefaultKernel": True}}))
        # A dead proxy: the build must not fetch anything (the CDN fallback is what it would reach for).
        env = {**os.environ, "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
        r = subprocess.run([sys.executable, "-m", "jupyterlite_core", "build", "--lite-dir", str(lite),
                            "--output-dir", str(out)],
                           cwd=lite, env=env, capture_output=True, text=True)
        if r.returncode:
            sys.exit(f"build_lite: jupyter lite build failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    for sub, names in (("kernels", KERNEL_FILES), ("runtime", ("pyodide_bridge.mjs", "wtm.mjs"))):
        (out / "wasm-torch" / sub).mkdir(parents=True)
        src = PACKAGE / sub
        for name in names:
            shutil.copy2(src / name, out / "wasm-torch" / sub / name)
    patch_coincident(out)
    check_output(out)
    precompress(out)
    return out


# The kernel extension's main-thread side of `coincident` (its channel to the kernel worker on a cross-origin
# isolated page) waits for each reply with `Atomics.waitAsync(...).value.then(...)`. waitAsync returns
# {async: false, value: "not-equal"} when the worker has already answered, which happens on a loaded machine,
# and then `.then` is not a function: the call never resolves and the cell stays busy forever.
_WAIT_REPLY = re.compile(r"\b([A-Za-z_$][\w$]*\([\w$]+,[\w$]+\))\.value\.then\(")


def patch_coincident(out: Path) -> None:
    """Treats an immediate waitAsync result as an answer that is already there (Promise.resolve of it)."""
    static = out / "extensions" / "@jupyterlite" / "pyodide-kernel-extension" / "static"
    patched = 0
    for f in static.glob("*.js"):
        text = f.read_text()
        if ".worker." in f.name or "waitAsync" not in text or "Possible deadlock" not in text:
            continue  # the worker side waits with the blocking Atomics.wait
        text, n = _WAIT_REPLY.subn(r"Promise.resolve(\1.value).then(", text)
        f.write_text(text)
        patched += n
    if patched != 2:
        sys.exit(f"build_lite: expected 2 waitAsync replies to patch in {static}, found {patched}: "
                 f"jupyterlite-pyodide-kernel is not {LITE_VERSION}?")


def check_output(out: Path) -> None:
    """What the pitfalls would break, checked on the result rather than trusted."""
    settings = json.loads((out / "jupyter-lite.json").read_text())["jupyter-config-data"]["litePluginSettings"]
    kernel = settings.get(KERNEL_PLUGIN, {})
    if kernel.get("pyodideUrl") != "./static/pyodide/pyodide.mjs":
        sys.exit(f"build_lite: pyodideUrl is {kernel.get('pyodideUrl')!r} in {out}/jupyter-lite.json")
    if not (out / "static" / "pyodide" / "pyodide.mjs").is_file():
        sys.exit("build_lite: static/pyodide/ did not reach the output")
    index = json.loads((out / "pypi" / "all.json").read_text())
    if "wasm-torch" not in index:
        sys.exit(f"build_lite: pypi/all.json does not list wasm-torch: {sorted(index)}")
    if not (out / "files" / NOTEBOOK.name).is_file():
        sys.exit("build_lite: the example notebook did not reach files/")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", nargs="?", default=str(ROOT / "site" / "lite"))
    ap.add_argument("--wheel", help="use this wheel instead of building one")
    args = ap.parse_args()
    t0 = time.monotonic()
    out = build_lite(Path(args.out), Path(args.wheel) if args.wheel else None)
    print(f"built {out} ({site_bytes(out) / 1e6:.1f} MB) in {time.monotonic() - t0:.1f} s")


if __name__ == "__main__":
    main()
