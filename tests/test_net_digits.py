"""Digits data, deterministic training, accuracy thresholds and the shipped example files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pymodel.net import digits
from pymodel.net.float_model import forward
from pymodel.net.importers import load_json, load_onnx
from pymodel.net.train import train

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_split_is_stratified_and_deterministic():
    d = digits.load()
    assert d.x_train.shape == (1437, 1, 8, 8) and d.x_test.shape == (360, 1, 8, 8)
    assert d.x_train.dtype == np.float32 and 0 <= d.x_train.min() and d.x_train.max() <= 1
    counts = np.bincount(d.y_test, minlength=10)
    assert counts.min() >= 35 and counts.max() <= 37
    again = digits.load.__wrapped__()
    np.testing.assert_array_equal(again.x_test, d.x_test)
    np.testing.assert_array_equal(again.y_train, d.y_train)


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_accuracy_and_bitwise_reproducible(kind):
    net = digits.trained(kind)
    acc = digits.accuracy(net, kind)
    print(f"{kind}: float test accuracy {acc:.4f}")
    assert acc >= 0.95
    cfg = digits.MLP_CONFIG if kind == "mlp" else digits.CNN_CONFIG
    init = digits.init_mlp(cfg.seed) if kind == "mlp" else digits.init_cnn(cfg.seed)
    again = train(init, digits.inputs(kind, "train"), digits.load().y_train, cfg)
    for a, b in zip(net.layers, again.layers):
        if hasattr(a, "weight"):
            assert a.weight.tobytes() == b.weight.tobytes() and a.bias.tobytes() == b.bias.tobytes()


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_shipped_examples(kind):
    j = load_json(EXAMPLES / f"digits_{kind}.json")
    o = load_onnx(EXAMPLES / f"digits_{kind}.onnx")
    for a, b in zip(j.layers, o.layers):
        if hasattr(a, "weight"):
            np.testing.assert_array_equal(a.weight, b.weight)
            np.testing.assert_array_equal(a.bias, b.bias)
    x = digits.inputs(kind)
    np.testing.assert_array_equal(forward(j, x), forward(o, x))
    assert digits.accuracy(o, kind) >= 0.95
    for suffix in (".onnx", ".json", ".npz"):
        assert (EXAMPLES / f"digits_{kind}{suffix}").stat().st_size < 16_000
