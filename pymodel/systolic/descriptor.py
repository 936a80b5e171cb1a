"""Layer descriptors (GEMM, CONV, POOL): fields, the 8 x 32-bit encoding, and the hardware's checks
(docs/systolic.md, "Descriptor encoding" and "Convolution and pooling")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from pymodel.bitfields import pack, unpack, used_bits
from pymodel.errors import AccelscopeError
from pymodel.systolic import regs
from pymodel.systolic.config import SystolicConfig, ceil_div

_D = regs.ENTRIES["DESC"]  # field -> (lsb, width) in the 256-bit descriptor (rtl/systolic/systolic.rdl)
WORDS = regs.ENTRY_BITS["DESC"] // 32  # 32-bit words per descriptor
USED_BITS = used_bits(_D)  # bits above are reserved (0)
# FLAGS: the flag bits (ACC, BIAS, RELU, INT8, then op and pool, then OUT8) and the reserved flag bits
# above them, as one group
_FLAG_FIELDS = ("acc", "bias", "relu", "int8", "out8")
_FLAGS_LSB = min(_D[n][0] for n in _FLAG_FIELDS)
FLAG_ACC = 1 << (_D["acc"][0] - _FLAGS_LSB)
FLAG_BIAS = 1 << (_D["bias"][0] - _FLAGS_LSB)
FLAG_RELU = 1 << (_D["relu"][0] - _FLAGS_LSB)
FLAG_INT8 = 1 << (_D["int8"][0] - _FLAGS_LSB)
FLAG_OUT8 = 1 << (_D["out8"][0] - _FLAGS_LSB)  # above op and pool: INT8 result to OUT at c, not ACT at d
_OP_SHIFT = _D["op"][0] - _FLAGS_LSB  # the op field sits in the FLAGS group, between INT8 and pool
_POOL_SHIFT = _D["pool"][0] - _FLAGS_LSB  # then the fused-pool field (CONV), then OUT8, then flags_rsvd
_RSVD_SHIFT = _D["flags_rsvd"][0] - _FLAGS_LSB
RSVD_SHIFT = _RSVD_SHIFT  # lowest bit of `reserved_flags` (relative to the FLAGS group)
FLAGS_BITS = _RSVD_SHIFT + _D["flags_rsvd"][1]

# the op field (op_e in rtl/systolic/systolic.rdl); 3 is reserved (CHECK error FLAGS)
_OP = regs.ENUMS["OP"]
OP_GEMM = _OP["GEMM"]
OP_CONV = _OP["CONV"]
OP_POOL = _OP["POOL"]
OPS = (OP_GEMM, OP_CONV, OP_POOL)
OP_NAMES = {v: k for k, v in _OP.items()}
OP_MAX = (1 << _D["op"][1]) - 1

# words 6 and 7: the CONV/POOL geometry (0 on a GEMM descriptor)
GEOMETRY = ("in_h", "in_w", "cin", "tiled", "kh", "kw", "stride_h", "stride_w", "pad_t", "pad_l", "out_h", "out_w",
            "blk_rows")
_GEOM_INT = tuple(g for g in GEOMETRY if g != "tiled")
POOL_MAX = 4  # POOL: kh, kw, stride_h and stride_w are at most 4 (GEOM)
FUSED_POOLS = (2, 3, 4)  # legal non-zero values of the fused-pool field of a CONV (kernel = stride = pool)

# STATUS.err_code: the first failing check of CHECK, in CHECK_ORDER
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
ERR_GEOM = _E["GEOM"]
ERR_NAMES = regs.ENUM_MEANINGS["ERR"]  # code -> the failed check
# the order of CHECK (GEOM has the highest code but is checked third)
CHECK_ORDER = (ERR_SHAPE, ERR_FLAGS, ERR_GEOM, ERR_ACC_DEPTH, ERR_A_RANGE, ERR_B_RANGE, ERR_C_RANGE, ERR_D_RANGE,
               ERR_BQ_RANGE)

_U16 = ("m", "kd", "n", "a_base", "a_stride", "b_base", "bq_base", "c_base", "c_stride", "d_base", "d_stride")
_INTS = _U16 + ("op", "pool") + _GEOM_INT
_BOOLS = _FLAG_FIELDS + ("tiled",)
_FIELD_MAX = {name: (1 << _D[name][1]) - 1 for name in _INTS}


@dataclass(frozen=True)
class Descriptor:
    """One layer: a GEMM, a convolution (implicit GEMM) or a max-pooling (docs/systolic.md).

    GEMM (op=OP_GEMM): C[M, N] = A[M, KD] @ B[KD, N] (+ C_old) (+ bias), ReLU, int32 or int8.
    Addresses are word addresses in the scratchpads:
      A row m, K-tile kt:     ACT[a_base + m * a_stride + kt]
      B tile (nt, kt) row r:  WGT[b_base + (nt * KT + kt) * K + r]   (lane c = B[kt*K + r, nt*K + c])
      bias / quant n-tile nt: BIAS[bq_base + nt], QUANT[bq_base + nt]
      int32 C row m, n-tile:  OUT[c_base + m * c_stride + nt]   (also the ACC source)
      int8  D row m, n-tile:  ACT[d_base + m * d_stride + nt]
      OUT8 (with INT8):       the int8 D row goes to OUT[c_base + m * c_stride + nt] instead, packed:
                              column c of the tile at bits 8c+7:8c of the K*32-bit OUT word, the rest 0
                              (GEMM, or CONV without fused pooling; model.pack_out8)

    CONV with pool != 0: the int8 output is max-pooled (kernel = stride = pool, floor) before it is
    stored and streamed: rows = m*(out_h//pool)*(out_w//pool) pooled pixels (`pooled_hw`).

    CONV / POOL: `m` is the number of images B; the input tensor X[b, h, w, c] (in_h x in_w x cin,
    pixel pitch P = pitch(K) bytes) has byte w*P + c of row (b, h) in
    ACT[a_base + (b*in_h + h)*a_stride + (w*P + c) div K], lane (w*P + c) mod K. The output has
    rows = m*out_h*out_w rows (pixel q = (b*out_h + oh)*out_w + ow), stored as a GEMM's C or D rows.
    The geometry fields (in_h .. blk_rows) are 0 on a GEMM descriptor.
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
    out8: bool = False  # with INT8: the int8 rows go to OUT at c (packed bytes), not to ACT at d
    op: int = OP_GEMM
    in_h: int = 0
    in_w: int = 0
    cin: int = 0
    tiled: bool = False
    kh: int = 0
    kw: int = 0
    stride_h: int = 0
    stride_w: int = 0
    pad_t: int = 0
    pad_l: int = 0
    out_h: int = 0
    out_w: int = 0
    blk_rows: int = 0
    pool: int = 0  # CONV: fused max-pooling, kernel = stride = pool (0: none; 2, 3, 4)
    reserved_flags: int = 0  # only for building malformed descriptors in tests

    def __post_init__(self) -> None:
        for name in _INTS:
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= _FIELD_MAX[name]:
                raise AccelscopeError(f"descriptor field {name}={v!r}: must be an integer in 0..{_FIELD_MAX[name]}")
        for name in _BOOLS:
            if not isinstance(getattr(self, name), bool):
                raise AccelscopeError(f"descriptor flag {name}={getattr(self, name)!r}: must be a bool")
        if not 0 <= self.reserved_flags < 1 << FLAGS_BITS or self.reserved_flags & ((1 << _RSVD_SHIFT) - 1):
            raise AccelscopeError(f"descriptor reserved_flags={self.reserved_flags:#x}: must be bits "
                                  f"{_RSVD_SHIFT}..{FLAGS_BITS - 1} only")
        if self.op == OP_GEMM and self.geometry_set():
            raise AccelscopeError(f"descriptor: a GEMM descriptor has no geometry, got "
                                  f"{', '.join(f'{g}={getattr(self, g)}' for g in self.geometry_set())} "
                                  f"(set op=OP_CONV or OP_POOL)")

    # derived values ---------------------------------------------------------
    @property
    def flags(self) -> int:
        """ACC, BIAS, RELU, INT8, OUT8 and the reserved flag bits (the op and pool fields excluded)."""
        return (FLAG_ACC * self.acc | FLAG_BIAS * self.bias | FLAG_RELU * self.relu | FLAG_INT8 * self.int8
                | FLAG_OUT8 * self.out8 | self.reserved_flags)

    @property
    def op_name(self) -> str:
        return OP_NAMES.get(self.op, f"op{self.op}")

    def geometry_set(self) -> list[str]:
        """The geometry fields that are not 0."""
        return [g for g in GEOMETRY if getattr(self, g)]

    @property
    def rows(self) -> int:
        """M, the computed rows: m for a GEMM, m*out_h*out_w (pixels of all images) for CONV and POOL
        (for a CONV with fused pooling: the conv pixels, before pooling; see out_rows)."""
        return self.m if self.op == OP_GEMM else self.m * self.out_h * self.out_w

    @property
    def writes_act(self) -> bool:
        """The result goes to ACT at d (INT8 without OUT8, and every POOL); otherwise to OUT at c
        (int32 words, or with OUT8 the packed int8 row)."""
        return self.int8 and not self.out8

    def out8_error(self) -> str | None:
        """Why OUT8 is a FLAGS error on this descriptor, as text (None: OUT8 clear, or legal). OUT8 is
        legal only with INT8, on a GEMM or CONV, with pool = 0 (op 3 is FLAGS anyway)."""
        if not self.out8:
            return None
        if not self.int8:
            return "OUT8 without INT8"
        if self.op == OP_POOL:
            return "OUT8 on a POOL descriptor"
        if self.pool != 0:  # any op (a GEMM with pool != 0 would be GEOM, but FLAGS is checked first)
            return f"OUT8 with fused pooling (pool={self.pool})"
        return None

    @property
    def fused_pool(self) -> bool:
        """A CONV whose int8 output is max-pooled in the epilogue (pool != 0)."""
        return self.op == OP_CONV and self.pool != 0

    def pooled_hw(self) -> tuple[int, int]:
        """(PH, PW) = (out_h // pool, out_w // pool) of a fused-pool CONV; (out_h, out_w) otherwise."""
        if not self.fused_pool:
            return self.out_h, self.out_w
        return self.out_h // self.pool, self.out_w // self.pool

    @property
    def out_rows(self) -> int:
        """Rows written and streamed: rows, or m*PH*PW for a CONV with fused pooling."""
        if not self.fused_pool:
            return self.rows
        ph, pw = self.pooled_hw()
        return self.m * ph * pw

    def ct(self, K: int) -> int:
        """CT = ceil(cin/K): channel tiles (words) of a channel-tiled pixel."""
        return ceil_div(self.cin, K)

    def pitch(self, K: int) -> int:
        """P: bytes per input pixel, CT*K when tiled, else cin (packed)."""
        return self.ct(K) * K if self.tiled else self.cin

    def row_words(self, K: int) -> int:
        """RW = ceil(in_w*P/K): words of one input row (read per window row by CONV's LOAD)."""
        return ceil_div(self.in_w * self.pitch(K), K)

    def window_rows(self, R: int) -> int:
        """S = (R-1)*stride_h + kh: window rows a CONV block of R output rows needs."""
        return (R - 1) * self.stride_h + self.kh

    def kt(self, K: int) -> int:
        return ceil_div(self.kd, K)

    def nt(self, K: int) -> int:
        """Output words per row: ceil(n/K); for POOL CT = ceil(cin/K)."""
        return ceil_div(self.cin, K) if self.op == OP_POOL else ceil_div(self.n, K)

    def acc_rows(self) -> int:
        """Accumulator rows one pass needs (ACC_DEPTH check): m (GEMM), blk_rows*out_w (CONV), 0 (POOL)."""
        if self.op == OP_GEMM:
            return self.m
        return self.blk_rows * self.out_w if self.op == OP_CONV else 0

    # encoding ---------------------------------------------------------------
    def encode(self) -> list[int]:
        """WORDS 32-bit words, low first (docs/systolic.md, "Descriptor encoding")."""
        vals = {name: getattr(self, name) for name in _INTS}
        vals.update({name: int(getattr(self, name)) for name in _BOOLS})
        vals["flags_rsvd"] = self.reserved_flags >> _RSVD_SHIFT
        word = pack(_D, vals, "descriptor")  # pool is one of _INTS
        return [(word >> 32 * i) & 0xFFFFFFFF for i in range(WORDS)]

    @classmethod
    def decode(cls, words: Sequence[int], where: str = "descriptor") -> Descriptor:
        """Inverse of encode(); rejects wrong counts, non-32-bit words, reserved bits and geometry on a
        GEMM descriptor. op=3 decodes (the hardware reports FLAGS)."""
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
                                  f"{(word >> _FLAGS_LSB) & ((1 << FLAGS_BITS) - 1):#06x} (defined: ACC={FLAG_ACC}, "
                                  f"BIAS={FLAG_BIAS}, RELU={FLAG_RELU}, INT8={FLAG_INT8}, op in bits "
                                  f"{_OP_SHIFT}..{_OP_SHIFT + _D['op'][1] - 1}, pool in bits "
                                  f"{_POOL_SHIFT}..{_POOL_SHIFT + _D['pool'][1] - 1}, OUT8={FLAG_OUT8})")
        if f["op"] == OP_GEMM and any(f[g] for g in GEOMETRY):
            raise AccelscopeError(f"{where}: geometry fields (words 6 and 7) must be 0 on a GEMM descriptor, got "
                                  f"{', '.join(f'{g}={f[g]}' for g in GEOMETRY if f[g])}")
        fields: dict[str, Any] = {**{name: f[name] for name in _INTS}, **{name: bool(f[name]) for name in _BOOLS}}
        return cls(**fields)

    # CHECK ------------------------------------------------------------------
    def fused_pool_error(self) -> str | None:
        """The first failing GEOM rule of the fused-pool field, as text (None: pool = 0, or legal)."""
        if self.pool == 0:
            return None
        if self.pool not in FUSED_POOLS:
            return f"pool={self.pool} (fused pooling is 0, 2, 3 or 4)"
        if self.op != OP_CONV:
            return f"pool={self.pool} on a {self.op_name} descriptor (fused pooling is CONV only)"
        if not self.int8:
            return f"pool={self.pool} without INT8 (fused pooling pools the int8 output)"
        if self.blk_rows % self.pool:
            return f"blk_rows={self.blk_rows} is not a multiple of pool={self.pool}"
        if self.out_h < self.pool or self.out_w < self.pool:
            return f"out_h x out_w = {self.out_h} x {self.out_w} smaller than pool={self.pool}"
        return None

    def geometry_error(self, cfg: SystolicConfig) -> str | None:
        """The first failing GEOM rule of the descriptor, as text (None: the geometry is legal): the
        CONV or POOL geometry, then the fused-pool field (any op)."""
        why = self._op_geometry_error(cfg)
        return why if why is not None else self.fused_pool_error()

    def _op_geometry_error(self, cfg: SystolicConfig) -> str | None:
        K = cfg.K
        if self.op == OP_CONV:
            zero = [g for g in ("in_h", "in_w", "cin", "kh", "kw", "stride_h", "stride_w", "out_h", "out_w",
                                "blk_rows") if getattr(self, g) == 0]
            if zero:
                return f"{', '.join(zero)} = 0"
            if self.pad_t >= self.kh:
                return f"pad_t={self.pad_t} >= kh={self.kh}"
            if self.pad_l >= self.kw:
                return f"pad_l={self.pad_l} >= kw={self.kw}"
            if self.kd != self.kh * self.kw * self.cin:
                return f"kd={self.kd} != kh*kw*cin = {self.kh}*{self.kw}*{self.cin} = {self.kh * self.kw * self.cin}"
            if self.blk_rows > self.out_h:
                return f"blk_rows={self.blk_rows} > out_h={self.out_h}"
            p = self.pitch(K)
            if self.in_w * p > cfg.WIN_BYTES:
                return (f"an input row of in_w*P = {self.in_w}*{p} = {self.in_w * p} bytes > WIN_BYTES={cfg.WIN_BYTES}"
                        f" ({'channel-tiled' if self.tiled else 'packed'})")
            s = self.window_rows(self.blk_rows)
            if s > cfg.WIN_ROWS:
                return (f"a block needs (blk_rows-1)*stride_h + kh = ({self.blk_rows}-1)*{self.stride_h} + {self.kh}"
                        f" = {s} window rows > WIN_ROWS={cfg.WIN_ROWS}")
            if self.a_stride < self.row_words(K):
                return f"a_stride={self.a_stride} < RW = ceil(in_w*P/K) = {self.row_words(K)} words"
            return None
        if self.op == OP_POOL:
            zero = [g for g in ("in_h", "in_w", "cin", "kh", "kw", "stride_h", "stride_w", "out_h", "out_w")
                    if getattr(self, g) == 0]
            if zero:
                return f"{', '.join(zero)} = 0"
            big = [g for g in ("kh", "kw", "stride_h", "stride_w") if getattr(self, g) > POOL_MAX]
            if big:
                return f"POOL {', '.join(f'{g}={getattr(self, g)}' for g in big)} > {POOL_MAX}"
            nz = [g for g in ("pad_t", "pad_l", "blk_rows") if getattr(self, g)]
            if nz:
                return f"POOL {', '.join(f'{g}={getattr(self, g)}' for g in nz)} must be 0"
            if not self.tiled:
                return "POOL needs a channel-tiled input (tiled=1)"
            if self.kd != self.kh * self.kw:
                return f"kd={self.kd} != kh*kw = {self.kh * self.kw}"
            if self.n != self.cin:
                return f"n={self.n} != cin={self.cin}"
            if (self.out_h - 1) * self.stride_h + self.kh > self.in_h:
                return (f"(out_h-1)*stride_h + kh = {(self.out_h - 1) * self.stride_h + self.kh} > in_h={self.in_h}"
                        " (windows must lie inside the input)")
            if (self.out_w - 1) * self.stride_w + self.kw > self.in_w:
                return (f"(out_w-1)*stride_w + kw = {(self.out_w - 1) * self.stride_w + self.kw} > in_w={self.in_w}"
                        " (windows must lie inside the input)")
            if self.a_stride < self.in_w * self.ct(K):
                return f"a_stride={self.a_stride} < in_w*CT = {self.in_w * self.ct(K)} words"
            return None
        return None

    def ranges(self, cfg: SystolicConfig) -> dict[int, tuple[int, int]]:
        """The depth checks that apply to this descriptor, in CHECK order: error code -> (the last
        accumulator row or scratchpad word it needs, the last one there is). ACC_DEPTH counts rows
        (acc_rows, from 1); the others are word addresses."""
        K = cfg.K
        rows, kt, nt = self.rows, self.kt(K), self.nt(K)
        pool = self.op == OP_POOL
        out: dict[int, tuple[int, int]] = {}
        if not pool:
            out[ERR_ACC_DEPTH] = (self.acc_rows(), cfg.ACC_DEPTH)
        if self.op == OP_GEMM:
            out[ERR_A_RANGE] = (self.a_base + (self.m - 1) * self.a_stride + kt - 1, cfg.ACT_DEPTH - 1)
        else:
            out[ERR_A_RANGE] = (self.a_base + self.m * self.in_h * self.a_stride - 1, cfg.ACT_DEPTH - 1)
        if not pool:
            out[ERR_B_RANGE] = (self.b_base + nt * kt * K - 1, cfg.WGT_DEPTH - 1)
            if self.acc or not self.writes_act:
                out[ERR_C_RANGE] = (self.c_base + (rows - 1) * self.c_stride + nt - 1, cfg.OUT_DEPTH - 1)
        if self.writes_act:
            out[ERR_D_RANGE] = (self.d_base + (self.out_rows - 1) * self.d_stride + nt - 1, cfg.ACT_DEPTH - 1)
        if not pool and (self.bias or self.int8):
            out[ERR_BQ_RANGE] = (self.bq_base + nt - 1, cfg.BQ_DEPTH - 1)
        return out

    def check(self, cfg: SystolicConfig) -> int:
        """The hardware's CHECK state: 0, or the error code of the first failing check (CHECK_ORDER)."""
        if self.m == 0 or self.kd == 0 or self.n == 0:
            return ERR_SHAPE
        if self.reserved_flags or self.op not in OPS:
            return ERR_FLAGS
        if self.op == OP_POOL and (self.acc or self.bias or self.relu or not self.int8):
            return ERR_FLAGS
        if self.out8_error() is not None:
            return ERR_FLAGS
        if self.geometry_error(cfg) is not None:
            return ERR_GEOM
        for code, (need, last) in self.ranges(cfg).items():
            if need > last:
                return code
        return ERR_NONE

    def describe(self) -> str:
        """Short human-readable shape, for messages."""
        if self.op == OP_GEMM:
            return (f"GEMM M={self.m} K={self.kd} N={self.n}" + (f" pool={self.pool}" if self.pool else "")
                    + (" OUT8" if self.out8 else ""))
        return (f"{self.op_name} B={self.m} in {self.in_h}x{self.in_w}x{self.cin} "
                f"({'tiled' if self.tiled else 'packed'}) kernel {self.kh}x{self.kw} stride "
                f"{self.stride_h}x{self.stride_w} pad {self.pad_t},{self.pad_l} out {self.out_h}x{self.out_w} "
                f"n={self.n} kd={self.kd}" + (f" blk_rows={self.blk_rows}" if self.op == OP_CONV else "")
                + (f" pool={self.pool}" if self.pool else "") + (" OUT8" if self.out8 else ""))

    def validate(self, cfg: SystolicConfig, where: str = "descriptor") -> None:
        """check() as an AccelscopeError naming the failed check (and, for GEOM, the rule)."""
        code = self.check(cfg)
        if code:
            why = ""
            if code == ERR_GEOM:
                why = f": {self.geometry_error(cfg)}"
            elif code == ERR_FLAGS and self.op not in OPS:
                why = f": op={self.op} is reserved"
            elif code == ERR_FLAGS and self.op == OP_POOL and not self.reserved_flags and not self.out8:
                why = ": POOL needs INT8 set and ACC, BIAS, RELU clear"
            elif code == ERR_FLAGS and not self.reserved_flags and self.out8_error() is not None:
                why = f": {self.out8_error()}"
            raise AccelscopeError(f"{where}: error {code} ({ERR_NAMES[code]}{why}) for {self.describe()} "
                                  f"on K={cfg.K} with {cfg.params()}")

    def as_dict(self) -> dict[str, int | bool]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
