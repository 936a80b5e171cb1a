"""pymodel.lebug emulator: seed vectors, independent oracles, engine cross-checks, timing model."""

from __future__ import annotations

import os

import numpy as np
import pytest

from pymodel.errors import AccelscopeError
from pymodel.lebug import (
    LIBRARY,
    Compiler,
    LebugConfig,
    accept_schedule,
    build,
    default_thresholds,
    emulate,
    to_raw,
    to_real,
    wrap,
)
from pymodel.lebug.emulator import plan
from pymodel.lebug.randfw import random_firmware, random_stream
from pymodel.lebug.seed_vectors import SEED_EXAMPLES

SEED = int(os.environ.get("LEBUG_SEED", "20261121"))


def frames(eof0: np.ndarray) -> list[slice]:
    """Frame slices from level-0 EOF bits (a trailing open frame is included)."""
    ends = list(np.flatnonzero(eof0) + 1)
    starts = [0] + ends
    stops = ends + [len(eof0)]
    return [slice(a, b) for a, b in zip(starts, stops) if b > a]


def closed_frames(eof0: np.ndarray) -> list[slice]:
    return [f for f in frames(eof0) if eof0[f.stop - 1]]


@pytest.mark.parametrize("ex", SEED_EXAMPLES, ids=lambda e: e.name)
@pytest.mark.parametrize("method", ["reference", "auto"])
def test_seed_examples(ex, method):
    cfg = ex.sim_config
    res = emulate(cfg, ex.firmware(cfg), ex.raw_inputs(cfg), ex.eof(), method=method)
    ex.check(cfg, res.trace)


def test_seed_check_can_fail():
    ex = SEED_EXAMPLES[2]
    cfg = ex.sim_config
    res = emulate(cfg, ex.firmware(cfg), ex.raw_inputs(cfg), ex.eof())
    bad = res.trace.copy()
    bad[0, 2] += 1 << cfg.FRAC_W
    with pytest.raises(AssertionError):
        ex.check(cfg, bad)


# --------------------------------------------------------------------------
# library firmware against plain-numpy oracles written from the doc
# --------------------------------------------------------------------------

def _stream(cfg, n=64, seed=SEED):
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 9, size=(n, cfg.N)) << cfg.FRAC_W
    eof = np.zeros((n, 2), dtype=np.int64)
    eof[:, 0] = rng.random(n) < 0.2
    eof[-1, 0] = 1
    return x, eof


@pytest.mark.parametrize("cfg", [LebugConfig(), LebugConfig(N=4, M=2, DATA_W=16, FRAC_W=8)], ids=["int", "fix"])
def test_distribution_is_a_histogram(cfg):
    x, eof = _stream(cfg)
    bins = cfg.M * cfg.FU_ROWS
    res = emulate(cfg, build("distribution", cfg, bins=bins), x, eof)
    real = to_real(x, cfg)
    want = [np.array([np.sum((real[f] > b) & (real[f] <= b + 1)) for b in range(bins)])
            for f in closed_frames(eof[:, 0])]
    got = to_real(res.rows.reshape(-1, bins), cfg)
    np.testing.assert_array_equal(got, np.array(want))


def test_lane_stats_oracle():
    cfg = LebugConfig()
    x, eof = _stream(cfg)
    res = emulate(cfg, build("lane_stats", cfg), x, eof)
    want = []
    for f in closed_frames(eof[:, 0]):
        want += [x[f].sum(0), x[f].max(0), (x[f] == 0).sum(0)]
    np.testing.assert_array_equal(res.rows, np.array(want))


def test_vector_delta_oracle():
    cfg = LebugConfig()
    x, eof = _stream(cfg)
    res = emulate(cfg, build("vector_delta", cfg), x, eof)
    want = np.concatenate([np.diff(x[f], axis=0) for f in frames(eof[:, 0])])
    np.testing.assert_array_equal(res.rows, want)


@pytest.mark.parametrize("frac", [0, 8])
def test_frame_correlation_oracle(frac):
    cfg = LebugConfig(DATA_W=32, FRAC_W=frac)
    x, eof = _stream(cfg)
    res = emulate(cfg, build("frame_correlation", cfg), x, eof)
    want = [((x[f][1:] * x[f][:-1]) >> frac).sum(0) for f in closed_frames(eof[:, 0])]
    np.testing.assert_array_equal(res.rows, np.array(want))


