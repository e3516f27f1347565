"""Every zoo model, in every form torch can save it, converted by wasm-torch and run against torch's
outputs; plus weight swaps (a graph file with a second init's weights from each weight-file flavour).

A form torch refuses for an entry is skipped with torch's reason (recorded in tests/models/zoo.py).
"""

from __future__ import annotations

import pytest
import zoo_cache
from models import zoo


def _cases() -> list:
    cases = []
    for e in zoo.ZOO.values():
        for form in zoo.FORMS:
            why = e.refused.get(form)
            marks = [pytest.mark.skip(reason=f"torch refuses: {why}")] if why else []
            cases.append(pytest.param(e.name, form, marks=marks, id=f"{e.name}-{form}"))
    return cases


@pytest.mark.parametrize("name,form", _cases())
def test_zoo(name: str, form: str) -> None:
    zoo_cache.check_case(name, form)


def _swap_cases() -> list:
    return [pytest.param(e.name, form, w, id=f"{e.name}-{form}-{w}")
            for e in zoo.ZOO.values() if e.swap for form in e.forms for w in zoo_cache.WEIGHT_FILES]


@pytest.mark.parametrize("name,form,weights", _swap_cases())
def test_weight_swap(name: str, form: str, weights: str) -> None:
    zoo_cache.check_case(name, form, weights)


def test_zoo_is_broad() -> None:
    assert len(zoo.ZOO) >= 35
    for e in zoo.ZOO.values():
        assert set(e.refused) <= set(zoo.FORMS), e.name
        assert all(why.strip() for why in e.refused.values()), f"{e.name}: say why torch refuses"
