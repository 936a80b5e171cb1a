"""What the top level must produce for a bundle: the systolic model, the tap adapter and
the LeBug emulator chained (docs/top.md)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from pymodel.bitfields import unpack
from pymodel.bundle import Bundle, chunks_to_lanes
from pymodel.compare import MismatchError, assert_equal
from pymodel.errors import AccelscopeError
from pymodel.lebug import EmulationResult, Firmware, decode_firmware, emulate
from pymodel.systolic import regmap as sy
from pymodel.systolic.descriptor import Descriptor
from pymodel.systolic.model import RunResult, run
from pymodel.top import regmap as tr
from pymodel.top.config import LANE_W, TopConfig
from pymodel.top.tapmodel import TapLog, tap_intake


def saturate(values: np.ndarray, width: int) -> np.ndarray:
    """Each int32 value saturated to `width` bits (signed), as accel_top's tap does for DATA_W < 32."""
    if width >= LANE_W:
        return values
    return np.clip(values, -(1 << (width - 1)), (1 << (width - 1)) - 1)


def adapt(rows: np.ndarray, eof: np.ndarray, K: int, N: int, width: int = LANE_W) -> tuple[np.ndarray, np.ndarray]:
    """Accelerator rows (K int32 lanes) -> LeBug vectors (N lanes of `width` bits), as accel_top's
    tap does: each value saturated to `width` bits, then tap_adapter.v's split or padding."""
    rows = saturate(np.asarray(rows, dtype=np.int64).reshape(-1, K), width)
    eof = np.asarray(eof, dtype=np.int64).reshape(-1, 2)
    if K == N:
        return rows, eof
    if K < N:
        out = np.zeros((len(rows), N), dtype=np.int64)
        out[:, :K] = rows
        return out, eof
    r = K // N
    vec_eof = np.zeros((len(rows), r, 2), dtype=np.int64)
    vec_eof[:, -1] = eof
    return rows.reshape(-1, N), vec_eof.reshape(-1, 2)


def descriptors_of(bundle: Bundle) -> list[Descriptor]:
    """The descriptors a start runs: sys_cmd rows FIRST .. FIRST+COUNT-1 of the bundle's NUM_DESC
    write (every row without one)."""
    cmd = bundle.images.get("sys_cmd")
    if cmd is None:
        raise AccelscopeError("bundle: no sys_cmd image (no descriptors)")
    first, count = 0, len(cmd)
    for r in bundle.registers:
        if r.addr == tr.SYS_BASE + sy.REG_NUM_DESC:
            f = unpack(sy.F["NUM_DESC"], r.value)
            first, count = f["FIRST"], f["COUNT"]
    if count < 1 or first + count > len(cmd):
        raise AccelscopeError(f"bundle: NUM_DESC runs descriptors {first}..{first + count - 1}, sys_cmd.hex has "
                              f"{len(cmd)}")
    return [Descriptor.decode([int(w) for w in cmd[i]], f"sys_cmd.hex:{i + 1}") for i in range(first, first + count)]


def systolic_images(bundle: Bundle, cfg: TopConfig) -> dict[str, np.ndarray]:
    out = {}
    for name, mem in tr.SYS_MEMS.items():
        if mem == "cmd" or name not in bundle.images:
            continue
        bits = 8 if mem in ("act", "wgt") else 32
        lanes = chunks_to_lanes(bundle.images[name], bits, cfg.sys.K)
        out[mem] = lanes & 0xFFFFFFFF if mem == "quant" else lanes
    return out


