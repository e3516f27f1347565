"""Headless Chromium (Debian's chromium + chromedriver) driven by selenium, for browser tests."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]


def require_tool(path: str) -> None:
    """Under CI a missing tool is a failure, never a skip."""
    if not os.path.exists(path):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing: the set-up script must install it")
        pytest.skip(f"{path} is not installed (run tools/setup.sh)")


def require_module(name: str) -> None:
    """A Python package the set-up script installs: under CI a failure when missing, else a skip."""
    import importlib.util

    if importlib.util.find_spec(name) is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the Python package {name} is missing: the set-up script must install it")
        pytest.skip(f"{name} is not installed (run tools/setup.sh)")


# Every host name but 127.0.0.1 fails to resolve: a page that reaches for a CDN breaks instead of quietly using it.
OFFLINE = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]


def start_chromium(extra_flags: list[str] | None = None) -> Any:
    require_tool(CHROMIUM)
    require_tool(CHROMEDRIVER)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="wasm-torch-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in FLAGS + (extra_flags or []) + [f"--user-data-dir={profile}"]:
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    drv._wasm_torch_profile = profile
    return drv


def stop_chromium(drv: Any) -> None:
    drv.quit()
    shutil.rmtree(drv._wasm_torch_profile, ignore_errors=True)


def wait_for(drv: Any, expr: str = "window.RESULT", timeout: float = 60.0) -> Any:
    """Poll a JS expression until it is non-null; fail with the browser console on time-out."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = drv.execute_script(f"return {expr} || null")
        if value is not None:
            return value
        time.sleep(0.1)
    logs = "\n".join(e["message"] for e in drv.get_log("browser"))
    pytest.fail(f"page did not set {expr} within {timeout} s; console:\n{logs}")
