"""LeBug hardware configuration (the RTL parameters, docs/lebug.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from pymodel.errors import AccelscopeError
from pymodel.params import parse_params

MAX_ADDR_FIELD = 256  # cache addresses and filter rows are 8-bit fields


def _is_pow2(v: int) -> bool:
    return v > 0 and (v & (v - 1)) == 0


@dataclass(frozen=True)
class LebugConfig:
    """Hardware parameters of one LeBug instance; names match the Verilog parameters."""

    N: int = 8
    M: int = 4
    DATA_W: int = 32
    FRAC_W: int = 0
    IB_DEPTH: int = 8
    FU_ROWS: int = 4
    CACHE_DEPTH: int = 8
    TB_DEPTH: int = 64
    MAX_CHAINS: int = 8
    VSRU_FIRST: int = 0

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        def bad(msg: str) -> None:
            raise AccelscopeError(f"LeBug config: {msg}")

        for f in fields(self):
            if not isinstance(getattr(self, f.name), int):
                bad(f"{f.name} must be an integer, got {getattr(self, f.name)!r}")
        if not (_is_pow2(self.N) and 2 <= self.N <= 64):
            bad(f"N={self.N} must be a power of 2 in 2..64")
        if not (_is_pow2(self.M) and self.M <= self.N):
            bad(f"M={self.M} must be a power of 2 and <= N={self.N}")
        if not 8 <= self.DATA_W <= 32:
            bad(f"DATA_W={self.DATA_W} must be in 8..32")
        if not 0 <= self.FRAC_W < self.DATA_W:
            bad(f"FRAC_W={self.FRAC_W} must be in 0..DATA_W-1")
        if self.IB_DEPTH < 2:
            bad(f"IB_DEPTH={self.IB_DEPTH} must be >= 2")
        if not 1 <= self.FU_ROWS <= MAX_ADDR_FIELD:
            bad(f"FU_ROWS={self.FU_ROWS} must be in 1..{MAX_ADDR_FIELD}")
        if not 1 <= self.CACHE_DEPTH <= MAX_ADDR_FIELD:
            bad(f"CACHE_DEPTH={self.CACHE_DEPTH} must be in 1..{MAX_ADDR_FIELD}")
        if not 2 <= self.TB_DEPTH <= 65535:
            bad(f"TB_DEPTH={self.TB_DEPTH} must be in 2..65535")
        if not 1 <= self.MAX_CHAINS <= MAX_ADDR_FIELD:
            bad(f"MAX_CHAINS={self.MAX_CHAINS} must be in 1..{MAX_ADDR_FIELD}")
        if self.VSRU_FIRST not in (0, 1):
            bad(f"VSRU_FIRST={self.VSRU_FIRST} must be 0 or 1")

    @property
    def n_thresholds(self) -> int:
        return self.FU_ROWS * self.M + 1

    @property
    def fixed(self) -> bool:
        return self.FRAC_W > 0

    def params(self) -> dict[str, int]:
        """HDL parameters for the build."""
        return asdict(self)

    def tag(self) -> str:
        """Short stable name for build directories."""
        return "_".join(f"{k}{v}" for k, v in asdict(self).items())

    @classmethod
    def parse(cls, text: str | None, base: LebugConfig | None = None) -> LebugConfig:
        """Parse `N=8,M=4,...` (the CLI's --config); unknown keys are an error."""
        return parse_params(base or cls(), text, "--config")
