"""LeBug instrumentation: configuration, firmware compiler and library, numpy emulator."""

from pymodel.lebug.compiler import Compiler
from pymodel.lebug.config import LebugConfig
from pymodel.lebug.emulator import EmulationResult, LebugStatus, accept_schedule, emulate
from pymodel.lebug.firmware import LIBRARY, build
from pymodel.lebug.fixed import default_thresholds, to_raw, to_real, wrap
from pymodel.lebug.isa import Chain, Firmware, decode_firmware, encode_firmware

__all__ = [
    "Chain", "Compiler", "EmulationResult", "Firmware", "LIBRARY", "LebugConfig", "LebugStatus",
    "accept_schedule", "build", "decode_firmware", "default_thresholds", "emulate",
    "encode_firmware", "to_raw", "to_real", "wrap",
]
