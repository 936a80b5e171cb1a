"""Network import/export: JSON + npz, ONNX (opset >= 13), torch.nn.Sequential (when torch is installed).

Every unsupported construct raises AccelscopeError naming the layer's position and type,
e.g. `model.onnx: layer 3 (Sigmoid): unsupported; supported: ...` (positions are 0-based:
JSON list index, ONNX node index, torch module index). The JSON format is in docs/net.md.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from pymodel import fileio
from pymodel.errors import AccelscopeError
from pymodel.net.layers import (
    SUPPORTED,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Flatten,
    Layer,
    Linear,
    MaxPool2d,
    Network,
    ReLU,
    Softmax,
    fold,
    where,
)

FORMAT = "accelscope-net"
VERSION = 1
ONNX_MIN_OPSET = 13
ONNX_SUPPORTED = ("Gemm, MatMul(+Add), Relu, Conv, Flatten, Reshape (to 2-D), BatchNormalization, MaxPool, "
                  "Dropout, Softmax (last), Identity, Constant")

# --------------------------------------------------------------------------- JSON + npz

# per layer type: array fields (stored in the npz) and scalar/list fields (in the JSON)
_ARRAYS: dict[str, tuple[str, ...]] = {"Linear": ("weight", "bias"), "Conv2d": ("weight", "bias"),
                                       "BatchNorm2d": ("gamma", "beta", "mean", "var")}
_PARAMS: dict[str, tuple[str, ...]] = {"Conv2d": ("stride", "padding", "groups"), "BatchNorm2d": ("eps",),
                                       "MaxPool2d": ("kernel", "stride"), "Dropout": ("p",)}


def _layer_params(layer: Layer) -> dict[str, Any]:
    params = {}
    for name in _PARAMS.get(layer.kind, ()):
        v = getattr(layer, name)
        params[name] = list(v) if isinstance(v, tuple) else v
    return params


def save_json(network: Network, path: str | Path) -> tuple[Path, Path]:
    """Write `path` (.json) and its weights `path` with suffix .npz (compressed). Returns both paths."""
    path = Path(path)
    npz = path.with_suffix(".npz")
    arrays: dict[str, np.ndarray] = {}
    layers = []
    for i, layer in enumerate(network.layers):
        entry: dict[str, Any] = {"type": layer.kind}
        for name in _ARRAYS.get(layer.kind, ()):
            key = f"{i}.{name}"
            arrays[key] = getattr(layer, name)
            entry[name] = key
        entry.update(_layer_params(layer))
        layers.append(entry)
    doc = {"format": FORMAT, "version": VERSION, "input_shape": list(network.input_shape),
           "weights": npz.name, "layers": layers}
    head = json.dumps({k: v for k, v in doc.items() if k != "layers"})[:-1]
    body = ",\n  ".join(json.dumps(e) for e in layers)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)  # type: ignore[arg-type]  # numpy's stub reads **kwds as its allow_pickle flag
    fileio.write_files({npz: buf.getvalue(),  # both staged, then renamed (pymodel/fileio.py)
                        path: f'{head}, "layers": [\n  {body}\n]}}\n'.encode()})  # one layer per line
    return path, npz


def _json_layer(i: int, entry: Any, weights: Any, where_file: str) -> Layer:
    if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
        raise AccelscopeError(f"{where_file}: layer {i}: expected an object with a string \"type\"")
    kind = entry["type"]
    at = f"{where_file}: {where(i, kind)}"
    if kind not in _ARRAYS and kind not in _PARAMS and kind not in ("ReLU", "Flatten", "Softmax"):
        raise AccelscopeError(f"{at}: unsupported; supported: {SUPPORTED}")
    allowed = {"type", *_ARRAYS.get(kind, ()), *_PARAMS.get(kind, ())}
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise AccelscopeError(f"{at}: unknown keys {unknown}; allowed: {sorted(allowed)}")
    kwargs: dict[str, Any] = {}
    for name in _ARRAYS.get(kind, ()):
        key = entry.get(name)
        if not isinstance(key, str):
            raise AccelscopeError(f"{at}: \"{name}\" must name an array in the npz")
        if key not in weights.files:
            raise AccelscopeError(f"{at}: array {key!r} not in the npz")
        kwargs[name] = weights[key]
    for name in _PARAMS.get(kind, ()):
        if name in entry:
            kwargs[name] = tuple(entry[name]) if isinstance(entry[name], list) else entry[name]
    if kind == "MaxPool2d" and "kernel" not in kwargs:
        raise AccelscopeError(f"{at}: \"kernel\" is required")
    try:
        return {"Linear": Linear, "Conv2d": Conv2d, "BatchNorm2d": BatchNorm2d, "MaxPool2d": MaxPool2d,
                "Dropout": Dropout, "ReLU": ReLU, "Flatten": Flatten, "Softmax": Softmax}[kind](**kwargs)
    except (AccelscopeError, TypeError, ValueError) as err:
        raise AccelscopeError(f"{at}: {err}") from None


def load_json(path: str | Path) -> Network:
    """Read a JSON layer list and the npz it names (relative to the JSON file; plain arrays only)."""
    path = Path(path)
    doc = fileio.read_json(path, "network file")  # one error line: missing, not UTF-8, not JSON (file:line)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") != VERSION:
        raise AccelscopeError(f"{path}: not an {FORMAT} version {VERSION} file (\"format\"/\"version\" keys)")
    for key, typ in (("input_shape", list), ("weights", str), ("layers", list)):
        if not isinstance(doc.get(key), typ):
            raise AccelscopeError(f"{path}: \"{key}\" must be a {typ.__name__}")
    npz = path.parent / doc["weights"]
    try:
        with fileio.quiet_npy_headers():
            weights = np.load(npz, allow_pickle=False)
            if not isinstance(weights, np.lib.npyio.NpzFile):
                raise AccelscopeError(f"{path}: weights {npz}: a plain .npy array, not an .npz archive")
            with weights:  # members are read (and may turn out damaged) as the layers use them
                layers = tuple(_json_layer(i, e, weights, str(path)) for i, e in enumerate(doc["layers"]))
    except fileio.NPY_ERRORS as err:  # empty, not a zip, a damaged member
        raise AccelscopeError(f"{path}: weights {npz}: {err or type(err).__name__}") from None
    return _network(layers, doc["input_shape"], str(path))


def _network(layers: tuple[Layer, ...], input_shape: Any, source: str) -> Network:
    try:
        net = Network(layers, tuple(input_shape))
        fold(net)  # BatchNorm placement is checked here, so its error names the file
        return net
    except AccelscopeError as err:
        raise AccelscopeError(f"{source}: {err}") from None


# --------------------------------------------------------------------------- ONNX


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:  # pragma: no cover - onnx is a dependency
        raise AccelscopeError("the onnx package is needed for ONNX models (pip install onnx)") from None
    return onnx


class _OnnxReader:
    """Walks a single-chain ONNX graph node by node, producing layers."""

    def __init__(self, model: Any, source: str) -> None:
        onnx = _onnx()
        self.onnx = onnx
        self.source = source
        self.graph = model.graph
        self.consts: dict[str, np.ndarray] = {t.name: self.array(t) for t in self.graph.initializer}
        inputs = [v for v in self.graph.input if v.name not in self.consts]
        if len(inputs) != 1:
            self.fail(f"expected one data input, found {[v.name for v in inputs]}")
        self.input = inputs[0]
        self.uses: dict[str, int] = {}
        self.features: dict[int, int] = {}  # node index of a Reshape -> its feature count
        self.layer_nodes: list[int] = []  # node index of each layer
        for node in self.graph.node:
            for name in node.input:
                self.uses[name] = self.uses.get(name, 0) + 1
        for out in self.graph.output:
            self.uses[out.name] = self.uses.get(out.name, 0) + 1

    def fail(self, msg: str, i: int | None = None, op: str = "") -> None:
        # ONNX nodes, not layers: a graph's node i is not layer i once Add/BatchNorm/Dropout are merged
        at = f"{self.source}: " + (f"ONNX node {i} ({op}): " if i is not None else "")
        raise AccelscopeError(at + msg)

    def array(self, tensor: Any, i: int | None = None, op: str = "") -> np.ndarray:
        try:
            return self.onnx.numpy_helper.to_array(tensor)
        except Exception as err:  # a damaged tensor: data size, type, ... (onnx raises various types)
            self.fail(f"tensor {tensor.name!r}: cannot read its data ({err})", i, op)
            raise  # unreachable: fail raises

    def input_shape(self) -> tuple[int, ...]:
        dims = self.input.type.tensor_type.shape.dim
        shape = [d.dim_value if d.HasField("dim_value") else None for d in dims]
        if len(shape) < 2 or any(d is None or d < 1 for d in shape[1:]):
            self.fail(f"input {self.input.name!r}: needs a known shape (batch, ...), got {shape}")
        return tuple(int(d) for d in shape[1:] if d is not None)  # none is None (checked above)

    def attrs(self, node: Any) -> dict[str, Any]:
        return {a.name: self.onnx.helper.get_attribute_value(a) for a in node.attribute}

    def const(self, name: str, i: int, op: str) -> np.ndarray:
        if name not in self.consts:
            self.fail(f"input {name!r} must be an initializer or Constant (non-sequential graph?)", i, op)
        return self.consts[name]

    def read(self) -> list[Layer]:
        cur = self.input.name
        if self.uses.get(cur, 0) > 1:
            self.fail(f"input {cur!r} feeds several nodes (only sequential graphs are supported)")
        layers: list[Layer] = []
        nodes = list(self.graph.node)
        skip = False
        for i, node in enumerate(nodes):
            if skip:
                skip = False
                continue
            op = node.op_type
            if node.domain not in ("", "ai.onnx"):
                self.fail(f"unsupported operator domain {node.domain!r}; supported: {ONNX_SUPPORTED}", i, op)
            if op == "Constant":
                value = self.attrs(node).get("value")
                if value is None:
                    self.fail("only Constant nodes with a tensor 'value' are supported", i, op)
                self.consts[node.output[0]] = self.array(value, i, op)
                continue
            if op not in _ONNX_OPS and op != "MatMul":
                self.fail(f"unsupported; supported: {ONNX_SUPPORTED}", i, op)
            if not node.input or node.input[0] != cur:
                self.fail(f"input {list(node.input)} does not start with the previous layer's output {cur!r} "
                          "(only sequential graphs are supported)", i, op)
            layer: Layer | None
            try:
                if op == "MatMul":
                    layer, skip = self.matmul(i, node, nodes[i + 1] if i + 1 < len(nodes) else None)
                else:
                    layer = _ONNX_OPS[op](self, i, node, self.attrs(node))
            except (AccelscopeError, TypeError, ValueError) as err:  # the layer's own checks, as for JSON
                if isinstance(err, AccelscopeError) and str(err).startswith(f"{self.source}: "):
                    raise
                self.fail(str(err), i, op)
            except IndexError:  # a handler asked for an input the node does not have
                self.fail(f"too few inputs {list(node.input)}", i, op)
            if layers and isinstance(layers[-1], Softmax) and layer is not None:
                self.fail("Softmax is only supported as the final layer", self.layer_nodes[-1], "Softmax")
            last = nodes[i + 1] if skip else node
            for extra in last.output[1:]:
                if extra and self.uses.get(extra):
                    self.fail(f"secondary output {extra!r} is used (only sequential graphs are supported)", i, op)
            cur = last.output[0]
            if self.uses.get(cur, 0) > 1:
                self.fail(f"output {cur!r} feeds several nodes (only sequential graphs are supported)", i, op)
            if layer is not None:
                layers.append(layer)
                self.layer_nodes.append(i)
        outs = [o.name for o in self.graph.output]
        if outs != [cur]:
            self.fail(f"graph outputs {outs} are not the last layer's output {cur!r}")
        return layers

    def matmul(self, i: int, node: Any, nxt: Any) -> tuple[Layer, bool]:
        w = self.const(node.input[1], i, "MatMul")
        if w.ndim != 2:
            self.fail(f"weight must be 2-D, got {w.shape}", i, "MatMul")
        bias = np.zeros(w.shape[1], np.float32)
        fused = nxt is not None and nxt.op_type == "Add" and node.output[0] in nxt.input
        if fused:
            other = [n for n in nxt.input if n != node.output[0]]
            if len(other) != 1:
                self.fail("Add after MatMul needs one bias initializer", i + 1, "Add")
            bias = self.const(other[0], i + 1, "Add").reshape(-1)
            if self.uses.get(node.output[0], 0) > 1:
                self.fail(f"output {node.output[0]!r} feeds several nodes", i, "MatMul")
        return Linear(w.T, np.broadcast_to(bias, (w.shape[1],))), fused


def _onnx_gemm(r: _OnnxReader, i: int, node: Any, a: dict[str, Any]) -> Layer:
    if a.get("transA", 0):
        r.fail("transA=1 unsupported", i, "Gemm")
    w = r.const(node.input[1], i, "Gemm").astype(np.float64)
    w = w if a.get("transB", 0) else w.T  # -> (out, in)
    with np.errstate(all="ignore"):  # an infinite or NaN product is Linear's error, not a warning
        w = w * a.get("alpha", 1.0)
        b = (r.const(node.input[2], i, "Gemm").reshape(-1) * a.get("beta", 1.0) if len(node.input) > 2
             and node.input[2] else np.zeros(w.shape[0]))
    return Linear(w, np.broadcast_to(b, (w.shape[0],)))


def _onnx_conv(r: _OnnxReader, i: int, node: Any, a: dict[str, Any]) -> Layer:
    w = r.const(node.input[1], i, "Conv")
    if w.ndim != 4:
        r.fail(f"only 2-D convolutions are supported (weight {w.shape})", i, "Conv")
    if a.get("group", 1) != 1:
        r.fail(f"groups={a['group']} unsupported (only groups=1)", i, "Conv")
    if any(d != 1 for d in a.get("dilations", [1, 1])):
        r.fail(f"dilation {a['dilations']} unsupported (only 1)", i, "Conv")
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID"):
        r.fail(f"auto_pad={a['auto_pad']!r} unsupported (give explicit pads)", i, "Conv")
    if list(a.get("kernel_shape", w.shape[2:])) != list(w.shape[2:]):
        r.fail(f"kernel_shape {a['kernel_shape']} does not match weight {w.shape}", i, "Conv")
    pads = list(a.get("pads", [0, 0, 0, 0]))
    if pads[:2] != pads[2:]:
        r.fail(f"asymmetric pads {pads} unsupported", i, "Conv")
    b = r.const(node.input[2], i, "Conv") if len(node.input) > 2 and node.input[2] else np.zeros(w.shape[0])
    return Conv2d(w, b, tuple(a.get("strides", [1, 1])), tuple(pads[:2]))


def _onnx_maxpool(r: _OnnxReader, i: int, node: Any, a: dict[str, Any]) -> Layer:
    k = list(a.get("kernel_shape", []))
    if len(k) != 2:
        r.fail(f"only 2-D pooling is supported (kernel_shape {k})", i, "MaxPool")
    if any(a.get("pads", [0, 0, 0, 0])) or a.get("ceil_mode", 0) or any(d != 1 for d in a.get("dilations", [1, 1])):
        r.fail("pads, ceil_mode and dilations are unsupported", i, "MaxPool")
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID"):
        r.fail(f"auto_pad={a['auto_pad']!r} unsupported", i, "MaxPool")
    return MaxPool2d(tuple(k), tuple(a.get("strides", [1, 1])))


def _onnx_bn(r: _OnnxReader, i: int, node: Any, a: dict[str, Any]) -> Layer:
    if a.get("training_mode", 0):
        r.fail("training_mode=1 unsupported", i, "BatchNormalization")
    g, b, m, v = (r.const(n, i, "BatchNormalization") for n in node.input[1:5])
    return BatchNorm2d(g, b, m, v, a.get("epsilon", 1e-5))


def _onnx_flatten(r: _OnnxReader, i: int, node: Any, a: dict[str, Any]) -> Layer:
    if a.get("axis", 1) != 1:
        r.fail(f"axis={a['axis']} unsupported (only 1)", i, "Flatten")
    return Flatten()


def _onnx_reshape(r: _OnnxReader, i: int, node: Any, a: dict[str, Any]) -> Layer:
    shape = [int(s) for s in r.const(node.input[1], i, "Reshape").reshape(-1)]
    to_rest = len(shape) == 2 and shape[0] in (0, -1, 1) and shape[1] == -1  # (batch, -1)
    to_features = len(shape) == 2 and shape[0] in (0, -1) and shape[1] > 0  # (-1, F)
    if not (to_rest or to_features):
        r.fail(f"only a reshape to (batch, -1) or (-1, features) is supported, got {shape}", i, "Reshape")
    if shape[1] > 0:
        r.features[i] = shape[1]
    return Flatten()


def _onnx_softmax(r: _OnnxReader, i: int, node: Any, a: dict[str, Any]) -> Layer:
    if a.get("axis", -1) not in (-1, 1):
        r.fail(f"axis={a['axis']} unsupported (features axis only)", i, "Softmax")
    return Softmax()


def _onnx_dropout(r: _OnnxReader, i: int, node: Any, a: dict[str, Any]) -> Layer:
    ratio = node.input[1] if len(node.input) > 1 and node.input[1] else ""
    return Dropout(float(r.const(ratio, i, "Dropout")) if ratio else 0.5)


_ONNX_OPS: dict[str, Callable[[_OnnxReader, int, Any, dict[str, Any]], Layer | None]] = {
    "Gemm": _onnx_gemm, "Conv": _onnx_conv, "MaxPool": _onnx_maxpool, "BatchNormalization": _onnx_bn,
    "Flatten": _onnx_flatten, "Reshape": _onnx_reshape, "Softmax": _onnx_softmax, "Dropout": _onnx_dropout,
    "Relu": lambda r, i, n, a: ReLU(), "Identity": lambda r, i, n, a: None,
}


def load_onnx(path: str | Path) -> Network:
    """Read a sequential ONNX model (opset >= 13) into a Network."""
    onnx = _onnx()
    path = Path(path)
    try:
        model = onnx.load(str(path))
    except Exception as err:  # onnx raises protobuf DecodeError, OSError, ...
        raise AccelscopeError(f"{path}: cannot read ONNX: {err}") from None
    opsets = {o.domain or "ai.onnx": o.version for o in model.opset_import}
    if opsets.get("ai.onnx", 0) < ONNX_MIN_OPSET:
        raise AccelscopeError(f"{path}: opset {opsets.get('ai.onnx')} unsupported (need >= {ONNX_MIN_OPSET})")
    reader = _OnnxReader(model, str(path))
    layers = reader.read()
    net = _network(tuple(layers), reader.input_shape(), str(path))
    for li, node_index in enumerate(reader.layer_nodes):
        want = reader.features.get(node_index)
        if want is not None and net.shapes[li] != (want,):
            reader.fail(f"reshape to {want} features, but the input has {net.input_shape_of(li)}", node_index,
                        "Reshape")
    return net


def export_onnx(network: Network, path: str | Path, name: str = "accelscope") -> Path:
    """Write the network as ONNX opset 13 (checked with onnx.checker); batch axis named 'N'."""
    onnx = _onnx()
    helper, nh = onnx.helper, onnx.numpy_helper
    nodes, inits = [], []
    cur = "input"

    def init(arr: np.ndarray, key: str) -> str:
        inits.append(nh.from_array(np.asarray(arr), key))
        return key

    for i, layer in enumerate(network.layers):
        out = f"t{i}" if i < len(network.layers) - 1 else "output"
        p = f"l{i}"
        if isinstance(layer, Linear):
            wb = [init(layer.weight, p + ".weight"), init(layer.bias, p + ".bias")]
            nodes.append(helper.make_node("Gemm", [cur, *wb], [out], name=p, transB=1))
        elif isinstance(layer, Conv2d):
            kh, kw = layer.weight.shape[2:]
            wb = [init(layer.weight, p + ".weight"), init(layer.bias, p + ".bias")]
            nodes.append(helper.make_node("Conv", [cur, *wb], [out], name=p, kernel_shape=[kh, kw],
                                          strides=list(layer.stride), pads=list(layer.padding) * 2))
        elif isinstance(layer, BatchNorm2d):
            ins = [init(getattr(layer, k), f"{p}.{k}") for k in ("gamma", "beta", "mean", "var")]
            nodes.append(helper.make_node("BatchNormalization", [cur, *ins], [out], name=p, epsilon=layer.eps))
        elif isinstance(layer, MaxPool2d):
            nodes.append(helper.make_node("MaxPool", [cur], [out], name=p, kernel_shape=list(layer.kernel),
                                          strides=list(layer.stride)))
        elif isinstance(layer, Dropout):
            nodes.append(helper.make_node("Dropout", [cur, init(np.array(layer.p, np.float32), p + ".ratio")], [out],
                                          name=p))
        else:
            op = {"ReLU": "Relu", "Flatten": "Flatten", "Softmax": "Softmax"}[layer.kind]
            nodes.append(helper.make_node(op, [cur], [out], name=p))
        cur = out
    x = helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT, ["N", *network.input_shape])
    y = helper.make_tensor_value_info("output", onnx.TensorProto.FLOAT, ["N", *network.output_shape])
    graph = helper.make_graph(nodes, name, [x], [y], initializer=inits)
    model = helper.make_model(graph, producer_name="accelscope", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8  # readable by onnx >= 1.10 and onnxruntime >= 1.10
    onnx.checker.check_model(model, full_check=True)
    path = Path(path)
    fileio.write_bytes(path, model.SerializeToString())
    return path


# --------------------------------------------------------------------------- torch


def from_torch(module: Any, input_shape: tuple[int, ...]) -> Network:
    """Convert a `torch.nn.Sequential` (nested Sequentials are flattened); needs torch installed.

    `input_shape` excludes the batch axis, e.g. (1, 28, 28) or (784,).
    """
    try:
        import torch  # optional dependency, never imported at module level
    except ImportError:
        raise AccelscopeError("from_torch needs torch (pip install 'accelscope[torch]')") from None
    nn = torch.nn
    if not isinstance(module, nn.Sequential):
        raise AccelscopeError(f"from_torch: expected torch.nn.Sequential, got {type(module).__name__}")

    def flat(seq: Any) -> list[Any]:
        return [m for c in seq for m in (flat(c) if isinstance(c, nn.Sequential) else [c])]

    def arr(t: Any) -> np.ndarray:
        return t.detach().cpu().numpy().astype(np.float32)

    mods = flat(module)
    layers: list[Layer] = []
    for i, m in enumerate(mods):
        kind = type(m).__name__
        at = f"torch module: {where(i, kind)}"
        if isinstance(m, nn.Linear):
            layers.append(Linear(arr(m.weight), arr(m.bias) if m.bias is not None else np.zeros(m.out_features)))
        elif isinstance(m, nn.Conv2d):
            if m.groups != 1 or tuple(m.dilation) != (1, 1) or isinstance(m.padding, str) or m.padding_mode != "zeros":
                raise AccelscopeError(f"{at}: groups={m.groups}, dilation={m.dilation}, padding={m.padding!r}, "
                                      f"padding_mode={m.padding_mode!r}: only groups=1, dilation 1, "
                                      "integer zero padding are supported")
            b = arr(m.bias) if m.bias is not None else np.zeros(m.out_channels)
            layers.append(Conv2d(arr(m.weight), b, tuple(m.stride), tuple(m.padding)))
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            if m.running_mean is None or not m.affine:
                raise AccelscopeError(f"{at}: needs running statistics and affine=True")
            layers.append(BatchNorm2d(arr(m.weight), arr(m.bias), arr(m.running_mean), arr(m.running_var), m.eps))
        elif isinstance(m, nn.MaxPool2d):
            if m.padding not in (0, (0, 0)) or m.dilation not in (1, (1, 1)) or m.ceil_mode:
                raise AccelscopeError(f"{at}: padding, dilation and ceil_mode are unsupported")
            layers.append(MaxPool2d(m.kernel_size, m.stride))
        elif isinstance(m, nn.Flatten):
            if m.start_dim != 1 or m.end_dim != -1:
                raise AccelscopeError(f"{at}: only Flatten(start_dim=1, end_dim=-1) is supported")
            layers.append(Flatten())
        elif isinstance(m, nn.ReLU):
            layers.append(ReLU())
        elif isinstance(m, nn.Dropout):
            layers.append(Dropout(float(m.p)))
        elif isinstance(m, nn.Softmax):
            if i != len(mods) - 1 or m.dim not in (None, -1, 1):
                raise AccelscopeError(f"{at}: Softmax is only supported as the final layer, over dim 1")
            layers.append(Softmax())
        elif isinstance(m, nn.Identity):
            continue
        else:
            raise AccelscopeError(f"{at}: unsupported; supported: {SUPPORTED}")
    return _network(tuple(layers), input_shape, "torch module")
