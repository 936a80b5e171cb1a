"""gemm_int against a straightforward per-element reference (Python ints, wrap after every add)."""

from __future__ import annotations

import numpy as np
import pytest

from pymodel.errors import AccelscopeError
from pymodel.net.intops import gemm_int


def wrap32(v: int) -> int:
    return ((v + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def reference(a, b, bias, relu, out_int8, mult, shift):
    m_, k_ = a.shape
    n_ = b.shape[1]
    out = np.zeros((m_, n_), np.int64)
    for m in range(m_):
        for n in range(n_):
            acc = 0
            for k in range(k_):
                acc = wrap32(acc + int(a[m, k]) * int(b[k, n]))
            y = wrap32(acc + int(bias[n]))
            if relu:
                y = max(y, 0)
            if out_int8:
                sh = int(shift[n])
                y = (y * int(mult[n]) + ((1 << (sh - 1)) if sh > 0 else 0)) >> sh
                y = min(max(y, -128), 127)
            out[m, n] = y
    return out.astype(np.int8 if out_int8 else np.int32)


def check(a, b, bias, relu, out_int8, mult, shift, **kw):
    got = gemm_int(a, b, bias, relu, out_int8, mult, shift, **kw)
    want = reference(a, b, bias, relu, out_int8, mult, shift)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    return got


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("out_int8", [False, True])
def test_random_with_extremes(relu, out_int8):
    rng = np.random.default_rng(7)
    m, k, n = 9, 23, 12
    a = rng.choice(np.array([-128, 127, -1, 0, 1, 5, -77], np.int8), size=(m, k))
    b = rng.integers(-128, 128, size=(k, n)).astype(np.int8)
    b[:, 0] = -128
    b[:, 1] = 127
    bias = rng.integers(-2**31, 2**31, size=n, dtype=np.int64).astype(np.int32)
    bias[2], bias[3] = 2**31 - 1, -2**31  # bias add wraps
    mult = rng.integers(0, 2**16, size=n).astype(np.uint32)
    shift = rng.integers(0, 32, size=n).astype(np.uint8)
    mult[0], shift[0] = 2**16 - 1, 31
    mult[1], shift[1] = 2**16 - 1, 0
    mult[4], shift[4] = 1, 0
    mult[5], shift[5] = 0, 17
    check(a, b, bias, relu, out_int8, mult, shift)


def test_accumulator_wraps():
    k = 2**17 + 5  # 2**14 * k > 2**31: the int32 accumulator wraps
    a = np.full((2, k), -128, np.int8)
    a[1, ::3] = 127
    b = np.full((k, 2), -128, np.int8)
    b[::2, 1] = 127
    bias = np.array([0, -5], np.int32)
    got = check(a, b, bias, False, False, np.zeros(2, np.uint32), np.zeros(2, np.uint8))
    assert got[0, 0] == wrap32(2**14 * k) and got[0, 0] < 0


def test_rounding_is_half_up_with_arithmetic_shift():
    a = np.array([[1], [-1], [-2], [-3], [3], [100]], np.int8)
    b = np.ones((1, 1), np.int8)
    z = np.zeros(1, np.int32)
    got = gemm_int(a, b, z, False, True, np.array([1], np.uint32), np.array([1], np.uint8))
    # (y + 1) >> 1: 1 -> 1, -1 -> 0, -2 -> -1 (floor of -0.5), -3 -> -1, 3 -> 2, 100 -> 50
    assert got[:, 0].tolist() == [1, 0, -1, -1, 2, 50]
    sat = gemm_int(np.array([[127], [-128]], np.int8), np.array([[127]], np.int8), np.zeros(1, np.int32), False,
                   True, np.array([2**16 - 1], np.uint32), np.array([0], np.uint8))
    assert sat[:, 0].tolist() == [127, -128]


def test_mult_bits_32_extremes_fit_int64():
    a = np.array([[-128, -128], [127, 127]], np.int8)
    b = np.array([[-128], [-128]], np.int8)
    bias = np.array([-2**31], np.int32)
    for relu in (False, True):
        check(a, b, bias, relu, True, np.array([2**32 - 1], np.uint32), np.array([31], np.uint8), mult_bits=32)


@pytest.mark.parametrize("args, msg", [
    (dict(a=np.array([[200]], np.int16)), "a values"),
    (dict(b=np.array([[1.0]])), "b must be"),
    (dict(mult=np.array([2**16], np.uint32)), "mult values"),
    (dict(shift=np.array([32], np.uint8)), "shift values"),
    (dict(bias=np.zeros(2, np.int32)), "bias shape"),
])
def test_bad_operands(args, msg):
    kw = dict(a=np.ones((1, 1), np.int8), b=np.ones((1, 1), np.int8), bias=np.zeros(1, np.int32), relu=False,
              out_int8=True, mult=np.ones(1, np.uint32), shift=np.zeros(1, np.uint8))
    kw.update(args)
    with pytest.raises(AccelscopeError, match=msg):
        gemm_int(**kw)
