"""Systolic-array GEMM block: configuration, descriptors, bit-exact numpy model, layouts, APB map."""

from pymodel.systolic.builder import JobBuilder
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.descriptor import Descriptor
from pymodel.systolic.layout import gemm_layout, pack_columns, pack_rows, pack_weights, unpack_rows
from pymodel.systolic.model import Counters, RunResult, descriptor_counters, requantize, run, wrap32

__all__ = [
    "Counters", "Descriptor", "JobBuilder", "RunResult", "SystolicConfig", "descriptor_counters", "gemm_layout",
    "pack_columns", "pack_rows", "pack_weights", "requantize", "run", "unpack_rows", "wrap32",
]