@dataclass
class TopExpected:
    cfg: TopConfig
    descriptors: list[Descriptor]
    systolic: RunResult
    vectors: np.ndarray
    vec_eof: np.ndarray
    lebug: EmulationResult
    tap: dict[str, int]
    firmware: Firmware
    thresholds: np.ndarray
    maxfill: int | None = None  # TAP_MAXFILL, once the tap model has the rows' arrival cycles (with_tap)

    def with_tap(self, log: TapLog, what: str = "tap") -> TopExpected:
        """The run's expectation given when its rows reached the tap (the harness's tap log): the tap
        model's stored and dropped rows must be the RTL's (MismatchError naming the first row that
        differs), and LeBug sees only the stored rows."""
        if len(log.arrivals) != len(self.systolic.stream):
            raise MismatchError(f"{what}: {len(log.arrivals)} rows reached the tap, the stream has "
                                f"{len(self.systolic.stream)}")
        intake = tap_intake(log.arrivals, self.cfg.TAP_DEPTH, self.cfg.vectors_per_row, self.cfg.lebug.IB_DEPTH,
                            len(self.firmware.chains))
        assert_equal(f"{what}: rows stored (1) or dropped (0), in arrival order", intake.accepted, log.accepted)
        vectors, vec_eof, lres, tap = lebug_side(self.cfg, self.firmware, self.thresholds, self.systolic.stream,
                                                 self.systolic.eof, intake.accepted)
        return replace(self, vectors=vectors, vec_eof=vec_eof, lebug=lres, tap=tap, maxfill=intake.maxfill)

    def written(self) -> dict[str, np.ndarray]:
        """Word addresses the descriptors write, per scratchpad (the outputs to compare)."""
        return written_words(self.cfg.sys.K, self.descriptors)


def written_words(K: int, descriptors: list[Descriptor]) -> dict[str, np.ndarray]:
    """Word addresses the descriptors write: int8 results in ACT, int32 and OUT8 results in OUT (GEMM:
    M rows, CONV and POOL: m*out_h*out_w pixel rows, a fused-pool CONV's pooled pixels; NT words a row,
    POOL CT)."""
    act: list[np.ndarray] = []
    out: list[np.ndarray] = []
    for d in descriptors:
        m = np.arange(d.out_rows)[:, None]
        nt = np.arange(d.nt(K))[None, :]
        (act if d.writes_act else out).append((d.d_base + m * d.d_stride + nt).ravel() if d.writes_act
                                              else (d.c_base + m * d.c_stride + nt).ravel())
    return {"act": np.concatenate(act) if act else np.zeros(0, np.int64),
            "out": np.concatenate(out) if out else np.zeros(0, np.int64)}


def lebug_program(bundle: Bundle, cfg: TopConfig) -> tuple[Firmware, np.ndarray]:
    """The tap firmware and thresholds the bundle programs into LeBug."""
    chains = bundle.images["lebug_chains"].astype(np.uint64)
    words = (chains[:, 0] | (chains[:, 1] << np.uint64(32))).tolist()
    fw = decode_firmware([int(w) for w in words], cfg.lebug)
    return fw, chunks_to_lanes(bundle.images["lebug_thresh"], 32, 1).ravel()


def lebug_side(cfg: TopConfig, fw: Firmware, thr: np.ndarray, stream: np.ndarray, eof: np.ndarray,
               stored: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, EmulationResult, dict[str, int]]:
    """What LeBug gets of an output stream when the tap stores the rows `stored` (default: all):
    its vectors and eof bits, the emulation, and the tap counters."""
    keep = np.ones(len(stream), dtype=bool) if stored is None else np.asarray(stored, dtype=bool)
    vectors, vec_eof = adapt(stream[keep], eof[keep], cfg.sys.K, cfg.lebug.N, cfg.lebug.DATA_W)
    lres = emulate(cfg.lebug, fw, vectors, vec_eof, thr)
    tap = {"rows": int(keep.sum()), "drops": int((~keep).sum()), "vectors": int(len(vectors))}
    return vectors, vec_eof, lres, tap


def expected(bundle: Bundle) -> TopExpected:
    """Assuming the tap stores every row (`TopExpected.with_tap` corrects it with the run's tap log)."""
    cfg = TopConfig.from_hardware(bundle.hardware)
    descs = descriptors_of(bundle)
    sysres = run(cfg.sys, descs, systolic_images(bundle, cfg))
    fw, thr = lebug_program(bundle, cfg)
    vectors, vec_eof, lres, tap = lebug_side(cfg, fw, thr, sysres.stream, sysres.eof)
    return TopExpected(cfg, descs, sysres, vectors, vec_eof, lres, tap, fw, thr)
