"""Systolic-array block: configuration, descriptors (GEMM, CONV, POOL), bit-exact numpy model,
layouts, APB map."""

from pymodel.systolic.builder import JobBuilder
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.descriptor import OP_CONV, OP_GEMM, OP_POOL, Descriptor
from pymodel.systolic.layout import (
    conv_layout,
    conv_weight_matrix,
    gemm_layout,
    pack_columns,
    pack_rows,
    pack_tensor,
    pack_weights,
    pool_layout,
    unpack_rows,
)
from pymodel.systolic.model import Counters, RunResult, conv_blocks, descriptor_counters, requantize, run, wrap32

__all__ = [
    "OP_CONV", "OP_GEMM", "OP_POOL", "Counters", "Descriptor", "JobBuilder", "RunResult", "SystolicConfig",
    "conv_blocks", "conv_layout", "conv_weight_matrix", "descriptor_counters", "gemm_layout", "pack_columns",
    "pack_rows", "pack_tensor", "pack_weights", "pool_layout", "requantize", "run", "unpack_rows", "wrap32",
]
