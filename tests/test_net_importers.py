"""Importers and exporters: JSON/npz and ONNX round trips, the clear errors, the torch path."""

from __future__ import annotations

import sys
import types

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from pymodel.errors import AccelscopeError
from pymodel.net.float_model import forward
from pymodel.net.importers import export_onnx, from_torch, load_json, load_onnx, save_json
from pymodel.net.layers import Network
from tests.test_net_layers import bn_cnn


def same_network(a: Network, b: Network) -> None:
    assert a.input_shape == b.input_shape
    assert [type(x) for x in a.layers] == [type(x) for x in b.layers]
    for la, lb in zip(a.layers, b.layers):
        for name, va in vars(la).items():
            vb = getattr(lb, name)
            if isinstance(va, np.ndarray):
                assert va.dtype == vb.dtype == np.float32
                np.testing.assert_array_equal(va, vb)
            else:
                assert va == pytest.approx(vb), name


@pytest.fixture
def x():
    return np.random.default_rng(5).standard_normal((8, 2, 8, 8)).astype(np.float32)


def test_json_round_trip(tmp_path, x):
    net = bn_cnn()
    save_json(net, tmp_path / "net.json")
    back = load_json(tmp_path / "net.json")
    same_network(net, back)
    np.testing.assert_array_equal(forward(back, x), forward(net, x))


def test_onnx_round_trip(tmp_path, x):
    net = bn_cnn()
    export_onnx(net, tmp_path / "net.onnx")
    onnx.checker.check_model(onnx.load(str(tmp_path / "net.onnx")), full_check=True)
    back = load_onnx(tmp_path / "net.onnx")
    same_network(net, back)
    np.testing.assert_array_equal(forward(back, x), forward(net, x))


def save(tmp_path, nodes, inits, in_shape, out_shape, opset=13, name="m.onnx"):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *in_shape])
    y = helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.FLOAT, ["N", *out_shape])
    inits = [numpy_helper.from_array(np.asarray(v, np.float32), k) for k, v in inits.items()]
    graph = helper.make_graph(nodes, "g", [x], [y], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.save(model, str(tmp_path / name))
    return tmp_path / name


def test_onnx_matmul_add_and_reshape(tmp_path):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((12, 5)).astype(np.float32)  # MatMul weight is (in, out)
    b = rng.standard_normal(5).astype(np.float32)
    nodes = [helper.make_node("Identity", ["x"], ["i"]),
             helper.make_node("Constant", [], ["shape"],
                              value=numpy_helper.from_array(np.array([0, -1], np.int64))),
             helper.make_node("Reshape", ["i", "shape"], ["r"]),
             helper.make_node("MatMul", ["r", "w"], ["m"]),
             helper.make_node("Add", ["m", "b"], ["a"]),
             helper.make_node("Relu", ["a"], ["y"])]
    path = save(tmp_path, nodes, {"w": w, "b": b}, [3, 2, 2], [5])
    net = load_onnx(path)
    assert [layer.kind for layer in net.layers] == ["Flatten", "Linear", "ReLU"]
    xin = rng.standard_normal((4, 3, 2, 2)).astype(np.float32)
    np.testing.assert_allclose(forward(net, xin), np.maximum(xin.reshape(4, -1) @ w + b, 0), rtol=1e-5, atol=1e-6)


def gemm(i, o, src="x", dst="g"):
    return helper.make_node("Gemm", [src, "w", "b"], [dst], transB=1), {"w": np.ones((o, i)), "b": np.zeros(o)}


def test_onnx_sigmoid(tmp_path):
    node, inits = gemm(4, 3)
    path = save(tmp_path, [node, helper.make_node("Sigmoid", ["g"], ["y"])], inits, [4], [3])
    with pytest.raises(AccelscopeError, match=r"m.onnx: ONNX node 1 \(Sigmoid\): unsupported; supported: Gemm"):
        load_onnx(path)


def test_onnx_lstm(tmp_path):
    lstm = helper.make_node("LSTM", ["x", "W", "R"], ["y"], hidden_size=2)
    path = save(tmp_path, [lstm], {"W": np.zeros((1, 8, 3)), "R": np.zeros((1, 8, 2))}, [5, 3], [5, 1, 2])
    with pytest.raises(AccelscopeError, match=r"ONNX node 0 \(LSTM\): unsupported"):
        load_onnx(path)


def test_onnx_softmax_in_the_middle(tmp_path):
    node, inits = gemm(4, 4)
    nodes = [node, helper.make_node("Softmax", ["g"], ["s"]), helper.make_node("Relu", ["s"], ["y"])]
    with pytest.raises(AccelscopeError, match=r"ONNX node 1 \(Softmax\): Softmax is only supported as the final layer"):
        load_onnx(save(tmp_path, nodes, inits, [4], [4]))


@pytest.mark.parametrize("attrs, msg", [(dict(group=2), "groups=2 unsupported"),
                                        (dict(dilations=[2, 2]), "dilation"),
                                        (dict(pads=[1, 1, 0, 0]), "asymmetric pads")])
def test_onnx_conv_options(tmp_path, attrs, msg):
    conv = helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[3, 3], **attrs)
    wshape = (4, 1, 3, 3) if attrs.get("group") == 2 else (4, 2, 3, 3)
    path = save(tmp_path, [conv], {"w": np.zeros(wshape)}, [2, 8, 8], [4, 6, 6])
    with pytest.raises(AccelscopeError, match=rf"ONNX node 0 \(Conv\): .*{msg}"):
        load_onnx(path)


