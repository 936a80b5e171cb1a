"""Random operands of the systolic jobs (random and directed descriptor lists in randjob and
convjob, the edge cases in edges, the cocotb tests): int8 tensors and requantization
multipliers and shifts."""

from __future__ import annotations

import numpy as np


def rand_int8(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(-128, 128, size=shape, dtype=np.int64)


def rand_quant(rng: np.random.Generator, n: int, edges: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Multipliers and shifts that map typical accumulators into int8 range (some saturate).
    With `edges`, about a third of the columns take shift 0 or 31 (the ends of the field),
    or 1..9 with a small multiplier (rounding ties are frequent there; every rounding bit below
    the usual shifts is used)."""
    shift = rng.integers(10, 24, size=n)
    mult = rng.integers(1 << 10, 1 << 24, size=n)
    if edges:
        pick = rng.random(n)
        shift = np.where(pick < 0.1, 0, np.where(pick < 0.2, 31, shift))
        small = (pick >= 0.2) & (pick < 0.35)
        shift = np.where(small, rng.integers(1, 10, size=n), shift)
        mult = np.where(small, rng.integers(1, 8, size=n), mult)
        mult = np.where(pick < 0.1, rng.integers(0, 4, size=n), mult)  # shift 0: q = y * mult, clamped
    return mult, shift
