"""Quantization: integer pass (steps + gemm_int) vs fake-quant pass, accuracy, requantization parameters."""

from __future__ import annotations

import numpy as np
import pytest

from pymodel.errors import AccelscopeError
from pymodel.net import digits
from pymodel.net.float_model import forward
from pymodel.net.intops import gemm_int
from pymodel.net.layers import Conv2d, Flatten, Linear, MaxPool2d, Network, ReLU
from pymodel.net.quant import quantize, requant_params
from pymodel.net.steps import GemmStep
from tests.test_net_layers import bn_cnn


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
@pytest.mark.parametrize("mode", ["full_int8", "hybrid"])
def test_digits_integer_vs_fake_and_accuracy(kind, mode):
    net = digits.trained(kind)
    y = digits.load().y_test
    x = digits.inputs(kind)
    q = quantize(net, digits.inputs(kind, "train"), mode)
    out_int = q.run(x)
    out_fake = q.fake(x)
    p_int, p_fake = out_int.argmax(1), out_fake.argmax(1)
    acc_float = digits.accuracy(net, kind)
    acc_int = float(np.mean(p_int == y))
    agree = float(np.mean(p_int == p_fake))
    print(f"{kind} {mode}: float {acc_float:.4f} int {acc_int:.4f} fake {np.mean(p_fake == y):.4f} "
          f"agreement {agree:.4f} max |logit diff| {np.abs(out_int - out_fake).max():.3g}")
    np.testing.assert_array_equal(p_int, p_fake)
    np.testing.assert_allclose(out_int, out_fake, atol=1e-3)
    assert acc_int >= acc_float - 0.02


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_int8_logits(kind):
    """int8_logits: the last GEMM requantizes to int8 with a scale calibrated on the logits (max |logit|
    / 127 on the calibration set, from the float network here), the host multiplies by it; the integer
    and fake passes predict alike, and the accuracy stays within 1 % of the int32 logits'."""
    net = digits.trained(kind)
    x, y, cal = digits.inputs(kind), digits.load().y_test, digits.inputs(kind, "train")
    q8, q32 = quantize(net, cal, int8_logits=True), quantize(net, cal)
    last, deq = q8.steps[-2], q8.steps[-1]
    assert isinstance(last, GemmStep) and last.out_int8 and deq.kind == "dequantize"
    s_y = np.float32(np.abs(forward(net, cal)).max() / np.float32(127))
    assert last.out_scale == s_y and np.all(deq.scale == s_y)
    np.testing.assert_array_equal(q8.run(x).argmax(1), q8.fake(x).argmax(1))
    acc8, acc32 = (float(np.mean(q.run(x).argmax(1) == y)) for q in (q8, q32))
    print(f"{kind}: accuracy int8 logits {acc8:.4f}, int32 logits {acc32:.4f}")
    assert abs(acc8 - acc32) <= 0.01
    with pytest.raises(AccelscopeError, match="int8 logits need the full_int8 mode"):
        quantize(net, cal, "hybrid", int8_logits=True)


def test_full_int8_cnn_steps_and_pluggable_gemm():
    q = quantize(digits.trained("cnn"), digits.inputs("cnn", "train"), "full_int8")
    assert [s.kind for s in q.steps] == ["quantize", "gemm", "maxpool", "flatten", "gemm", "dequantize"]
    g0, g1 = q.gemms
    assert (g0.relu, g0.out_int8, g0.k, g0.n, g0.out_hw) == (True, True, 9, 8, (8, 8))
    assert (g1.relu, g1.out_int8, g1.k, g1.n, g1.out_hw) == (False, False, 128, 10, None)
    calls = []

    def rtl_stand_in(a, b, bias, relu, out_int8, mult, shift):
        assert a.dtype == b.dtype == np.int8 and bias.dtype == np.int32
        assert mult.dtype == np.uint32 and shift.dtype == np.uint8
        calls.append(a.shape)
        return gemm_int(a, b, bias, relu, out_int8, mult, shift)

    x = digits.inputs("cnn")[:50]
    np.testing.assert_array_equal(q.run(x, gemm=rtl_stand_in), q.run(x))
    assert calls == [(50 * 64, 9), (50, 128)]
    seen = []
    q.run(x, trace=lambda i, step, out: seen.append((step.kind, out.dtype)))
    assert seen[:4] == [("quantize", np.int8), ("gemm", np.int8), ("maxpool", np.int8), ("flatten", np.int8)]
    assert seen[4] == ("gemm", np.int32)


