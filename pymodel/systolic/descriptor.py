"""Layer descriptors: fields, the 8 x 32-bit encoding, and the hardware's checks (docs/systolic.md)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Sequence

from pymodel.errors import AccelscopeError
from pymodel.systolic.config import SystolicConfig, ceil_div

WORDS = 8  # 32-bit words per descriptor (6 used, 2 reserved)
FLAG_ACC = 1 << 0
FLAG_BIAS = 1 << 1
FLAG_RELU = 1 << 2
FLAG_INT8 = 1 << 3
FLAGS_DEFINED = FLAG_ACC | FLAG_BIAS | FLAG_RELU | FLAG_INT8

# STATUS.err_code: the first failing check of CHECK, in this priority order
ERR_NONE = 0
ERR_SHAPE = 1
ERR_FLAGS = 2
ERR_ACC_DEPTH = 3
ERR_A_RANGE = 4
ERR_B_RANGE = 5
ERR_C_RANGE = 6
ERR_D_RANGE = 7
ERR_BQ_RANGE = 8
ERR_NAMES = {
    ERR_NONE: "none", ERR_SHAPE: "M, K or N is zero", ERR_FLAGS: "reserved flag bits set",
    ERR_ACC_DEPTH: "M > ACC_DEPTH", ERR_A_RANGE: "A beyond ACT_DEPTH", ERR_B_RANGE: "B beyond WGT_DEPTH",
    ERR_C_RANGE: "C beyond OUT_DEPTH", ERR_D_RANGE: "D beyond ACT_DEPTH", ERR_BQ_RANGE: "bias/quant beyond BQ_DEPTH",
}

_U16 = ("m", "kd", "n", "a_base", "a_stride", "b_base", "bq_base", "c_base", "c_stride", "d_base", "d_stride")


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
            if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= 0xFFFF:
                raise AccelscopeError(f"descriptor field {name}={v!r}: must be an integer in 0..65535")
        for name in ("acc", "bias", "relu", "int8"):
            if not isinstance(getattr(self, name), bool):
                raise AccelscopeError(f"descriptor flag {name}={getattr(self, name)!r}: must be a bool")
        if not 0 <= self.reserved_flags <= 0xFFFF or self.reserved_flags & FLAGS_DEFINED:
            raise AccelscopeError(f"descriptor reserved_flags={self.reserved_flags:#x}: must be bits 4..15 only")

    @property
    def flags(self) -> int:
        return (FLAG_ACC * self.acc | FLAG_BIAS * self.bias | FLAG_RELU * self.relu | FLAG_INT8 * self.int8
                | self.reserved_flags)

    def kt(self, K: int) -> int:
        return ceil_div(self.kd, K)

    def nt(self, K: int) -> int:
        return ceil_div(self.n, K)

    def encode(self) -> list[int]:
        """Eight 32-bit words (docs/systolic.md, "Descriptor encoding")."""
        return [self.m | self.n << 16, self.kd | self.flags << 16, self.a_base | self.a_stride << 16,
                self.b_base | self.bq_base << 16, self.c_base | self.c_stride << 16,
                self.d_base | self.d_stride << 16, 0, 0]

    @classmethod
    def decode(cls, words: Sequence[int], where: str = "descriptor") -> "Descriptor":
        """Inverse of encode(); rejects wrong counts, non-32-bit words, reserved bits."""
        if len(words) != WORDS:
            raise AccelscopeError(f"{where}: expected {WORDS} words, got {len(words)}")
        for i, w in enumerate(words):
            if not isinstance(w, int) or not 0 <= w <= 0xFFFFFFFF:
                raise AccelscopeError(f"{where}: word {i} = {w!r} is not a 32-bit unsigned value")
        if words[6] or words[7]:
            raise AccelscopeError(f"{where}: reserved words 6/7 must be 0, got {words[6]:#x}, {words[7]:#x}")
        flags = words[1] >> 16
        if flags & ~FLAGS_DEFINED:
            raise AccelscopeError(f"{where}: reserved flag bits set in FLAGS={flags:#06x} (defined: ACC=1, BIAS=2, "
                                  f"RELU=4, INT8=8)")
        lo = [w & 0xFFFF for w in words]
        hi = [w >> 16 for w in words]
        return cls(m=lo[0], n=hi[0], kd=lo[1], a_base=lo[2], a_stride=hi[2], b_base=lo[3], bq_base=hi[3],
                   c_base=lo[4], c_stride=hi[4], d_base=lo[5], d_stride=hi[5], acc=bool(flags & FLAG_ACC),
                   bias=bool(flags & FLAG_BIAS), relu=bool(flags & FLAG_RELU), int8=bool(flags & FLAG_INT8))

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