def test_onnx_non_sequential(tmp_path):
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Add", ["r", "x"], ["y"])]
    with pytest.raises(AccelscopeError, match="only sequential graphs"):
        load_onnx(save(tmp_path, nodes, {}, [4], [4]))


def test_onnx_old_opset(tmp_path):
    with pytest.raises(AccelscopeError, match=r"opset 11 unsupported \(need >= 13\)"):
        load_onnx(save(tmp_path, [helper.make_node("Relu", ["x"], ["y"])], {}, [4], [4], opset=11))


def test_json_errors(tmp_path):
    net = bn_cnn()
    path, _ = save_json(net, tmp_path / "n.json")
    text = path.read_text()
    path.write_text(text.replace('"ReLU"', '"Sigmoid"', 1))
    with pytest.raises(AccelscopeError, match=r"n.json: layer 2 \(Sigmoid\): unsupported; supported: Linear"):
        load_json(path)
    path.write_text(text.replace('"0.weight"', '"nope"'))
    with pytest.raises(AccelscopeError, match=r"layer 0 \(Conv2d\): array 'nope' not in the npz"):
        load_json(path)
    path.write_text(text.replace('"groups": 1', '"groups": 2'))
    with pytest.raises(AccelscopeError, match=r"layer 0 \(Conv2d\): Conv2d: groups=2 unsupported"):
        load_json(path)


def test_from_torch_needs_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch -> ImportError
    with pytest.raises(AccelscopeError, match="needs torch"):
        from_torch(object(), (4,))


def fake_torch() -> types.ModuleType:
    """Just enough of torch.nn for from_torch: modules with tensor attributes."""
    class T:
        def __init__(self, a):
            self.a = np.asarray(a, np.float32)

        def detach(self):
            return self

        def cpu(self):
            return self

        def numpy(self):
            return self.a

    class Module:
        def __init__(self, **kw):
            for k, v in kw.items():
                setattr(self, k, T(v) if isinstance(v, np.ndarray) else v)

    class Sequential(Module):
        def __init__(self, *mods):
            self.mods = mods

        def __iter__(self):
            return iter(self.mods)

    nn = types.SimpleNamespace(Module=Module, Sequential=Sequential)
    for name in ("Linear", "Conv2d", "BatchNorm2d", "BatchNorm1d", "MaxPool2d", "Flatten", "ReLU", "Dropout",
                 "Softmax", "Identity", "LSTM"):
        setattr(nn, name, type(name, (Module,), {}))
    return types.SimpleNamespace(nn=nn)


def test_from_torch_with_a_stand_in(monkeypatch, x):
    torch = fake_torch()
    monkeypatch.setitem(sys.modules, "torch", torch)
    nn = torch.nn
    net = bn_cnn()
    c, b1, _, _d, _p, _, lin, b2, _, lin2, _ = net.layers
    conv = nn.Conv2d(weight=c.weight, bias=c.bias, stride=c.stride, padding=c.padding, groups=1, dilation=(1, 1),
                     padding_mode="zeros", out_channels=4)

    def bn(b, cls):
        return cls(weight=b.gamma, bias=b.beta, running_mean=b.mean, running_var=b.var, eps=b.eps, affine=True)

    seq = nn.Sequential(nn.Sequential(conv, bn(b1, nn.BatchNorm2d), nn.ReLU()), nn.Dropout(p=0.3),
                        nn.MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False),
                        nn.Flatten(start_dim=1, end_dim=-1), nn.Identity(),
                        nn.Linear(weight=lin.weight, bias=lin.bias, out_features=6), bn(b2, nn.BatchNorm1d), nn.ReLU(),
                        nn.Linear(weight=lin2.weight, bias=lin2.bias, out_features=3), nn.Softmax(dim=1))
    back = from_torch(seq, (2, 8, 8))
    same_network(net, back)
    np.testing.assert_array_equal(forward(back, x), forward(net, x))
    with pytest.raises(AccelscopeError, match=r"torch module: layer 1 \(LSTM\): unsupported"):
        from_torch(nn.Sequential(nn.ReLU(), nn.LSTM()), (4,))
    grouped = nn.Conv2d(weight=np.zeros((4, 1, 3, 3)), bias=None, stride=(1, 1), padding=(0, 0), groups=2,
                        dilation=(1, 1), padding_mode="zeros", out_channels=4)
    with pytest.raises(AccelscopeError, match=r"layer 0 \(Conv2d\): groups=2"):
        from_torch(nn.Sequential(grouped), (2, 8, 8))