def test_hybrid_steps():
    q = quantize(digits.trained("mlp"), digits.inputs("mlp", "train"), "hybrid")
    assert [s.kind for s in q.steps] == ["quantize", "gemm", "dequantize", "relu", "quantize", "gemm", "dequantize"]
    assert all(not g.relu and not g.out_int8 and not g.bias.any() for g in q.gemms)


def test_relu_after_maxpool_fuses_into_the_gemm():
    rng = np.random.default_rng(0)
    conv = Conv2d(rng.standard_normal((4, 2, 3, 3)), rng.standard_normal(4), 1, 1)
    lin = Linear(rng.standard_normal((3, 64)), rng.standard_normal(3))
    a = Network((conv, MaxPool2d(2), ReLU(), Flatten(), lin), (2, 8, 8))
    b = Network((conv, ReLU(), MaxPool2d(2), Flatten(), lin), (2, 8, 8))
    x = rng.standard_normal((32, 2, 8, 8)).astype(np.float32)
    qa, qb = quantize(a, x), quantize(b, x)
    assert [s.kind for s in qa.steps] == ["quantize", "gemm", "maxpool", "flatten", "gemm", "dequantize"]
    assert qa.gemms[0].relu
    np.testing.assert_array_equal(qa.run(x), qb.run(x))


def test_batchnorm_network_with_softmax_and_narrow_multiplier():
    net = bn_cnn()
    x = np.random.default_rng(2).standard_normal((64, 2, 8, 8)).astype(np.float32)
    for mode in ("full_int8", "hybrid"):
        q = quantize(net, x, mode, mult_bits=10)
        out = q.run(x)
        assert q.steps[-1].kind == "softmax"
        np.testing.assert_allclose(out.sum(axis=1), 1, rtol=1e-5)
        assert np.mean(out.argmax(1) == forward(net, x).argmax(1)) > 0.8
        assert all(int(g.mult.max()) < 2**10 for g in q.gemms)


def test_requant_params():
    m = np.array([0.5, 1e-3, 0.75123, 3.0, 1e-12, 65535.4])
    mult, shift = requant_params(m)
    assert mult.max() < 2**16 and shift.max() <= 31
    approx = mult / 2.0 ** shift.astype(float)
    np.testing.assert_allclose(approx[:4], m[:4], rtol=2**-15)
    assert shift[0] == 16 and mult[0] == 2**15  # largest shift that keeps mult < 2^16
    assert (mult[4], shift[4]) == (0, 31) and (mult[5], shift[5]) == (65535, 0)
    with pytest.raises(AccelscopeError, match=r"multiplier 65535.6 \(channel 0\) does not fit 16 bits"):
        requant_params(np.array([65535.6]))


def test_gemm_step_metadata():
    q = quantize(digits.trained("cnn"), digits.inputs("cnn", "train"))
    g = q.gemms[0]
    assert isinstance(g, GemmStep) and g.macs(10) == 10 * 64 * 9 * 8
    assert "im2col(3x3" in q.describe()


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_full_int8_activations_match_fake_quant(kind):
    q = quantize(digits.trained(kind), digits.inputs(kind, "train"), "full_int8")
    x = digits.inputs(kind)
    ints: dict[int, np.ndarray] = {}
    fakes: dict[int, np.ndarray] = {}
    q.run(x, trace=lambda i, s, out: ints.__setitem__(i, out))
    q.fake(x, trace=lambda i, s, out: fakes.__setitem__(i, out))
    total = same = 0
    for i, step in enumerate(q.steps):
        scale = step.scale if step.kind == "quantize" else getattr(step, "out_scale", None)
        if ints[i].dtype == np.int8 and scale is not None:
            q_fake = np.rint(fakes[i] / scale)
            total += q_fake.size
            same += int(np.sum(q_fake == ints[i]))
        elif ints[i].dtype == np.int32:  # the final accumulators, as real values
            np.testing.assert_allclose(ints[i] * (step.in_scale * step.w_scale), fakes[i], rtol=1e-4, atol=1e-4)
    print(f"{kind}: {same}/{total} int8 activations identical in the integer and fake-quant passes")
    assert same / total >= 0.999
