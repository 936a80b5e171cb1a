"""Model compiler front end: sequential networks, importers, float and quantized models (docs/net.md)."""

from pymodel.net.float_model import forward, im2col, predict
from pymodel.net.importers import export_onnx, from_torch, load_json, load_onnx, save_json
from pymodel.net.intops import gemm_int
from pymodel.net.layers import BatchNorm2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d, Network, ReLU, Softmax, fold
from pymodel.net.quant import QuantizedNetwork, fake_forward, quantize
from pymodel.net.steps import GemmStep, execute

__all__ = [
    "BatchNorm2d", "Conv2d", "Dropout", "Flatten", "GemmStep", "Linear", "MaxPool2d", "Network", "QuantizedNetwork",
    "ReLU", "Softmax", "execute", "export_onnx", "fake_forward", "fold", "forward", "from_torch", "gemm_int",
    "im2col", "load_json", "load_onnx", "predict", "quantize", "save_json",
]
