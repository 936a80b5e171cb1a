"""Layer descriptors: fields, the 8 x 32-bit encoding, and the hardware's checks (docs/systolic.md)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Sequence

from pymodel.bitfields import pack, unpack, used_bits
from pymodel.errors import AccelscopeError
from pymodel.systolic import regs
from pymodel.systolic.config import SystolicConfig, ceil_div

_D = regs.ENTRIES["DESC"]  # field -> (lsb, width) in the 256-bit descriptor (rtl/systolic/systolic.rdl)
WORDS = regs.ENTRY_BITS["DESC"] // 32  # 32-bit words per descriptor
USED_BITS = used_bits(_D)  # bits above are reserved (0)
# FLAGS: the four flag bits and the reserved flag bits above them, as one group
_FLAG_FIELDS = ("acc", "bias", "relu", "int8")
_FLAGS_LSB = min(_D[n][0] for n in _FLAG_FIELDS)
FLAG_ACC = 1 << (_D["acc"][0] - _FLAGS_LSB)
FLAG_BIAS = 1 << (_D["bias"][0] - _FLAGS_LSB)
FLAG_RELU = 1 << (_D["relu"][0] - _FLAGS_LSB)
FLAG_INT8 = 1 << (_D["int8"][0] - _FLAGS_LSB)
FLAGS_DEFINED = FLAG_ACC | FLAG_BIAS | FLAG_RELU | FLAG_INT8
_RSVD_SHIFT = _D["flags_rsvd"][0] - _FLAGS_LSB
FLAGS_BITS = _RSVD_SHIFT + _D["flags_rsvd"][1]

# STATUS.err_code: the first failing check of CHECK, in this priority order
_E = regs.ENUMS["ERR"]
ERR_NONE = _E["NONE"]
ERR_SHAPE = _E["SHAPE"]
ERR_FLAGS = _E["FLAGS"]
ERR_ACC_DEPTH = _E["ACC_DEPTH"]
ERR_A_RANGE = _E["A_RANGE"]
ERR_B_RANGE = _E["B_RANGE"]
ERR_C_RANGE = _E["C_RANGE"]
ERR_D_RANGE = _E["D_RANGE"]
ERR_BQ_RANGE = _E["BQ_RANGE"]
ERR_NAMES = regs.ENUM_MEANINGS["ERR"]  # code -> the failed check

_U16 = ("m", "kd", "n", "a_base", "a_stride", "b_base", "bq_base", "c_base", "c_stride", "d_base", "d_stride")
_FIELD_MAX = {name: (1 << _D[name][1]) - 1 for name in _U16}


@dataclass(frozen=True)
class Descriptor:
    """One GEMM layer: C[M, N] = A[M, KD] @ B[KD, N] (+ C_old) (+ bias), ReLU, int32 or int8.

    Addresses are word addresses in the scratchpads:
      A row m, K-tile kt:     ACT[a_base + m * a_stride + kt]
      B tile (nt, kt) row r:  WGT[b_base + (nt * KT + kt) * K + r]   (lane c = B[kt*K + r, nt*K + c])
      bias / quant n-tile nt: BIAS[bq_base + nt], QUANT[bq_base + nt]
      int32 C row m, n-tile:  OUT[c_base + m * c_stride + nt]   (also the ACC source)
      int8  D row m, n-tile:  ACT[d_base + m * d_stride + nt]
    """

    m: int
    kd: int
    n: int
    a_base: int = 0
    a_stride: int = 0
    b_base: int = 0
    bq_base: int = 0
    c_base: int = 0
    c_stride: int = 0
    d_base: int = 0
    d_stride: int = 0
    acc: bool = False
    bias: bool = False
    relu: bool = False
    int8: bool = False
    reserved_flags: int = 0  # only for building malformed descriptors in tests

    def __post_init__(self) -> None:
        for name in _U16:
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= _FIELD_MAX[name]:
                raise AccelscopeError(f"descriptor field {name}={v!r}: must be an integer in 0..{_FIELD_MAX[name]}")
        for name in ("acc", "bias", "relu", "int8"):
            if not isinstance(getattr(self, name), bool):
                raise AccelscopeError(f"descriptor flag {name}={getattr(self, name)!r}: must be a bool")
        if not 0 <= self.reserved_flags < 1 << FLAGS_BITS or self.reserved_flags & ((1 << _RSVD_SHIFT) - 1):
            raise AccelscopeError(f"descriptor reserved_flags={self.reserved_flags:#x}: must be bits "
                                  f"{_RSVD_SHIFT}..{FLAGS_BITS - 1} only")

    @property
    def flags(self) -> int:
        return (FLAG_ACC * self.acc | FLAG_BIAS * self.bias | FLAG_RELU * self.relu | FLAG_INT8 * self.int8
                | self.reserved_flags)

    def kt(self, K: int) -> int:
        return ceil_div(self.kd, K)

    def nt(self, K: int) -> int:
        return ceil_div(self.n, K)

    def encode(self) -> list[int]:
        """WORDS 32-bit words, low first (docs/systolic.md, "Descriptor encoding")."""
        vals = {name: getattr(self, name) for name in _U16}
        vals.update({name: int(getattr(self, name)) for name in _FLAG_FIELDS})
        vals["flags_rsvd"] = self.reserved_flags >> _RSVD_SHIFT
        word = pack(_D, vals, "descriptor")
        return [(word >> 32 * i) & 0xFFFFFFFF for i in range(WORDS)]

    @classmethod
    def decode(cls, words: Sequence[int], where: str = "descriptor") -> "Descriptor":
        """Inverse of encode(); rejects wrong counts, non-32-bit words, reserved bits."""
        if len(words) != WORDS:
            raise AccelscopeError(f"{where}: expected {WORDS} words, got {len(words)}")
        for i, w in enumerate(words):
            if not isinstance(w, int) or not 0 <= w <= 0xFFFFFFFF:
                raise AccelscopeError(f"{where}: word {i} = {w!r} is not a 32-bit unsigned value")
        word = sum(w << 32 * i for i, w in enumerate(words))
        if word >> USED_BITS:
            raise AccelscopeError(f"{where}: reserved words (bits {USED_BITS}..{32 * WORDS - 1}) must be 0, got "
                                  f"{word >> USED_BITS:#x}")
        f = unpack(_D, word)
        if f["flags_rsvd"]:
            raise AccelscopeError(f"{where}: reserved flag bits set in FLAGS="
                                  f"{f['flags_rsvd'] << _RSVD_SHIFT | sum(f[n] << i for i, n in enumerate(_FLAG_FIELDS)):#06x}"
                                  f" (defined: ACC={FLAG_ACC}, BIAS={FLAG_BIAS}, RELU={FLAG_RELU}, INT8={FLAG_INT8})")
        return cls(**{name: f[name] for name in _U16}, **{name: bool(f[name]) for name in _FLAG_FIELDS})

    def check(self, cfg: SystolicConfig) -> int:
        """The hardware's CHECK state: 0, or the error code of the first failing check."""
        K = cfg.K
        if self.m == 0 or self.kd == 0 or self.n == 0:
            return ERR_SHAPE
        if self.reserved_flags:
            return ERR_FLAGS
        if self.m > cfg.ACC_DEPTH:
            return ERR_ACC_DEPTH
        kt, nt = self.kt(K), self.nt(K)
        if self.a_base + (self.m - 1) * self.a_stride + kt - 1 >= cfg.ACT_DEPTH:
            return ERR_A_RANGE
        if self.b_base + nt * kt * K - 1 >= cfg.WGT_DEPTH:
            return ERR_B_RANGE
        if (self.acc or not self.int8) and self.c_base + (self.m - 1) * self.c_stride + nt - 1 >= cfg.OUT_DEPTH:
            return ERR_C_RANGE
        if self.int8 and self.d_base + (self.m - 1) * self.d_stride + nt - 1 >= cfg.ACT_DEPTH:
            return ERR_D_RANGE
        if (self.bias or self.int8) and self.bq_base + nt - 1 >= cfg.BQ_DEPTH:
            return ERR_BQ_RANGE
        return ERR_NONE

    def validate(self, cfg: SystolicConfig, where: str = "descriptor") -> None:
        """check() as an AccelscopeError naming the failed check."""
        code = self.check(cfg)
        if code:
            raise AccelscopeError(f"{where}: error {code} ({ERR_NAMES[code]}) for M={self.m} K={self.kd} N={self.n} "
                                  f"on K={cfg.K} with {cfg.params()}")

    def as_dict(self) -> dict[str, int | bool]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
