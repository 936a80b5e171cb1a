"""LeBug cases exactly on a depth and one past it (docs/verification.md, "Testplan"): a burst that
fills the input buffer to its last slot without a drop and one that drops exactly one vector, and a
stream that writes exactly TB_DEPTH trace rows (no wrap) and one that writes TB_DEPTH + 1 (wrap).

`edges` says which of these a case sits on (what the coverage model samples, whatever generated
it); `edge_case` makes one.
"""

from __future__ import annotations

import numpy as np

from pymodel.lebug.compiler import Compiler
from pymodel.lebug.config import LebugConfig
from pymodel.lebug.emulator import EmulationResult, accept_schedule
from pymodel.lebug.firmware import loopback
from pymodel.lebug.isa import Firmware
from pymodel.lebug.randfw import LebugCase, random_firmware, random_stream

EDGES = ["input_buffer:last_legal", "input_buffer:one_past", "trace_buffer:last_legal", "trace_buffer:one_past"]


def burst_limit(cfg: LebugConfig, chains: int) -> int | None:
    """The longest burst of vectors pushed on consecutive cycles into an idle LeBug that the input
    buffer takes without a drop (None: it never fills, one chain takes a vector every cycle)."""
    if chains <= 1:
        return None
    n = cfg.IB_DEPTH
    while accept_schedule(np.arange(1, n + 2), cfg, chains).all():
        n += cfg.IB_DEPTH
    ok = accept_schedule(np.arange(1, n + 2), cfg, chains)
    return int(np.argmin(ok))  # the first dropped push: that many went in


def edges(cfg: LebugConfig, case: LebugCase, exp: EmulationResult) -> list[str]:
    """The depth edges a case sits on: pushes that end with the input buffer full and one more push
    the next cycle would be dropped (last_legal), or that drop exactly one vector, the last
    (one_past); exactly TB_DEPTH trace rows written, or TB_DEPTH + 1."""
    out = []
    pushes = case.push_cycles()
    if pushes is not None and len(pushes):
        acc = np.asarray(exp.accepted, dtype=bool)
        more = accept_schedule(np.append(pushes, pushes[-1] + 1), cfg, case.fw.num_chains)
        if acc.all() and not more[-1]:
            out.append("input_buffer:last_legal")
        if (~acc).sum() == 1 and not acc[-1]:
            out.append("input_buffer:one_past")
    rows = int(exp.status.rows)
    if rows == cfg.TB_DEPTH:
        out.append("trace_buffer:last_legal")
    elif rows == cfg.TB_DEPTH + 1:
        out.append("trace_buffer:one_past")
    return out


def edge_case(cfg: LebugConfig, rng: np.random.Generator) -> LebugCase:
    """One case on a random edge (EDGES): random firmware of 2..MAX_CHAINS chains pushed back to back
    for exactly the burst the input buffer holds (or one vector more), or loopback firmware (one
    trace row a vector) on exactly TB_DEPTH vectors (or one more)."""
    kind = EDGES[int(rng.integers(len(EDGES)))]
    past = kind.endswith("one_past")
    thr = rng.integers(-8 << cfg.FRAC_W, 8 << cfg.FRAC_W, cfg.n_thresholds)
    if kind.startswith("input_buffer"):
        fw: Firmware = random_firmware(cfg, rng, cond2=0.5, min_chains=min(2, cfg.MAX_CHAINS))
        limit = burst_limit(cfg, fw.num_chains)
        assert limit is not None
        n = limit + int(past)
        x, eof = random_stream(cfg, rng, n)
        return LebugCase(fw, thr, x, eof, np.zeros(n, np.int64), True)
    fw = loopback(Compiler(cfg, "loopback"))
    n = cfg.TB_DEPTH + int(past)
    x, eof = random_stream(cfg, rng, n)
    return LebugCase(fw, thr, x, eof, None, False)
