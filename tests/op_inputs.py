"""Random inputs for op parity tests: odd sizes, special float values, the dtypes torch allows."""

from __future__ import annotations

import torch

# nan/inf/signed zeros and exact halves (round-half-to-even, floor/ceil/trunc edges).
SPECIAL = [float("nan"), float("inf"), float("-inf"), 0.0, -0.0, 0.5, -1.5, 2.5]
HALF_TOL = 2e-3  # float16 results: torch and we may round the last bit differently


def rand(*shape: int, dtype: torch.dtype = torch.float32, special: bool = False, nonzero: bool = False,
         low: int = -9, high: int = 10, scale: float = 3.0) -> torch.Tensor:
    """A random tensor; `special` plants SPECIAL values in floats, `nonzero` avoids zeros (divisors)."""
    if dtype == torch.bool:
        x = torch.rand(shape) > 0.5
    elif dtype.is_floating_point:
        x = torch.randn(shape) * scale
        if special and x.numel():
            flat = x.view(-1)
            k = min(len(SPECIAL), flat.numel())
            flat[torch.randperm(flat.numel())[:k]] = torch.tensor(SPECIAL[:k])
        x = x.to(dtype)
    else:
        x = torch.randint(0 if dtype == torch.uint8 else low, high, shape, dtype=dtype)
    if nonzero:
        x = torch.where(x == 0, torch.ones_like(x), x)
    return x


def inplace(method: str):
    """torch's in-place method applied to a copy (parity feeds the original to our side)."""
    return lambda x, *args, **kwargs: getattr(x.clone(), method)(*args, **kwargs)
