"""Fixed-point conversion between real numbers and raw DATA_W-bit words."""

from __future__ import annotations

import numpy as np

from pymodel.lebug.config import LebugConfig


def wrap(values: np.ndarray, width: int) -> np.ndarray:
    """Wrap int64 values to signed `width`-bit two's complement (as int64)."""
    half = np.int64(1) << np.int64(width - 1)
    mask = (np.int64(1) << np.int64(width)) - 1
    v = np.add(np.asarray(values, dtype=np.int64), half)  # a fresh array, then in place
    v &= mask
    v -= half
    return v


def to_raw(x: np.ndarray, cfg: LebugConfig) -> np.ndarray:
    """Real (or integer) values to raw words: floor(x*2^F + 0.5), saturated to DATA_W bits."""
    arr = np.asarray(x)
    lo = -(1 << (cfg.DATA_W - 1))
    hi = (1 << (cfg.DATA_W - 1)) - 1
    if cfg.FRAC_W == 0 and np.issubdtype(arr.dtype, np.integer):
        return np.clip(arr.astype(np.int64), lo, hi)
    scaled = np.floor(arr.astype(np.float64) * float(1 << cfg.FRAC_W) + 0.5)
    return np.clip(scaled, lo, hi).astype(np.int64)


def to_real(raw: np.ndarray, cfg: LebugConfig) -> np.ndarray:
    """Raw words to real values (raw / 2^F); integer mode returns the integers."""
    arr = np.asarray(raw, dtype=np.int64)
    if cfg.FRAC_W == 0:
        return arr
    return arr.astype(np.float64) / float(1 << cfg.FRAC_W)


def default_thresholds(cfg: LebugConfig) -> np.ndarray:
    """The seed's threshold memory: real values 0, 1, 2, ... as raw words."""
    return wrap(np.arange(cfg.n_thresholds, dtype=np.int64) << cfg.FRAC_W, cfg.DATA_W)
