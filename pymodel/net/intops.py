"""The accelerator's integer GEMM semantics as one pure numpy function (docs/net.md).

    acc[m, n] = wrap32(sum_k a[m, k] * b[k, n])          int8 x int8, int32 accumulator, wraps
    y[m, n]   = wrap32(acc[m, n] + bias[n])
    y         = max(y, 0)                                  if relu
    out       = y                                          int32 output, or
    out       = clamp((y * mult[n] + rnd[n]) >> shift[n], -128, 127)    int8 output,
                rnd[n] = 1 << (shift[n] - 1) if shift[n] > 0 else 0,
                computed in int64, arithmetic shift, 0 <= mult[n] < 2**mult_bits, 0 <= shift[n] <= 31.

The RTL model and the RTL simulator are checked against this function; any GEMM
callable with the same signature (`GemmFn`) can replace it in the executor.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from pymodel.errors import AccelscopeError

MULT_BITS = 16
MAX_SHIFT = 31


class GemmFn(Protocol):
    """Signature shared by `gemm_int` and an RTL-simulator GEMM."""

    def __call__(self, a: np.ndarray, b: np.ndarray, bias: np.ndarray, relu: bool, out_int8: bool,
                 mult: np.ndarray, shift: np.ndarray) -> np.ndarray: ...


def wrap32(x: np.ndarray) -> np.ndarray:
    """Wrap int64 values to signed 32-bit two's complement (returned as int64)."""
    v = np.asarray(x, dtype=np.int64) + np.int64(1 << 31)
    v &= np.int64(0xFFFFFFFF)
    v -= np.int64(1 << 31)
    return v


def _ints(x: np.ndarray, name: str, ndim: int, lo: int, hi: int) -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim != ndim or not (np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_):
        raise AccelscopeError(f"gemm_int: {name} must be a {ndim}-D integer array, got {arr.dtype} {arr.shape}")
    if arr.size and (int(arr.min()) < lo or int(arr.max()) > hi):
        raise AccelscopeError(f"gemm_int: {name} values must be in [{lo}, {hi}], got "
                              f"[{int(arr.min())}, {int(arr.max())}]")
    return arr.astype(np.int64)


def gemm_int(a: np.ndarray, b: np.ndarray, bias: np.ndarray, relu: bool, out_int8: bool,
             mult: np.ndarray, shift: np.ndarray, mult_bits: int = MULT_BITS) -> np.ndarray:
    """A int8 (M, K) @ B int8 (K, N) + bias int32 (N,) -> int8 or int32 (M, N), exactly as the hardware.

    `mult` and `shift` (N,) are only read when `out_int8` (pass zeros otherwise).
    Inputs outside their ranges raise AccelscopeError; nothing is clipped silently.
    """
    if not 1 <= mult_bits <= 32:
        raise AccelscopeError(f"gemm_int: mult_bits={mult_bits} must be in 1..32")
    a64 = _ints(a, "a", 2, -128, 127)
    b64 = _ints(b, "b", 2, -128, 127)
    if a64.shape[1] != b64.shape[0]:
        raise AccelscopeError(f"gemm_int: a {a64.shape} and b {b64.shape} do not chain (K differs)")
    n = b64.shape[1]
    bias64 = _ints(bias, "bias", 1, -(1 << 31), (1 << 31) - 1)
    if bias64.shape != (n,):
        raise AccelscopeError(f"gemm_int: bias shape {bias64.shape}, expected ({n},)")
    # |a*b| <= 2**14, so for K < 2**39 (any K that fits in memory) every partial sum is an
    # integer below 2**53 and the float64 (BLAS) product is exact in any summation order.
    # Wrapping the exact sum equals wrapping after every addition.
    exact = (a64.astype(np.float64) @ b64.astype(np.float64)).astype(np.int64)
    y = wrap32(wrap32(exact) + bias64)
    if relu:
        y = np.maximum(y, 0)
    if not out_int8:
        return y.astype(np.int32)
    m64 = _ints(mult, "mult", 1, 0, (1 << mult_bits) - 1)
    s64 = _ints(shift, "shift", 1, 0, MAX_SHIFT)
    if m64.shape != (n,) or s64.shape != (n,):
        raise AccelscopeError(f"gemm_int: mult {m64.shape} / shift {s64.shape}, expected ({n},)")
    rnd = np.where(s64 > 0, np.left_shift(np.int64(1), np.maximum(s64 - 1, 0)), 0)
    q = (y * m64 + rnd) >> s64  # |y| <= 2**31, mult < 2**32: fits int64; >> is arithmetic
    return np.clip(q, -128, 127).astype(np.int8)
