"""Configuration of the top level: the systolic block, LeBug (32-bit lanes) and the tap FIFO."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from pymodel.errors import AccelscopeError
from pymodel.lebug.config import LebugConfig
from pymodel.systolic.config import SystolicConfig

LANE_W = 32  # LeBug lanes carry the accelerator's int32 stream values


@dataclass(frozen=True)
class TopConfig:
    sys: SystolicConfig = SystolicConfig()
    lebug: LebugConfig = LebugConfig()
    TAP_DEPTH: int = 1024

    def __post_init__(self) -> None:
        if self.lebug.DATA_W != LANE_W:
            raise AccelscopeError(f"top: LeBug DATA_W must be {LANE_W} (the tap carries int32 lanes)")
        k, n = self.sys.K, self.lebug.N
        if max(k, n) % min(k, n):
            raise AccelscopeError(f"top: K={k} and N={n} must divide one another (tap adapter)")
        if not 2 <= self.TAP_DEPTH <= 65535:
            raise AccelscopeError(f"top: TAP_DEPTH={self.TAP_DEPTH} must be in 2..65535")

    @property
    def vectors_per_row(self) -> int:
        """LeBug vectors per accelerator row (docs/top.md, Tap)."""
        return max(1, self.sys.K // self.lebug.N)

    def params(self) -> dict[str, int]:
        """HDL parameters of accel_top."""
        sys = {k: v for k, v in self.sys.params().items() if k != "APB_ADDR_W"}
        lb = {k: v for k, v in self.lebug.params().items() if k != "DATA_W"}
        return {**sys, **lb, "TAP_DEPTH": self.TAP_DEPTH}

    def tag(self) -> str:
        return "_".join(f"{k}{v}" for k, v in self.params().items())

    def hardware(self) -> dict[str, Any]:
        """The manifest's `hardware` section."""
        return {"systolic": self.sys.params(), "lebug": self.lebug.params(), "tap_depth": self.TAP_DEPTH}

    @classmethod
    def from_hardware(cls, hw: dict[str, Any], where: str = "manifest.json") -> "TopConfig":
        if not isinstance(hw, dict):
            raise AccelscopeError(f"{where}: hardware: expected an object")
        unknown = sorted(set(hw) - {"systolic", "lebug", "tap_depth"})
        if unknown:
            raise AccelscopeError(f"{where}: hardware: unknown keys {unknown}")
        for key, typ in (("systolic", dict), ("lebug", dict), ("tap_depth", int)):
            if key not in hw:
                raise AccelscopeError(f"{where}: hardware: missing key {key!r}")
            if not isinstance(hw[key], typ) or isinstance(hw[key], bool):
                raise AccelscopeError(f"{where}: hardware.{key}: expected {typ.__name__}, got {hw[key]!r:.40}")
        try:
            return cls(SystolicConfig(**hw["systolic"]), LebugConfig(**hw["lebug"]), hw["tap_depth"])
        except (KeyError, TypeError, ValueError) as e:
            raise AccelscopeError(f"{where}: bad hardware section ({e})") from None
        except AccelscopeError as e:
            raise AccelscopeError(f"{where}: hardware: {e}") from None

    @classmethod
    def for_array(cls, K: int = 8, N: int | None = None, **lebug: int) -> "TopConfig":
        """The CLI's default build: a K x K array and LeBug with N lanes (default N = K)."""
        n = N or K
        lb = replace(LebugConfig(N=n, M=min(LebugConfig().M, n), DATA_W=LANE_W), **lebug)
        return cls(SystolicConfig(K=K), lb)
