"""The four reference benchmark models in all four forms, converted by wasm-torch, against torch.

Their files are big (resnet18 is 45 MB), so each form is generated on first use and cached under
tests/.cache/reference/.
"""

from __future__ import annotations

import pytest
import zoo_cache
from models import reference, zoo


@pytest.mark.slow
@pytest.mark.parametrize("form", zoo.FORMS)
@pytest.mark.parametrize("name", reference.NAMES)
def test_reference_model(name: str, form: str) -> None:
    path, inputs, expected, refused = zoo_cache.reference_case(name, form)
    if refused:
        pytest.skip(f"torch refuses: {refused}")
    got = zoo_cache.run(zoo_cache.convert(path, inputs), inputs)
    zoo_cache.check_outputs(got, expected, f"{name} ({form})")
