"""Configuration of the top level: the systolic block, LeBug and the tap FIFO.

LeBug's lanes are LANE_W = 32 bits (every int32 stream value as is) or narrower: with
DATA_W < 32 the tap saturates each lane to DATA_W bits (docs/top.md, "Tap"). LEBUG_BUILDS
names the two configurations the tools use (docs/top.md, "LeBug builds")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from pymodel.errors import AccelscopeError
from pymodel.lebug.config import LebugConfig
from pymodel.systolic.config import SystolicConfig

LANE_W = 32  # the accelerator's stream lanes are int32

# name -> (LeBug lanes for a K x K array, lane width); docs/top.md "LeBug builds"
LEBUG_BUILDS: dict[str, tuple[Callable[[int], int], int]] = {
    "int32": (lambda K: K, 32),               # one vector per row, every int32 value as is
    "int16": (lambda K: max(2, K // 2), 16),  # two vectors per row, values saturated to int16
}


def lebug_lanes(K: int, build: str) -> tuple[int, int]:
    """(N, DATA_W) of a named LeBug build for a K x K array."""
    if build not in LEBUG_BUILDS:
        raise AccelscopeError(f"LeBug build {build!r}: choose one of {', '.join(LEBUG_BUILDS)}")
    lanes, width = LEBUG_BUILDS[build]
    return lanes(K), width


@dataclass(frozen=True)
class TopConfig:
    # one shared default instance each: safe, the configs are frozen
    sys: SystolicConfig = SystolicConfig()  # noqa: RUF009
    lebug: LebugConfig = LebugConfig()  # noqa: RUF009
    TAP_DEPTH: int = 1024

    def __post_init__(self) -> None:
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
        return {**sys, **self.lebug.params(), "TAP_DEPTH": self.TAP_DEPTH}

    def tag(self) -> str:
        return "_".join(f"{k}{v}" for k, v in self.params().items())

    def hardware(self) -> dict[str, Any]:
        """The manifest's `hardware` section."""
        return {"systolic": self.sys.params(), "lebug": self.lebug.params(), "tap_depth": self.TAP_DEPTH}

    @classmethod
    def from_hardware(cls, hw: dict[str, Any], where: str = "manifest.json") -> TopConfig:
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
    def for_array(cls, K: int = 8, N: int | None = None, build: str = "int32", **lebug: int) -> TopConfig:
        """The CLI's default build: a K x K array and LeBug of the named build (LEBUG_BUILDS; default
        int32: N = K lanes of 32 bits), with N lanes if given; `lebug` overrides other parameters."""
        n, width = lebug_lanes(K, build)
        n = N or n
        lb = replace(LebugConfig(N=n, M=min(LebugConfig().M, n), DATA_W=width), **lebug)
        return cls(SystolicConfig(K=K), lb)