def test_zero_lanes_oracle():
    cfg = LebugConfig()
    x, eof = _stream(cfg)
    res = emulate(cfg, build("zero_lanes", cfg), x, eof)
    zeros = (x == 0).sum(1)
    np.testing.assert_array_equal(res.rows.ravel(), zeros[: res.rows.size])
    assert res.status.pack_fill == len(x) % cfg.N


def test_active_lane_stats_oracle():
    cfg = LebugConfig(VSRU_FIRST=1)
    x, eof = _stream(cfg)
    res = emulate(cfg, build("active_lane_stats", cfg), x, eof)
    active = (x > 0).sum(1)
    want = np.array([[active[f].sum(), active[f].max()] for f in closed_frames(eof[:, 0])]).ravel()
    flat = res.rows.ravel()
    assert flat.size + res.status.pack_fill == want.size
    np.testing.assert_array_equal(flat, want[: flat.size])


def test_loopback_wraps_trace_buffer():
    cfg = LebugConfig(TB_DEPTH=4)
    x, eof = _stream(cfg, n=10)
    res = emulate(cfg, build("loopback", cfg), x, eof)
    np.testing.assert_array_equal(res.rows, x)
    np.testing.assert_array_equal(res.trace, x[-4:])
    np.testing.assert_array_equal(res.tb_mem, x[[8, 9, 6, 7]])
    assert res.status.wrap == 1 and res.status.rows == 10


def test_wraparound_arithmetic():
    cfg = LebugConfig(DATA_W=8)
    x = np.array([[127] * 8, [1] * 8])
    res = emulate(cfg, build("lane_stats", cfg), x, np.array([[0, 0], [1, 0]]))
    assert res.rows[0, 0] == -128  # 127 + 1 wraps in 8 bits
    cfg16 = LebugConfig(DATA_W=16, FRAC_W=4)
    got = emulate(cfg16, build("frame_correlation", cfg16), np.array([[-32768] * 8, [-32768] * 8]),
                  np.array([[0, 0], [1, 0]])).rows[0, 0]
    assert got == wrap(np.array((-32768 * -32768) >> 4), 16)


# --------------------------------------------------------------------------
# vectorized engine == reference engine
# --------------------------------------------------------------------------

CONFIGS = [LebugConfig(), LebugConfig(FRAC_W=16), LebugConfig(N=4, M=2, DATA_W=16, FRAC_W=8, VSRU_FIRST=1),
           LebugConfig(N=16, M=8, DATA_W=16, VSRU_FIRST=1, CACHE_DEPTH=4)]


def test_random_firmware_engines_agree():
    print(f"seed {SEED} (rerun with LEBUG_SEED={SEED})")
    vectorized = 0
    for i in range(300):
        rng = np.random.default_rng([SEED, i])
        cfg = CONFIGS[i % len(CONFIGS)]
        fw = random_firmware(cfg, rng)
        x, eof = random_stream(cfg, rng, int(rng.integers(1, 50)))
        thr = rng.integers(-8 << cfg.FRAC_W, 8 << cfg.FRAC_W, cfg.n_thresholds)
        a = emulate(cfg, fw, x, eof, thr, method="reference")
        b = emulate(cfg, fw, x, eof, thr)
        vectorized += b.method == "vectorized"
        assert np.array_equal(a.rows, b.rows) and a.status == b.status, f"case {i}: {fw.chains}"
    assert vectorized > 60, "too few random firmware exercised the vectorized engine"


def _buildable(name, **params):
    """The firmware and the first of VSRU_FIRST=0/1 that can run it."""
    for vsru_first in (0, 1):
        cfg = LebugConfig(VSRU_FIRST=vsru_first, **params)
        try:
            return build(name, cfg), cfg
        except AccelscopeError:
            continue
    raise AssertionError(f"{name} runs on neither pipeline order")


@pytest.mark.parametrize("name", list(LIBRARY))
def test_library_engines_agree(name):
    fw, cfg = _buildable(name, DATA_W=16, FRAC_W=4)
    assert (plan(fw, cfg) is None) == (name == "minicache"), "library firmware should vectorize"
    rng = np.random.default_rng([SEED, 7])
    x, eof = random_stream(cfg, rng, 200)
    a = emulate(cfg, fw, x, eof, method="reference")
    b = emulate(cfg, fw, x, eof)
    np.testing.assert_array_equal(a.rows, b.rows)
    assert a.status == b.status


