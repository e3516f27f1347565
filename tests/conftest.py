import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))


@pytest.fixture(autouse=True)
def seeded() -> None:
    """Every test starts from the same random state, so a failure reproduces."""
    try:
        import torch
    except ImportError:
        return
    torch.manual_seed(0)


@pytest.fixture(scope="session")
def site_dist(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The static site (tools/build_site.py) built once per session into a temporary folder."""
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    from build_site import build_site

    out = tmp_path_factory.mktemp("site") / "dist"
    build_site(out)
    return str(out)
