"""What an accelerator GEMM call of `accelscope eval` is made of, without simulators:
the evaluation build, the one-descriptor bundle a call runs as (A, B, bias and
requantization, LeBug's distribution firmware on the tap), the histogram bins, and the
per-call statistics. tb/top/deploy.py runs these bundles on the RTL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pymodel.bundle import Bundle
from pymodel.errors import AccelscopeError
from pymodel.lebug import LebugConfig
from pymodel.systolic.builder import JobBuilder
from pymodel.systolic.config import SystolicConfig, ceil_div
from pymodel.top import regmap as tr
from pymodel.top.compile import lebug_memories, systolic_bundle_parts
from pymodel.top.config import LANE_W, TopConfig, lebug_lanes

BINS = 16
INT8_EDGES = np.arange(-129, 128, 16, dtype=np.int64)  # (-129,-113], ..., (111,127]: every int8 value
EVAL_BUILD = "int16"  # the evaluation build's LeBug (docs/top.md, "LeBug builds"); "int32" is the full-width one


def eval_config(K: int = 8, build: str = EVAL_BUILD) -> TopConfig:
    """The evaluation build: LeBug of the named build (int16: N=K/2 lanes of 16 bits, int32: N=K
    lanes of 32 bits) with M=4 (16 bins in 4 chains), a deep tap FIFO."""
    n, width = lebug_lanes(K, build)
    m = min(4, n)
    lb = LebugConfig(N=n, M=m, DATA_W=width, FU_ROWS=max(4, BINS // m), MAX_CHAINS=max(8, BINS // m))
    return TopConfig(SystolicConfig(K=K), lb, TAP_DEPTH=1024)


def hist_edges(y: np.ndarray, out_int8: bool, width: int = LANE_W) -> np.ndarray:
    """17 strictly increasing thresholds: bin j = (T[j], T[j+1]]. With `width`-bit LeBug lanes
    (the tap saturates values to that width) the thresholds stay inside
    [-2^(width-1), 2^(width-1) - 2], where comparing a saturated value gives the same answer as
    comparing the value itself, so LeBug's histogram equals numpy's on the unsaturated outputs."""
    if out_int8:
        return INT8_EDGES
    t_min, t_max = -(1 << (width - 1)), (1 << (width - 1)) - 2
    lo, hi = max(int(y.min()) - 1, t_min), min(int(y.max()), t_max)
    span = max(hi - lo, BINS)
    lo = min(lo, t_max - span)
    return lo + (np.arange(BINS + 1, dtype=np.int64) * span + BINS - 1) // BINS


def histogram(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin (T[j], T[j+1]], like LeBug's filter."""
    v = np.asarray(values, dtype=np.int64).ravel()
    return np.array([np.count_nonzero((v > edges[j]) & (v <= edges[j + 1])) for j in range(len(edges) - 1)])


@dataclass
class CallStats:
    """One GEMM layer executed on the RTL (possibly in several row chunks)."""

    m: int
    k: int
    n: int
    out_int8: bool
    chunks: int = 0
    cycles: int = 0
    busy: int = 0
    macs: int = 0
    stream_rows: int = 0
    tap_drops: int = 0
    tap_max_fill: int = 0
    scratchpad_bytes: dict[str, int] = field(default_factory=dict)
    edges: list[int] = field(default_factory=list)
    hw_hist: np.ndarray = field(default_factory=lambda: np.zeros(BINS, np.int64))
    pad_zeros: int = 0
    # the harness's measured phases summed over the calls (tb/job.py), and the APB words a host
    # would move: every record of each call's bundle (A, B, bias/quant, descriptor, LeBug program,
    # registers) and one 32-bit read per output chunk
    prog_cycles: int = 0
    run_cycles: int = 0
    apb_writes: int = 0
    apb_output_reads: int = 0


def chunk_rows(cfg: TopConfig, k: int, n: int) -> int:
    """Rows of A per call so that the operands, results and tap FIFO fit the evaluation build, and
    a histogram bin (at most every output value of the call) fits LeBug's DATA_W-bit lanes."""
    s, K = cfg.sys, cfg.sys.K
    kt, nt = ceil_div(k, K), ceil_div(n, K)
    count_max = (1 << (cfg.lebug.DATA_W - 1)) - 1
    return max(1, min(s.ACC_DEPTH, s.ACT_DEPTH // (kt + nt), s.OUT_DEPTH // nt, cfg.TAP_DEPTH // nt,
                      count_max // (nt * K)))


def call_bundle(cfg: TopConfig, a: np.ndarray, b: np.ndarray, bias: np.ndarray, relu: bool, out_int8: bool,
                mult: np.ndarray, shift: np.ndarray, edges: np.ndarray) -> tuple[Bundle, dict[str, int], int]:
    """One GEMM call as a bundle (no output image: the run writes it); returns the bundle, the
    scratchpad bytes it uses and its output tiles per row."""
    K = cfg.sys.K
    jb = JobBuilder(cfg.sys)
    base, stride = jb.put_matrix(np.asarray(a, np.int64))
    jb.layer(base, stride, len(a), np.asarray(b, np.int64), bias=np.asarray(bias, np.int64), relu=relu,
             quant=(np.asarray(mult, np.int64), np.asarray(shift, np.int64)) if out_int8 else None)
    images = jb.images()
    used = {f"sys_{mem}": int(len(w)) * (K if mem in ("act", "wgt") else 4 * K) for mem, w in images.items()}
    images.pop("out", None)
    smems, simgs, sregs = systolic_bundle_parts(cfg, jb.descriptors, images)
    lmems, limgs, lregs = lebug_memories(cfg, "distribution", {"bins": BINS}, thresholds=edges)
    bundle = Bundle(None, cfg.hardware(), tr.regions(cfg), smems + lmems, sregs + lregs, {**simgs, **limgs})
    return bundle, used, jb.descriptors[0].nt(K)


def account(st: CallStats, counters: dict[str, int], tap: dict[str, int], maxfill: int, used: dict[str, int],
            trace: np.ndarray) -> None:
    """Add one call's counters, tap figures and LeBug histogram to the layer's statistics."""
    st.chunks += 1
    for key in ("cycles", "busy", "macs"):
        setattr(st, key, getattr(st, key) + counters[key])
    st.stream_rows += tap["rows"]
    st.tap_drops += tap["drops"]
    st.tap_max_fill = max(st.tap_max_fill, maxfill)
    for key, v in used.items():
        st.scratchpad_bytes[key] = max(st.scratchpad_bytes.get(key, 0), v)
    st.hw_hist = st.hw_hist + np.asarray(trace).ravel()[:BINS]
    if tap["drops"]:
        raise AccelscopeError(f"tap FIFO dropped {tap['drops']} rows: LeBug missed part of the stream")


def layer_outputs(qnet: Any, steps: Sequence[Any], xs: np.ndarray, batch: int | None = None) -> list[np.ndarray]:
    """The integer model's output values of each of `steps` on the images xs (run `batch` images
    at a time, as the RTL evaluation runs them; default all at once), flattened."""
    where = {id(s): i for i, s in enumerate(steps)}
    outputs: list[list[np.ndarray]] = [[] for _ in steps]

    def keep(_: int, step: Any, act: np.ndarray) -> None:
        if id(step) in where:
            outputs[where[id(step)]].append(np.asarray(act, np.int64).ravel())

    step = batch or max(len(xs), 1)
    for b0 in range(0, len(xs), step):
        qnet.run(xs[b0:b0 + step], trace=keep)
    return [np.concatenate(v) for v in outputs]
