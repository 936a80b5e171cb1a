"""A GEMM function with `gemm_int`'s signature that runs on accel_top: each call is a
one-descriptor bundle (pymodel.deploy.gemm_calls.call_bundle) backdoor-loaded into the
top-level harness on any simulator of tb.runner (the replay checks every output against
the model); LeBug's distribution firmware on the tap histograms every call's output."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from pymodel.deploy.gemm_calls import CallStats, account, call_bundle, chunk_rows, eval_config, hist_edges
from pymodel.errors import AccelscopeError
from pymodel.net.intops import gemm_int
from pymodel.systolic import regmap as sy
from pymodel.systolic.model import MULT_BITS
from pymodel.top.config import TopConfig
from tb.runner import sim_build_root
from tb.top.jobs import replay


class RtlGemm:
    """Callable like gemm_int; every call runs on accel_top (sim: any simulator of tb.runner)."""

    def __init__(self, cfg: TopConfig | None = None, sim: str = "icarus",
                 edges: list[np.ndarray] | None = None, mode: str = "backdoor") -> None:
        """edges: histogram thresholds per layer, used in call order (cycling); default from each result.
        mode: how each call's bundle is loaded (tb/top/jobs.py: "backdoor", or "apb" to time the
        host's writes too)."""
        self.cfg = cfg or eval_config()
        self.sim = sim
        self.mode = mode
        self.edges = edges
        self.calls: list[CallStats] = []
        self.work = sim_build_root() / "deploy"

    def __call__(self, a: np.ndarray, b: np.ndarray, bias: np.ndarray, relu: bool, out_int8: bool,
                 mult: np.ndarray, shift: np.ndarray) -> np.ndarray:
        want = gemm_int(a, b, bias, relu, out_int8, mult, shift, mult_bits=MULT_BITS)
        edges = (self.edges[len(self.calls) % len(self.edges)] if self.edges
                 else hist_edges(want, out_int8, self.cfg.lebug.DATA_W))
        m, k = a.shape
        n = b.shape[1]
        st = CallStats(m, k, n, out_int8, edges=edges.tolist())
        rows = chunk_rows(self.cfg, k, n)
        parts = [self._run_chunk(a[r0:r0 + rows], b, bias, relu, out_int8, mult, shift, edges, st)
                 for r0 in range(0, m, rows)]
        got = np.concatenate(parts).astype(want.dtype)
        if not np.array_equal(got, want):
            bad = tuple(int(i) for i in np.argwhere(got != want)[0])
            raise AccelscopeError(f"RTL GEMM {m}x{k}x{n}: differs from gemm_int at {bad}: "
                                  f"expected {want[bad]}, actual {got[bad]}")
        st.pad_zeros = m * (-(-n // self.cfg.sys.K) * self.cfg.sys.K - n)
        self.calls.append(st)
        return got

    def _run_chunk(self, a: np.ndarray, b: np.ndarray, bias: np.ndarray, relu: bool, out_int8: bool,
                   mult: np.ndarray, shift: np.ndarray, edges: np.ndarray, st: CallStats) -> np.ndarray:
        bundle, used, nt = call_bundle(self.cfg, a, b, bias, relu, out_int8, mult, shift, edges)
        self.work.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.work, prefix="gemm_") as tmp:
            bundle.write(Path(tmp))
            hw = replay(Path(tmp), self.cfg, mode=self.mode, sim=self.sim)
        account(st, hw.counters, hw.tap, hw.maxfill, used, hw.trace)
        st.prog_cycles += hw.job.prog_cycles
        st.run_cycles += hw.job.run_cycles
        st.apb_writes += len(bundle.records())
        mem = "act" if out_int8 else "out"
        st.apb_output_reads += len(a) * nt * sy.chunks(self.cfg.sys, mem)
        words = hw.mems["act" if out_int8 else "out"]
        return words.reshape(len(a), nt * self.cfg.sys.K)[:, : b.shape[1]]
