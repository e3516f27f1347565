"""Canonical ops. Each module registers its op family with `registry.define` (schema, shape and
dtype inference, numpy reference) and the frontend spellings that lower onto it."""

from . import (  # noqa: F401  (importing registers the ops)
    activation,
    attention,
    conv,
    creation,
    elementwise,
    indexing,
    linalg,
    norm,
    pool,
    reduction,
    registry,
    resize,
    rnn,
    shape,
)

__all__ = ["registry"]
