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
