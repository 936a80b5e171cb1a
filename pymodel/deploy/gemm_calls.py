"""What an accelerator GEMM call of `accelscope eval` is made of, without simulators:
the evaluation build, the one-descriptor bundle a call runs as (A, B, bias and
requantization, LeBug's distribution firmware on the tap), the histogram bins, and the
per-call statistics. tb/top/deploy.py runs these bundles on the RTL."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pymodel.bundle import Bundle
from pymodel.errors import AccelscopeError
from pymodel.lebug import LebugConfig
from pymodel.systolic.builder import JobBuilder
from pymodel.systolic.config import SystolicConfig, ceil_div
from pymodel.top import regmap as tr
from pymodel.top.compile import lebug_memories, systolic_bundle_parts
from pymodel.top.config import TopConfig

BINS = 16
INT8_EDGES = np.arange(-129, 128, 16, dtype=np.int64)  # (-129,-113], ..., (111,127]: every int8 value


def eval_config(K: int = 8) -> TopConfig:
    """The evaluation build: LeBug N=K with M=4 (16 bins in 4 chains), a deep tap FIFO."""
    lb = LebugConfig(N=K, M=min(4, K), FU_ROWS=max(4, BINS // min(4, K)), MAX_CHAINS=max(8, BINS // min(4, K)))
    return TopConfig(SystolicConfig(K=K), lb, TAP_DEPTH=1024)


def hist_edges(y: np.ndarray, out_int8: bool) -> np.ndarray:
    """17 strictly increasing thresholds: bin j = (T[j], T[j+1]]."""
    if out_int8:
        return INT8_EDGES
    lo, hi = int(y.min()) - 1, int(y.max())
    span = max(hi - lo, BINS)
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


def chunk_rows(cfg: TopConfig, k: int, n: int) -> int:
    """Rows of A per call so that the operands, results and tap FIFO fit the evaluation build."""
    s, K = cfg.sys, cfg.sys.K
    kt, nt = ceil_div(k, K), ceil_div(n, K)
    return max(1, min(s.ACC_DEPTH, s.ACT_DEPTH // (kt + nt), s.OUT_DEPTH // nt, cfg.TAP_DEPTH // nt))


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
