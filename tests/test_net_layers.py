"""Network validation, BatchNorm folding and Dropout removal."""

from __future__ import annotations

import numpy as np
import pytest

from pymodel.errors import AccelscopeError
from pymodel.net.float_model import forward
from pymodel.net.layers import BatchNorm2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d, Network, ReLU, Softmax, fold


def rand(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def bn(rng, c):
    return BatchNorm2d(rand(rng, c), rand(rng, c), rand(rng, c), np.abs(rand(rng, c)) + 0.1, 1e-3)


def bn_cnn(seed: int = 0) -> Network:
    """Conv-BN-ReLU-Dropout-MaxPool-Flatten-Linear-BN-ReLU-Linear-Softmax on (2, 8, 8)."""
    rng = np.random.default_rng(seed)
    return Network((Conv2d(rand(rng, 4, 2, 3, 3), rand(rng, 4), 1, 1), bn(rng, 4), ReLU(), Dropout(0.3),
                    MaxPool2d(2), Flatten(), Linear(rand(rng, 6, 64), rand(rng, 6)), bn(rng, 6), ReLU(),
                    Linear(rand(rng, 3, 6), rand(rng, 3)), Softmax()), (2, 8, 8))


def test_shapes_and_describe():
    net = bn_cnn()
    assert net.shapes[0] == (4, 8, 8) and net.shapes[4] == (4, 4, 4) and net.output_shape == (3,)
    assert "MaxPool2d" in net.describe()


def test_fold_keeps_outputs():
    net = bn_cnn()
    folded = fold(net)
    assert [layer.kind for layer in folded.layers] == ["Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear", "ReLU",
                                                       "Linear", "Softmax"]
    x = np.random.default_rng(1).standard_normal((16, 2, 8, 8)).astype(np.float32)
    np.testing.assert_allclose(forward(folded, x), forward(net, x), rtol=1e-4, atol=1e-6)


def test_bn_without_gemm_before_is_an_error():
    rng = np.random.default_rng(0)
    net = Network((bn(rng, 2), Conv2d(rand(rng, 1, 2, 1, 1), rand(rng, 1))), (2, 4, 4))
    with pytest.raises(AccelscopeError, match=r"layer 0 \(BatchNorm2d\): cannot fold: follows the network input"):
        fold(net)
    net = Network((Conv2d(rand(rng, 2, 2, 1, 1), rand(rng, 2)), ReLU(), bn(rng, 2)), (2, 4, 4))
    with pytest.raises(AccelscopeError, match=r"layer 2 \(BatchNorm2d\): cannot fold: follows ReLU"):
        fold(net)


def test_softmax_in_the_middle():
    rng = np.random.default_rng(0)
    with pytest.raises(AccelscopeError, match=r"layer 1 \(Softmax\): Softmax is only supported as the final layer"):
        Network((Linear(rand(rng, 4, 4), rand(rng, 4)), Softmax(), Linear(rand(rng, 2, 4), rand(rng, 2))), (4,))


def test_groups_2_conv():
    rng = np.random.default_rng(0)
    with pytest.raises(AccelscopeError, match="groups=2 unsupported"):
        Conv2d(rand(rng, 4, 1, 3, 3), rand(rng, 4), groups=2)


@pytest.mark.parametrize("layers, shape, msg", [
    (lambda r: (Linear(rand(r, 3, 5), rand(r, 3)),), (4,), r"layer 0 \(Linear\): expects \(5,\) features"),
    (lambda r: (Conv2d(rand(r, 3, 2, 3, 3), rand(r, 3)), Linear(rand(r, 2, 3), rand(r, 2))), (2, 5, 5),
     r"layer 1 \(Linear\): expects \(3,\) features, gets \(3, 3, 3\) \(Flatten first\?\)"),
    (lambda r: (MaxPool2d(4),), (1, 3, 3), r"layer 0 \(MaxPool2d\): kernel"),
    (lambda r: ("not a layer",), (4,), r"layer 0 \(str\): unsupported; supported: Linear, ReLU"),
])
def test_validation_names_the_layer(layers, shape, msg):
    with pytest.raises(AccelscopeError, match=msg):
        Network(layers(np.random.default_rng(0)), shape)


def test_arrays_are_read_only_copies():
    w = np.ones((2, 2), np.float32)
    layer = Linear(w, np.zeros(2))
    w[0, 0] = 5
    assert layer.weight[0, 0] == 1 and not layer.weight.flags.writeable
