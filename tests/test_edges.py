"""The boundary generators (pymodel/systolic/edges.py, pymodel/lebug/edges.py) on hand-worked
descriptors and streams; `accelscope regress` runs what they make on the RTL (tests/test_regress.py
requires every edge bin hit)."""

from __future__ import annotations

import numpy as np
import pytest

from pymodel.lebug.config import LebugConfig
from pymodel.lebug.edges import burst_limit
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.descriptor import ERR_A_RANGE, ERR_BQ_RANGE, ERR_C_RANGE, ERR_D_RANGE, ERR_NONE, Descriptor
from pymodel.systolic.edges import (
    ALIASED,
    ILLEGAL,
    LIMITS,
    OP_LIMITS,
    PAIRS,
    aliased,
    aliasing_bits,
    edge_job,
    edges,
    illegal_pair,
    pairs,
    refused,
)
from pymodel.systolic.model import run

CFG = SystolicConfig.for_array(8)


def test_ranges_by_hand() -> None:
    """GEMM M=3, KD=10, N=9 on K=8: KT = NT = 2. A rows at 5, 7, 9, two words each: last word 10;
    C rows at 100, 103, 106, NT = 2 words: last 107; B: NT*KT*K = 32 words from 40: last 71."""
    d = Descriptor(m=3, kd=10, n=9, a_base=5, a_stride=2, b_base=40, c_base=100, c_stride=3, bias=True, bq_base=7)
    r = d.ranges(CFG)
    assert r[ERR_A_RANGE] == (10, CFG.ACT_DEPTH - 1) and r[ERR_C_RANGE] == (107, CFG.OUT_DEPTH - 1)
    assert r[ERR_BQ_RANGE] == (8, CFG.BQ_DEPTH - 1) and ERR_D_RANGE not in r
    on = Descriptor(m=3, kd=10, n=9, a_base=CFG.ACT_DEPTH - 6, a_stride=2, c_stride=2)  # last A word: depth - 1
    assert on.check(CFG) == ERR_NONE and edges(CFG, on) == ["A_RANGE:last_legal"]
    past = Descriptor(m=3, kd=10, n=9, a_base=CFG.ACT_DEPTH - 5, a_stride=2, c_stride=2)
    assert past.check(CFG) == ERR_A_RANGE and edges(CFG, past) == ["A_RANGE:one_past"]
    two_past = Descriptor(m=3, kd=10, n=9, a_base=CFG.ACT_DEPTH - 4, a_stride=2, c_stride=2)
    assert two_past.check(CFG) == ERR_A_RANGE and edges(CFG, two_past) == []


@pytest.mark.parametrize("limit", [n for n in LIMITS if n != "CMD_LIST"])
def test_edge_jobs_sit_on_their_limit(limit: str) -> None:
    """Each limit, both sides, three seeds: the descriptor is exactly on it (and runs in the model to
    the end) or one past it (CHECK stops there with that limit's error)."""
    for seed in range(3):
        for past in (False, True):
            ej = edge_job(CFG, np.random.default_rng([seed, past]), limit, past)
            assert f"{limit}:{('last_legal', 'one_past')[past]}" in edges(CFG, ej.descriptors[0])
            res = run(CFG, ej.descriptors, ej.images)
            assert (res.error != 0) == past, (limit, past, res.error)


def test_modes_and_refused_pairs() -> None:
    """A fused-pool INT8 CONV with RELU has its six pairs; every refused pair is made and refused;
    `refused` gives each limit one past and each refused pair once."""
    d = Descriptor(m=1, kd=9, n=4, a_stride=1, d_stride=1, int8=True, relu=True, op=1, in_h=4, in_w=4, cin=1,
                   kh=3, kw=3, stride_h=1, stride_w=1, pad_t=1, pad_l=1, out_h=4, out_w=4, blk_rows=2, pool=2)
    assert pairs(d) == ["CONV+RELU", "CONV+INT8", "CONV+FUSED_POOL", "RELU+INT8", "RELU+FUSED_POOL",
                        "INT8+FUSED_POOL"]
    assert len(PAIRS) == 33
    for p in ILLEGAL:
        bad = illegal_pair(CFG, np.random.default_rng(1), p)
        assert p in pairs(bad) and bad.check(CFG) != ERR_NONE
    got = refused(CFG, np.random.default_rng(2))
    n_alias = sum(len(aliasing_bits(CFG, e)) for e in ALIASED)
    assert len(got) == 11 + len(OP_LIMITS) + len(ILLEGAL) + n_alias and all(t.check(CFG) != ERR_NONE for t in got)


def test_aliased_ranges_by_hand() -> None:
    """At K=8 (ACT_DEPTH 16384 = 2^14): the A-range alias at bit 20 is a GEMM of m = 2^5 + 1 rows
    2^15 words apart, ending at L + 2^20 (refused A_RANGE); with its last word's bit 20 dropped it
    would end at L, legal. Bit 25 needs more than 1024 rows of 2^15: m = ACC_DEPTH = 1024 rows
    ceil(2^25 / 1023) = 32801 words apart overshoot 2^25 by 1023 x 32801 - 2^25 = 991, which the
    base takes back (base = L - 991). Each range check gets bits from its depth's up: A 14..25 (1023 x
    65535 < 2^26), BQ 8..10."""
    d = aliased(CFG, np.random.default_rng(3), ERR_A_RANGE, 20)
    need, last = d.ranges(CFG)[ERR_A_RANGE]
    assert (d.m, d.a_stride) == (33, 1 << 15) and need - (1 << 20) == d.a_base <= last
    assert d.check(CFG) == ERR_A_RANGE
    d = aliased(CFG, np.random.default_rng(3), ERR_A_RANGE, 25)
    need, last = d.ranges(CFG)[ERR_A_RANGE]
    assert (d.m, d.a_stride) == (1024, 32801) and need - (1 << 25) == d.a_base + 991 <= last
    assert d.check(CFG) == ERR_A_RANGE
    assert aliasing_bits(CFG, ERR_A_RANGE) == range(14, 26) and aliasing_bits(CFG, ERR_BQ_RANGE) == range(8, 11)


def test_burst_limit_by_hand() -> None:
    """IB_DEPTH 2, 2 chains, pushes on cycles 1, 2, 3, ...: v0 is in the buffer at 2 and taken at 2, v1
    taken at 4 (the last chain of v0), so the buffer holds v1 and v2 at the start of 4 and v3 is
    dropped: 3 vectors go in. One chain takes a vector every cycle: the buffer never fills."""
    cfg = LebugConfig(N=4, M=2, IB_DEPTH=2)
    assert burst_limit(cfg, 2) == 3
    assert burst_limit(cfg, 1) is None
