"""Systolic GEMM block hardware configuration (the RTL parameters, docs/systolic.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from pymodel.errors import AccelscopeError
from pymodel.params import parse_params
from pymodel.systolic import regs

WINDOW = min(regs.MEMS[m][1] for m in ("ACT", "WGT", "BIAS", "QUANT", "OUT"))  # bytes per scratchpad window
CMD_WINDOW = regs.MEMS["CMD"][1]  # bytes of the command memory window (rtl/systolic/systolic.rdl)
MAX_DEPTH = 65536  # descriptor address fields are 16 bits
MAX_WIN_ROWS = 64  # CONV window rows (PARAMS2.WIN_ROWS)
MAX_WIN_BYTES = 1024  # CONV window row bytes (PARAMS2.LOG2_WIN_BYTES)
CLI_MAX_DIM = 300  # for_array() sizes the scratchpads for any GEMM up to this size


def _is_pow2(v: int) -> bool:
    return v > 0 and (v & (v - 1)) == 0


def _pow2_ceil(v: int) -> int:
    return 1 << max(1, (v - 1).bit_length())


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True)
class SystolicConfig:
    """Hardware parameters of one systolic block; names match the Verilog parameters.

    Defaults: K=8 with scratchpads sized for any GEMM up to 300 x 300 x 300
    (see `for_array`).
    """

    K: int = 8
    ACT_DEPTH: int = 16384
    WGT_DEPTH: int = 16384
    BQ_DEPTH: int = 256
    OUT_DEPTH: int = 16384
    ACC_DEPTH: int = 1024
    CMD_DEPTH: int = 64
    APB_ADDR_W: int = 23
    WIN_ROWS: int = 16  # CONV window: input rows a block can use (docs/systolic.md, "Window")
    WIN_BYTES: int = 128  # CONV window: bytes of one window row

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        def bad(msg: str) -> None:
            raise AccelscopeError(f"systolic config: {msg}")

        for f in fields(self):
            if not isinstance(getattr(self, f.name), int) or isinstance(getattr(self, f.name), bool):
                bad(f"{f.name} must be an integer, got {getattr(self, f.name)!r}")
        if not (_is_pow2(self.K) and 2 <= self.K <= 32):
            bad(f"K={self.K} must be a power of 2 in 2..32")
        for name in ("ACT_DEPTH", "WGT_DEPTH", "BQ_DEPTH", "OUT_DEPTH", "ACC_DEPTH", "CMD_DEPTH"):
            v = getattr(self, name)
            if not (_is_pow2(v) and 2 <= v <= MAX_DEPTH):
                bad(f"{name}={v} must be a power of 2 in 2..{MAX_DEPTH}")
        for name, depth, chunks in (("ACT_DEPTH", self.ACT_DEPTH, self.act_chunks),
                                    ("WGT_DEPTH", self.WGT_DEPTH, self.act_chunks),
                                    ("BQ_DEPTH", self.BQ_DEPTH, self.K),
                                    ("OUT_DEPTH", self.OUT_DEPTH, self.K)):
            if depth * chunks * 4 > WINDOW:
                bad(f"{name}={depth} does not fit its 1 MiB APB window ({chunks} x 32-bit chunks per word)")
        if self.CMD_DEPTH * 32 > CMD_WINDOW:
            bad(f"CMD_DEPTH={self.CMD_DEPTH} must be <= {CMD_WINDOW // 32}")
        if not 23 <= self.APB_ADDR_W <= 32:
            bad(f"APB_ADDR_W={self.APB_ADDR_W} must be in 23..32")
        if not (_is_pow2(self.WIN_ROWS) and 2 <= self.WIN_ROWS <= MAX_WIN_ROWS):
            bad(f"WIN_ROWS={self.WIN_ROWS} must be a power of 2 in 2..{MAX_WIN_ROWS}")
        if not (_is_pow2(self.WIN_BYTES) and self.K <= self.WIN_BYTES <= MAX_WIN_BYTES):
            bad(f"WIN_BYTES={self.WIN_BYTES} must be a power of 2 in K={self.K}..{MAX_WIN_BYTES} (a multiple of K)")

    # word geometry --------------------------------------------------------
    @property
    def act_chunks(self) -> int:
        """32-bit APB chunks per activation/weight word (K int8 lanes)."""
        return max(1, ceil_div(self.K * 8, 32))

    @property
    def win_words(self) -> int:
        """Words of one lane copy of the CONV window RAM (WIN_ROWS rows of WIN_BYTES / K words)."""
        return self.WIN_ROWS * self.WIN_BYTES // self.K

    @property
    def latency(self) -> int:
        """D: cycles from issuing an activation row to its de-skewed array output."""
        return 2 * self.K + 1

    def params(self) -> dict[str, int]:
        """HDL parameters for the build."""
        return asdict(self)

    def tag(self) -> str:
        """Short stable name for build directories."""
        return "_".join(f"{k}{v}" for k, v in asdict(self).items())

    @classmethod
    def for_array(cls, K: int = 8, max_dim: int = CLI_MAX_DIM) -> SystolicConfig:
        """Scratchpads sized so one build runs any GEMM up to max_dim in each dimension."""
        if not (_is_pow2(K) and 2 <= K <= 32):
            raise AccelscopeError(f"--array {K}: K must be a power of 2 in 2..32")
        tiles = ceil_div(max_dim, K)
        rows = _pow2_ceil(max_dim * tiles)
        return cls(K=K, ACT_DEPTH=rows, WGT_DEPTH=_pow2_ceil(tiles * tiles * K), BQ_DEPTH=max(256, _pow2_ceil(tiles)),
                   OUT_DEPTH=rows, ACC_DEPTH=1024, CMD_DEPTH=64, WIN_ROWS=16, WIN_BYTES=128)

    @classmethod
    def parse(cls, text: str | None, base: SystolicConfig | None = None) -> SystolicConfig:
        """Parse `K=8,ACT_DEPTH=4096,...`; unknown keys are an error."""
        return parse_params(base or cls(), text, "systolic config")
