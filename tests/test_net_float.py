"""im2col / convolution / max pooling against direct per-pixel computations."""

from __future__ import annotations

import numpy as np
import pytest

from pymodel.net.float_model import conv2d, im2col, maxpool2d


def direct_conv(x, w, b, stride, pad):
    n, _c, h, wd = x.shape
    oc, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    oh = (h + 2 * pad[0] - kh) // stride[0] + 1
    ow = (wd + 2 * pad[1] - kw) // stride[1] + 1
    out = np.zeros((n, oc, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * stride[0]:i * stride[0] + kh, j * stride[1]:j * stride[1] + kw]
            out[:, :, i, j] = np.einsum("nckl,ockl->no", patch, w) + b
    return out


@pytest.mark.parametrize("shape, kernel, stride, pad", [
    ((2, 1, 8, 8), (3, 3), (1, 1), (1, 1)),
    ((3, 3, 7, 9), (3, 2), (2, 1), (0, 2)),
    ((1, 4, 5, 5), (5, 5), (1, 1), (0, 0)),
    ((2, 2, 6, 6), (1, 1), (2, 3), (1, 0)),
])
def test_conv_via_im2col_matches_direct(shape, kernel, stride, pad):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape)
    w = rng.standard_normal((5, shape[1], *kernel))
    b = rng.standard_normal(5)
    np.testing.assert_allclose(conv2d(x, w, b, stride, pad), direct_conv(x, w, b, stride, pad), rtol=1e-12,
                               atol=1e-12)


def test_im2col_row_order_and_integer_padding():
    x = np.arange(2 * 2 * 4 * 4, dtype=np.int8).reshape(2, 2, 4, 4)
    cols = im2col(x, 3, 3, (1, 1), (1, 1))
    assert cols.dtype == np.int8 and cols.shape == (2, 18, 16)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    for c in range(2):
        for i in range(3):
            for j in range(3):
                want = xp[:, c, i:i + 4, j:j + 4].reshape(2, 16)  # row (c, i, j), column oh*OW + ow
                np.testing.assert_array_equal(cols[:, c * 9 + i * 3 + j], want)


def test_maxpool_matches_direct_on_int8():
    rng = np.random.default_rng(4)
    x = rng.integers(-128, 128, size=(2, 3, 7, 6)).astype(np.int8)
    got = maxpool2d(x, (3, 2), (2, 2))
    want = np.array([[[[x[n, c, 2 * i:2 * i + 3, 2 * j:2 * j + 2].max() for j in range(3)] for i in range(3)]
                      for c in range(3)] for n in range(2)])
    assert got.dtype == np.int8
    np.testing.assert_array_equal(got, want)