def test_vectorized_refuses_cycles():
    cfg = LebugConfig()
    with pytest.raises(AccelscopeError, match="vectorized"):
        emulate(cfg, build("minicache", cfg), np.zeros((2, 8), np.int64), method="vectorized")


# --------------------------------------------------------------------------
# input buffer timing
# --------------------------------------------------------------------------

def test_accept_schedule_by_hand():
    # IB_DEPTH=2, 3 chains, a push every cycle: derived by hand from docs/lebug.md
    cfg = LebugConfig(IB_DEPTH=2)
    acc = accept_schedule(np.arange(10), cfg, 3)
    assert np.flatnonzero(acc).tolist() == [0, 1, 2, 5, 8]


def test_accept_schedule_slow_source_loses_nothing():
    cfg = LebugConfig(IB_DEPTH=2)
    assert accept_schedule(np.arange(0, 40, 3), cfg, 3).all()


def test_drops_reported_in_status():
    cfg = LebugConfig(IB_DEPTH=2)
    x = np.arange(80).reshape(10, 8)
    cp = Compiler(cfg)
    for c in range(3):  # three chains, so a vector every cycle overflows the buffer
        cp.begin_chain()
        if c == 0:
            cp.v_commit(cfg.N)
        cp.end_chain()
    res = emulate(cfg, cp.compile(), x, push_cycles=np.arange(10))
    assert np.flatnonzero(res.accepted).tolist() == [0, 1, 2, 5, 8]
    assert res.status.drops == 10 - res.status.vectors > 0
    np.testing.assert_array_equal(res.rows, x[res.accepted])


@pytest.mark.parametrize("bad", [np.array([0, 0]), np.array([3, 2]), np.array([-1, 4])])
def test_accept_schedule_rejects_bad_cycles(bad):
    with pytest.raises(AccelscopeError, match="push_cycles"):
        accept_schedule(bad, LebugConfig(), 2)


# --------------------------------------------------------------------------
# input validation and fixed point
# --------------------------------------------------------------------------

def test_emulate_rejects_bad_inputs():
    cfg = LebugConfig()
    fw = build("loopback", cfg)
    with pytest.raises(AccelscopeError, match="shape"):
        emulate(cfg, fw, np.zeros((3, 4), np.int64))
    with pytest.raises(AccelscopeError, match="integers"):
        emulate(cfg, fw, np.zeros((3, 8)))
    with pytest.raises(AccelscopeError, match="vector 1 lane 2"):
        x = np.zeros((3, 8), np.int64)
        x[1, 2] = 1 << 40
        emulate(cfg, fw, x)
    with pytest.raises(AccelscopeError, match="EOF"):
        emulate(cfg, fw, np.zeros((3, 8), np.int64), np.full((3, 2), 2))
    with pytest.raises(AccelscopeError, match="thresholds"):
        emulate(cfg, fw, np.zeros((3, 8), np.int64), thresholds=np.arange(5))


def test_fixed_point_conversion():
    cfg = LebugConfig(DATA_W=16, FRAC_W=8)
    assert to_raw(np.array([1.0, -0.5, 0.001953125, 127.99, -128.0]), cfg).tolist() == [256, -128, 1, 32765, -32768]
    for bad in (1000.0, -1000.0, np.inf, np.nan):  # rejected, never saturated (bad input is an error)
        with pytest.raises(AccelscopeError):
            to_raw(np.array([bad]), cfg)
    with pytest.raises(AccelscopeError, match="not an integer"):
        to_raw(np.array([2.5]), LebugConfig())
    assert to_real(np.array([384]), cfg).tolist() == [1.5]
    assert default_thresholds(cfg)[:3].tolist() == [0, 256, 512]
    assert to_raw(np.array([5, -7]), LebugConfig()).tolist() == [5, -7]


@pytest.mark.parametrize("text,msg", [("N=3", "power of 2"), ("M=16", "M=16"), ("FOO=1", "FOO=1"),
                                      ("N=x", "not an integer"), ("FRAC_W=32", "FRAC_W"), ("N", "KEY=INT")])
def test_config_errors(text, msg):
    with pytest.raises(AccelscopeError, match=msg):
        LebugConfig.parse(text)


def test_config_parse():
    cfg = LebugConfig.parse("N=16, M=8,FRAC_W=0x4")
    assert (cfg.N, cfg.M, cfg.FRAC_W, cfg.DATA_W) == (16, 8, 4, 32)
