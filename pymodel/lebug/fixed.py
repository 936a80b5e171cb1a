"""Fixed-point conversion between real numbers and raw DATA_W-bit words."""

from __future__ import annotations

import numpy as np

from pymodel.errors import AccelscopeError
from pymodel.lebug.config import LebugConfig


def wrap(values: np.ndarray, width: int) -> np.ndarray:
    """Wrap int64 values to signed `width`-bit two's complement (as int64)."""
    half = np.int64(1) << np.int64(width - 1)
    mask = (np.int64(1) << np.int64(width)) - 1
    v = np.add(np.asarray(values, dtype=np.int64), half)  # a fresh array, then in place
    v &= mask
    v -= half
    return v


def to_raw(x: np.ndarray, cfg: LebugConfig, where: str = "values") -> np.ndarray:
    """Real (or integer) values to raw words: floor(x*2^F + 0.5). Values that do not fit DATA_W
    bits, NaN/inf, and non-integers in integer mode (FRAC_W=0) are rejected (AccelscopeError
    naming `where`), never saturated or rounded."""
    arr = np.asarray(x)
    lo = -(1 << (cfg.DATA_W - 1))
    hi = (1 << (cfg.DATA_W - 1)) - 1
    fits = f"DATA_W={cfg.DATA_W}" + (f" with FRAC_W={cfg.FRAC_W}" if cfg.FRAC_W else "")
    if arr.dtype == bool or arr.dtype.kind not in "iuf":
        raise AccelscopeError(f"{where}: expected numbers, got dtype {arr.dtype}")
    if arr.dtype.kind in "iu":
        if arr.size and cfg.FRAC_W == 0:
            if arr.min() < lo or arr.max() > hi:
                bad = arr.max() if arr.max() > hi else arr.min()
                raise AccelscopeError(f"{where}: value {bad} does not fit {fits} ({lo}..{hi})")
            return arr.astype(np.int64)
        if cfg.FRAC_W == 0:
            return arr.astype(np.int64)
    f = arr.astype(np.float64)
    if not np.all(np.isfinite(f)):
        raise AccelscopeError(f"{where}: NaN or infinite value (at index {np.argwhere(~np.isfinite(f))[0].tolist()})")
    if cfg.FRAC_W == 0 and not np.all(np.mod(f, 1) == 0):
        bad = f[np.mod(f, 1) != 0][0]
        raise AccelscopeError(f"{where}: {bad} is not an integer (integer mode, FRAC_W=0; "
                              f"use --config FRAC_W=... for real numbers)")
    scaled = np.floor(f * float(1 << cfg.FRAC_W) + 0.5)
    if scaled.size and (scaled.min() < lo or scaled.max() > hi):
        i = np.argmax((scaled < lo) | (scaled > hi))
        raise AccelscopeError(f"{where}: value {f.ravel()[i]:g} does not fit {fits} "
                              f"({lo / (1 << cfg.FRAC_W):.10g}..{hi / (1 << cfg.FRAC_W):.10g})")
    return scaled.astype(np.int64)


def to_real(raw: np.ndarray, cfg: LebugConfig) -> np.ndarray:
    """Raw words to real values (raw / 2^F); integer mode returns the integers."""
    arr = np.asarray(raw, dtype=np.int64)
    if cfg.FRAC_W == 0:
        return arr
    return arr.astype(np.float64) / float(1 << cfg.FRAC_W)


def default_thresholds(cfg: LebugConfig) -> np.ndarray:
    """The seed's threshold memory: real values 0, 1, 2, ... as raw words."""
    return wrap(np.arange(cfg.n_thresholds, dtype=np.int64) << cfg.FRAC_W, cfg.DATA_W)
