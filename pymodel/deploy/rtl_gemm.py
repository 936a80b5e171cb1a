"""A GEMM function with `gemm_int`'s signature that runs on the top-level RTL.

Each call lays A, B, bias and requantization into a one-descriptor bundle, loads it
into accel_top by backdoor (identical to the APB replay, docs/bundle.md), runs it
under cocotb, or natively with sim="verilator-native" (pymodel/native.py; either
checks every output against the model), and returns the result. LeBug's
distribution firmware on the tap histograms every call's output stream; the
histograms and the counters are kept per call.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pymodel.bundle import Bundle
from pymodel.errors import AccelscopeError
from pymodel.lebug import LebugConfig
from pymodel.net.intops import gemm_int
from pymodel.simrun import SIM_BUILD
from pymodel.systolic.builder import JobBuilder
from pymodel.systolic.config import SystolicConfig, ceil_div
from pymodel.top import regmap as tr
from pymodel.top.compile import MULT_BITS, lebug_memories, systolic_bundle_parts
from pymodel.top.config import TopConfig
from pymodel.top.rtl import replay_on_rtl

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


class RtlGemm:
    """Callable like gemm_int; every call runs on accel_top (sim: icarus or verilator-native)."""

    def __init__(self, cfg: TopConfig | None = None, sim: str = "icarus",
                 edges: list[np.ndarray] | None = None) -> None:
        """edges: histogram thresholds per layer, used in call order (cycling); default from each result."""
        self.cfg = cfg or eval_config()
        self.sim = sim
        self.edges = edges
        self.calls: list[CallStats] = []
        self.work = SIM_BUILD / "deploy"

    def chunk_rows(self, k: int, n: int) -> int:
        s, K = self.cfg.sys, self.cfg.sys.K
        kt, nt = ceil_div(k, K), ceil_div(n, K)
        return max(1, min(s.ACC_DEPTH, s.ACT_DEPTH // (kt + nt), s.OUT_DEPTH // nt, self.cfg.TAP_DEPTH // nt))

    def __call__(self, a: np.ndarray, b: np.ndarray, bias: np.ndarray, relu: bool, out_int8: bool,
                 mult: np.ndarray, shift: np.ndarray) -> np.ndarray:
        want = gemm_int(a, b, bias, relu, out_int8, mult, shift, mult_bits=MULT_BITS)
        edges = self.edges[len(self.calls) % len(self.edges)] if self.edges else hist_edges(want, out_int8)
        m, k = a.shape
        n = b.shape[1]
        st = CallStats(m, k, n, out_int8, edges=edges.tolist())
        parts = []
        rows = self.chunk_rows(k, n)
        for r0 in range(0, m, rows):
            parts.append(self._run_chunk(a[r0:r0 + rows], b, bias, relu, out_int8, mult, shift, edges, st))
        got = np.concatenate(parts).astype(want.dtype)
        if not np.array_equal(got, want):
            bad = tuple(int(i) for i in np.argwhere(got != want)[0])
            raise AccelscopeError(f"RTL GEMM {m}x{k}x{n}: differs from gemm_int at {bad}: "
                                  f"expected {want[bad]}, actual {got[bad]}")
        nt = ceil_div(n, self.cfg.sys.K)
        st.pad_zeros = m * (nt * self.cfg.sys.K - n)
        self.calls.append(st)
        return got

    def _run_chunk(self, a: np.ndarray, b: np.ndarray, bias: np.ndarray, relu: bool, out_int8: bool,
                   mult: np.ndarray, shift: np.ndarray, edges: np.ndarray, st: CallStats) -> np.ndarray:
        cfg, K = self.cfg, self.cfg.sys.K
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
        self.work.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.work, prefix="gemm_") as tmp:
            bundle.write(Path(tmp))
            if self.sim == "verilator-native":
                from pymodel.native import replay_native

                hw = replay_native(Path(tmp), cfg, mode="backdoor")
            else:
                hw = replay_on_rtl(Path(tmp), cfg, mode="backdoor", sim=self.sim)
        d = jb.descriptors[0]
        nt = d.nt(K)
        words = hw.mems["act" if out_int8 else "out"]
        y = words.reshape(len(a), nt * K)[:, : b.shape[1]]
        st.chunks += 1
        for key in ("cycles", "busy", "macs"):
            setattr(st, key, getattr(st, key) + hw.counters[key])
        st.stream_rows += hw.tap["rows"]
        st.tap_drops += hw.tap["drops"]
        st.tap_max_fill = max(st.tap_max_fill, hw.maxfill)
        for key, v in used.items():
            st.scratchpad_bytes[key] = max(st.scratchpad_bytes.get(key, 0), v)
        st.hw_hist = st.hw_hist + hw.trace.ravel()[:BINS]
        if hw.tap["drops"]:
            raise AccelscopeError(f"tap FIFO dropped {hw.tap['drops']} rows: LeBug missed part of the stream")
        return y
