"""The firmware library: LeBug's programs are LeBug's, instruction for instruction, and give
the numbers their definitions give. Every expectation below is worked out by hand from the
program (docs/lebug.md semantics), not produced by the emulator; each runs on the emulator and on the RTL."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from pymodel.errors import AccelscopeError
from pymodel.lebug import LIBRARY, Compiler, LebugConfig, build, default_thresholds, emulate
from pymodel.lebug.firmware import ORIGIN
from pymodel.lebug.regmap import trace_from_mem
from tb.lebug.jobs import run_lebug
from tb.runner import sims_under_test

C4 = LebugConfig(N=4, M=2, DATA_W=16)  # thresholds memory: 0, 1, 2, ..., 8
C8 = LebugConfig()

# --------------------------------------------------------------------------
# the original instruction sequences, transcribed from LeBug
# (src/firmware/firmware.py; loopback/minicache/distribution: LeBug's firmware guide)
# --------------------------------------------------------------------------

N4 = C4.N
ORIGINAL: dict[str, list[list[tuple]]] = {
    "loopback": [[("v_commit", N4)]],
    "minicache": [
        [("vv_add", 0), ("v_cache", 0), ("v_mc_save",)],
        [("v_mc_load",), ("vv_add", 0), ("v_cache", 0), ("v_mc_save",)],
        [("v_mc_load",), ("v_commit",)],
    ],
    "distribution": [  # bins=4, M=2
        [("vv_filter", 0), ("m_reduce", "M"), ("vv_add", 0, "notfirst"), ("v_cache", 0), ("v_commit", 2, "last")],
        [("vv_filter", 1), ("m_reduce", "M"), ("vv_add", 1, "notfirst"), ("v_cache", 1), ("v_commit", 2, "last")],
    ],
    "summary_stats": [
        [("vv_add", 0, "notfirst"), ("v_cache", 0), ("v_reduce",), ("v_commit", 1, "last")],
        [("vv_filter", 0), ("m_reduce", "N"), ("vv_add", 1, "notfirst"), ("v_cache", 1), ("v_reduce",),
         ("v_commit", 1, "last")],
    ],
    "spatial_sparsity": [[("vv_filter", 0), ("m_reduce", "N"), ("v_commit", N4)]],
    "vector_change": [
        [("vv_sub", 0), ("v_reduce",), ("v_commit", 1)],
        [("v_cache", 0)],
    ],
    "correlation": [
        [("vv_mul", 0), ("v_reduce",), ("v_commit", 1)],
        [("v_cache", 0), ("v_reduce",), ("v_commit", 1)],
        [("vv_mul", 0), ("v_reduce",), ("v_commit", 1)],
    ],
    "activation_predictiveness": [
        [("vv_add", 0, "notfirst", None), ("v_cache", 0), ("v_mc_save",)],
        [("v_mc_load",), ("vv_max", 1, None, "notfirst"), ("v_cache", 1, "last", None), ("v_commit", 1, None, "last")],
    ],
    "pass_through": [[]],
    "sum_all": [[("v_reduce",), ("v_commit", 1)]],
    "vvalu_simple": [[("vv_add", 0), ("v_cache", 0), ("v_commit",)]],
    "fru_simple": [[("vv_filter", 0), ("m_reduce", "M"), ("v_commit",)]],
    "multiple_chains": [
        [("vv_filter", 0), ("m_reduce", "M"), ("v_commit",)],
        [("v_reduce",), ("v_commit",)],
        [("v_commit",)],
    ],
    "conditions": [  # needs N=8 or M=8: compiled for C8
        [("v_commit",)],
        [("vv_add", 0, "notfirst"), ("v_commit",)],
        [("vv_add", 0, "last"), ("v_cache", 0), ("v_commit", 8, "notfirst")],
    ],
    "minicache_test": [
        [("vv_add", 0, "notfirst", None), ("v_cache", 0), ("v_mc_save",)],
        [("v_mc_load",), ("v_commit",)],
    ],
}
ARGS = {"distribution": {"bins": 4}}
ZERO_ROW = [-1, 0, 0]  # M=2: bin 0 = (-1, 0] (exactly 0), bin 1 = (0, 0] (empty)
OWN_THRESHOLDS = {"summary_stats": ZERO_ROW, "spatial_sparsity": ZERO_ROW}


def compile_calls(cfg: LebugConfig, chains: list[list[tuple]]):
    cp = Compiler(cfg, "transcribed")
    for calls in chains:
        cp.begin_chain()
        for name, *args in calls:
            getattr(cp, name)(*args)
        cp.end_chain()
    return cp.compile()


def test_every_original_is_listed():
    originals = {n for n, o in ORIGIN.items() if o is not None}
    assert originals == set(ORIGINAL)
    assert set(ORIGIN) == set(LIBRARY)


@pytest.mark.parametrize("name", list(ORIGINAL))
def test_library_program_is_the_original_sequence(name):
    cfg = C8 if name == "conditions" else C4
    fw = build(name, cfg, **ARGS.get(name, {}))
    want = compile_calls(cfg, ORIGINAL[name])
    assert fw.chains == want.chains
    if name in OWN_THRESHOLDS:
        assert fw.thresholds[:3].tolist() == OWN_THRESHOLDS[name]
        assert fw.thresholds[3:].tolist() == list(range(3, 9))  # the rest of the memory: 0, 1, 2, ...
    else:
        assert fw.thresholds is None


# --------------------------------------------------------------------------
# hand-computed results (C4: N=4, M=2, integer, 16 bits)
# --------------------------------------------------------------------------

@pytest.fixture(params=["model", sims_under_test()[0]])
def backend(request):
    """Every hand-computed expectation holds on the emulator and on the RTL."""
    return request.param


def run(backend, name, x, eof=None, cfg=C4, **kwargs):
    x = np.array(x, dtype=np.int64)
    eof = np.zeros((len(x), 2), np.int64) if eof is None else np.array(eof, dtype=np.int64)
    fw = build(name, cfg, **kwargs)
    if backend == "model":
        return emulate(cfg, fw, x, eof)

    thr = fw.thresholds if fw.thresholds is not None else default_thresholds(cfg)
    hw = run_lebug(cfg, fw, thr, x, eof, backend)
    return SimpleNamespace(rows=trace_from_mem(hw.tb_mem, hw.status["rows"]), status=SimpleNamespace(**hw.status))


def test_loopback_by_hand(backend):
    res = run(backend, "loopback", [[1, 2, 3, 4], [-5, 6, -7, 8]])
    assert res.rows.tolist() == [[1, 2, 3, 4], [-5, 6, -7, 8]]


def test_minicache_by_hand(backend):
    # chain 1: c0 = mc = x + c0; chain 2: c0 = mc = mc + c0 (= 2*c0); chain 3 commits mc
    res = run(backend, "minicache", [[1, 2, 3, 4], [1, 0, 0, 1]])
    # x0: c0 = [1,2,3,4] -> [2,4,6,8]; x1: c0 = [3,4,6,9] -> [6,8,12,18]
    assert res.rows.tolist() == [[2, 4, 6, 8], [6, 8, 12, 18]]


def test_distribution_by_hand(backend):
    # bins (0,1], (1,2] (row 0, chain 0) and (2,3], (3,4] (row 1, chain 1); frame = x0..x1, then x2
    res = run(backend, "distribution", [[1, 2, 3, 4], [2, 2, 0, 5], [1, 1, 1, 1]], [[0, 0], [1, 0], [1, 0]], bins=4)
    # frame 1: x0 -> 1,1,1,1; x1 -> 0,2,0,0 (0 and 5 are outside) -> [1,3,1,1]; frame 2 -> [4,0,0,0]
    assert res.rows.tolist() == [[1, 3, 1, 1], [4, 0, 0, 0]]


def test_summary_stats_by_hand(backend):
    # per frame: sum of everything, number of zeros (default thresholds), one value each at 'last'
    x = [[1, 0, 2, 0], [0, 3, 0, 0], [-1, 0, 4, 0]]
    res = run(backend, "summary_stats", x, [[0, 0], [1, 0], [1, 0]])
    # frame 1 (x0, x1): sum 6, zeros 5; frame 2 (x2): sum 3, zeros 2
    assert res.rows.tolist() == [[6, 5, 3, 2]]


def test_summary_stats_with_thresholds(backend):
    # count lanes in (0, 2] instead: frame 1 has 1, 2 -> 2 lanes (3 is outside)
    res = run(backend, "summary_stats", [[1, 0, 2, 0], [0, 3, 0, 0]], [[0, 0], [1, 0]], thresholds=[0, 1, 2])
    assert res.rows.size == 0 and res.status.pack_fill == 2  # half a row: [6, 2] waits in the packer
    res = run(backend, "summary_stats", [[1, 0, 2, 0], [0, 3, 0, 0], [5, 5, 5, 5]], [[0, 0], [1, 0], [1, 0]],
              thresholds=[0, 1, 2])
    assert res.rows.tolist() == [[6, 2, 20, 0]]


def test_spatial_sparsity_by_hand(backend):
    res = run(backend, "spatial_sparsity", [[1, 0, 2, 0], [0, 3, 0, 0]])
    assert res.rows.tolist() == [[0, 1, 0, 1], [1, 0, 1, 1]]  # 1 marks a zero lane
    res = run(backend, "spatial_sparsity", [[1, 0, 2, 5]], thresholds=[0, 2, 4])  # lanes in (0, 4]
    assert res.rows.tolist() == [[1, 0, 1, 0]]


def test_vector_change_by_hand(backend):
    # sum(x_t - x_{t-1}), x_{-1} = 0, no frame conditions (the EOF changes nothing)
    x = [[1, 2, 3, 4], [2, 2, 5, 1], [0, 0, 0, 0], [1, 1, 1, 1]]
    res = run(backend, "vector_change", x, [[0, 0], [1, 0], [0, 0], [0, 0]])
    assert res.rows.tolist() == [[10, 0, -10, 4]]


def test_correlation_by_hand(backend):
    # per vector: sum(x*prev), sum(x), sum(x*x); prev of x0 is 0
    x = [[1, 2, 0, 1], [2, 1, 1, 0], [0, 0, 3, 1], [1, 1, 1, 1]]
    res = run(backend, "correlation", x)
    stream = [0, 4, 6, 4, 4, 6, 3, 4, 10, 4, 4, 4]
    assert res.rows.ravel().tolist() == stream


def test_correlation_fixed_point_by_hand(backend):
    # Q8.8: products are (a*b) >> 8; 1.5 = 384, 2.0 = 512
    cfg = LebugConfig(N=4, M=2, DATA_W=16, FRAC_W=8)
    x = [[384, 0, 0, 0], [512, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    res = run(backend, "correlation", x, cfg=cfg)
    # x0: 0, 1.5, 2.25; x1: 3.0, 2.0, 4.0; x2, x3: 0, 0, 0
    assert res.rows.ravel().tolist() == [0, 384, 576, 768, 512, 1024, 0, 0, 0, 0, 0, 0]


def test_activation_predictiveness_by_hand(backend):
    # chain 1: running sum of the level-0 frame -> c0, mc; chain 2: r = max(mc, c1) unless level-1
    # 'first' (then r = mc); c1 <- r at level-0 'last'; lane 0 of r committed at level-1 'last'
    x = [[1, 2, 0, 0], [2, 0, 0, 0], [1, 1, 0, 0], [4, 0, 0, 0],
         [1, 0, 0, 0], [2, 0, 0, 0], [0, 3, 0, 0], [7, 0, 0, 0]]
    eof = [[0, 0], [1, 0], [0, 0], [1, 1], [1, 0], [1, 1], [1, 1], [1, 1]]
    # level-1 frame x0..x3: level-0 sums (lane 0) 3 and 5 -> 5; frame x4..x5: 1 and 2 -> 2;
    # x6 and x7 are one-vector frames at both levels: 0 and 7
    for cfg in (C4, LebugConfig(N=4, M=2, DATA_W=16, VSRU_FIRST=1)):
        assert run(backend, "activation_predictiveness", x, eof, cfg=cfg).rows.tolist() == [[5, 2, 0, 7]]


def test_pass_through_by_hand(backend):
    res = run(backend, "pass_through", [[1, 2, 3, 4], [5, 6, 7, 8]])
    assert res.rows.size == 0 and res.status.pack_fill == 0 and res.status.cycles == 2


def test_sum_all_by_hand(backend):
    x = [[1, 2, 3, 4], [-1, -1, 0, 5], [0, 0, 0, 0], [100, 0, 0, 0],
         [32767, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    # 32767 + 1 wraps to -32768 in 16 bits
    assert run(backend, "sum_all", x).rows.tolist() == [[10, 3, 0, 100], [-32768, 0, 0, 0]]


def test_vvalu_simple_by_hand(backend):
    # cache 0 accumulates every vector, never reset (no conditions)
    res = run(backend, "vvalu_simple", [[1, 2, 3, 4], [1, 1, 1, 1], [0, 0, 0, -5]], [[0, 0], [1, 0], [0, 0]])
    assert res.rows.tolist() == [[1, 2, 3, 4], [2, 3, 4, 5], [2, 3, 4, 0]]


def test_fru_simple_by_hand(backend):
    # row 0 of 0, 1, 2, ...: bins (0,1], (1,2]; the M-bin histogram padded to N
    res = run(backend, "fru_simple", [[1, 2, 2, 0], [5, 1, -1, 1]])
    assert res.rows.tolist() == [[1, 2, 0, 0], [2, 0, 0, 0]]
    res = run(backend, "fru_simple", [[1, 2, 2, 0], [7, 1, -1, 1]], thresholds=[0, 5, 10])  # (0,5], (5,10]
    assert res.rows.tolist() == [[3, 0, 0, 0], [2, 1, 0, 0]]


def test_multiple_chains_by_hand(backend):
    res = run(backend, "multiple_chains", [[1, 2, 2, 0]])
    assert res.rows.tolist() == [[1, 2, 0, 0], [5, 0, 0, 0], [1, 2, 2, 0]]


def test_conditions_by_hand(backend):
    a, b, c = list(range(1, 9)), [10] * 8, [0, 1] * 4
    ab = [p + q for p, q in zip(a, b)]
    res = run(backend, "conditions", [a, b, c], [[0, 0], [1, 0], [0, 0]], cfg=C8)
    # x0 (first): chain 1 a; chain 2 a ('notfirst' fails); chain 3 caches a, no commit (first)
    # x1 (last):  chain 1 b; chain 2 b + a; chain 3 b + a ('last'), cached, committed
    # x2 (first): chain 1 c; chain 2 c; chain 3 caches c, no commit
    assert res.rows.tolist() == [a, a, b, ab, ab, c, c]


def test_minicache_test_by_hand(backend):
    res = run(backend, "minicache_test", [[1, 1, 1, 1], [1, 2, 3, 4], [5, 5, 5, 5]], [[0, 0], [1, 0], [0, 0]])
    assert res.rows.tolist() == [[1, 1, 1, 1], [2, 3, 4, 5], [5, 5, 5, 5]]


# --------------------------------------------------------------------------
# configurations an original cannot run on
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["summary_stats", "vector_change", "correlation"])
def test_vsru_after_vvalu_originals_refuse_vsru_first(name):
    with pytest.raises(AccelscopeError, match=rf"{name}: the original program .* VSRU_FIRST=1"):
        build(name, LebugConfig(VSRU_FIRST=1))


def test_conditions_needs_a_size_8_commit():
    with pytest.raises(AccelscopeError, match=r"conditions: the original program commits 8 values"):
        build("conditions", C4)
    build("conditions", LebugConfig(N=16, M=8))


def test_threshold_argument_errors():
    with pytest.raises(AccelscopeError, match=r"summary_stats: thresholds must be M\+1=3 raw values"):
        build("summary_stats", C4, thresholds=[0, 1])
    with pytest.raises(AccelscopeError, match="bad firmware arguments"):
        build("sum_all", C4, thresholds=[0, 1, 2])
