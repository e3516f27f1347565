"""Elementwise arithmetic, comparison, logic and math with broadcasting and torch type promotion."""

from __future__ import annotations

from .common import elementwise_meta
from .registry import define


def _add_ref(a):
    return a.self + a.other * a.alpha if a.alpha != 1 else a.self + a.other


define("add(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor",
       lambda a: elementwise_meta(a.self, a.other), _add_ref)
