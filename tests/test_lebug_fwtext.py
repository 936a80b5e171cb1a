"""Firmware text format: compile, disassemble, round trip, and FILE:LINE errors (one per rule)."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

from pymodel.errors import AccelscopeError
from pymodel.lebug import LIBRARY, LebugConfig, build, emulate, encode_firmware
from pymodel.lebug.fwtext import compile_text, disassemble, load_firmware_file
from pymodel.lebug.randfw import random_firmware

SEED = int(os.environ.get("LEBUG_SEED", "20261121"))
CFG = LebugConfig()
ROUND_TRIP_CONFIGS = [
    LebugConfig(),
    LebugConfig(N=4, M=2, DATA_W=16, FRAC_W=8, VSRU_FIRST=1, IB_DEPTH=4, CACHE_DEPTH=4, TB_DEPTH=16),
    LebugConfig(N=16, M=8, DATA_W=16, VSRU_FIRST=1, FU_ROWS=2, MAX_CHAINS=4),
]


def same(a, b, cfg):
    assert encode_firmware(a, cfg) == encode_firmware(b, cfg)
    if a.thresholds is None or b.thresholds is None:
        assert a.thresholds is None and b.thresholds is None
    else:
        np.testing.assert_array_equal(a.thresholds, b.thresholds)


# --------------------------------------------------------------------------
# syntax
# --------------------------------------------------------------------------

DIST_TEXT = """\
# the seed's distribution, bins=8, M=4 (chains as in the seed)
begin_chain
    vv_filter 0
    m_reduce M
    vv_add 0 notfirst     # restart the accumulator at each frame
    v_cache 0
    v_commit 4 last
end_chain
begin_chain
    vv_filter 1
    m_reduce M
    vv_add 1 notfirst
    v_cache 1
    v_commit M last
end_chain
"""


def test_plain_syntax_compiles_the_library_program():
    fw = compile_text(DIST_TEXT, CFG, "dist.fw")
    same(fw, build("distribution", CFG, bins=8), CFG)
    assert fw.name == "dist"


def test_pasted_lebug_python_compiles():
    # LeBug's activationPredictiveness body, pasted as written (keywords, quotes, cp. prefix)
    text = """
    cp.begin_chain()
    #cp.v_reduce() <- use this by reordering HW blocks to get non-proxy predictiveness metric
    cp.vv_add(0,condition1='notfirst')
    cp.v_cache(0)
    cp.v_mc_save()
    cp.end_chain()

    cp.begin_chain()
    cp.v_mc_load()
    cp.vv_max(1,condition2='notfirst')
    cp.v_cache(1,condition1='last')
    cp.v_commit(1,condition2='last')
    cp.end_chain()
    """
    same(compile_text(text, CFG, "ap.py"), build("activation_predictiveness", CFG), CFG)


def test_argument_forms_are_equivalent():
    forms = ["vv_max 1 none notfirst", "vv_max 1, -, notfirst", "vv_max 1 cond2=notfirst",
             "vv_max addr = 1 cond2 = notfirst", "vv_max(1, None, 'notfirst')", "cp.vv_max(1, cond2=\"notfirst\")"]
    words = {tuple(encode_firmware(compile_text(f"begin_chain\n{f}\nend_chain", CFG), CFG)) for f in forms}
    assert len(words) == 1
    sizes = {tuple(encode_firmware(compile_text(f"begin_chain\nv_commit {s}\nend_chain", CFG), CFG))
             for s in ("", "N", "8", "0x8", "size=8")}
    assert len(sizes) == 1


def test_threshold_row_sets_the_firmware_thresholds():
    text = "threshold_row 1 -3 -2 -1 0 1\nbegin_chain\nvv_filter 1\nm_reduce M\nv_commit 8\nend_chain\n"
    fw = compile_text(text, CFG)
    assert fw.thresholds.tolist() == [0, 1, 2, 3, -3, -2, -1, 0, 1] + list(range(9, 17))
    res = emulate(CFG, fw, np.array([[-2, -2, 0, 1, 1, 1, 5, -9]]))
    assert res.rows.tolist() == [[2, 0, 1, 3, 0, 0, 0, 0]]  # (-3,-2], (-2,-1], (-1,0], (0,1]
    same(compile_text("set_threshold_row(1, [-3, -2, -1, 0, 1])\n" + text.split("\n", 1)[1], CFG), fw, CFG)


def test_disassemble_text():
    text = disassemble(build("summary_stats", CFG), CFG)
    body = [ln.split("#")[0].strip() for ln in text.splitlines()]
    assert [ln for ln in body if ln] == [
        "threshold_row 0 -1 0 0 0 0",
        "begin_chain", "vv_add 0 notfirst", "v_cache 0", "v_reduce", "v_commit 1 last", "end_chain",
        "begin_chain", "vv_filter 0", "m_reduce N", "vv_add 1 notfirst", "v_cache 1", "v_reduce", "v_commit 1 last",
        "end_chain"]
    ap = disassemble(build("activation_predictiveness", CFG), CFG)
    assert "vv_max 1 cond2=notfirst" in ap and "v_cache 1 last" in ap and "v_commit 1 cond2=last" in ap


def test_load_firmware_file(tmp_path):
    p = tmp_path / "dist.fw"
    p.write_text(DIST_TEXT)
    same(load_firmware_file(p, CFG), build("distribution", CFG, bins=8), CFG)
    with pytest.raises(AccelscopeError, match=r"missing\.fw: cannot read firmware file"):
        load_firmware_file(tmp_path / "missing.fw", CFG)
    (tmp_path / "bad.fw").write_text("begin_chain\nv_commit 3\nend_chain\n")
    with pytest.raises(AccelscopeError, match=re.escape(f"{tmp_path / 'bad.fw'}:2: ")):
        load_firmware_file(tmp_path / "bad.fw", CFG)


# --------------------------------------------------------------------------
# round trip: disassemble, then compile, gives the same words (and thresholds)
# --------------------------------------------------------------------------

def _buildable():
    out = []
    for i, cfg in enumerate(ROUND_TRIP_CONFIGS):
        for name in LIBRARY:
            try:
                build(name, cfg)
            except AccelscopeError:  # e.g. summary_stats on VSRU_FIRST=1: not this configuration's
                continue
            out.append(pytest.param(name, cfg, id=f"{name}-cfg{i}"))
    return out


@pytest.mark.parametrize("name,cfg", _buildable())
def test_library_round_trip(name, cfg):
    fw = build(name, cfg)
    same(compile_text(disassemble(fw, cfg), cfg, f"{name}.fw"), fw, cfg)


def test_every_library_program_round_trips_somewhere():
    assert {p.values[0] for p in _buildable()} == set(LIBRARY)


def test_random_firmware_round_trip():
    print(f"seed {SEED} (rerun with LEBUG_SEED={SEED})")
    for i in range(200):
        rng = np.random.default_rng([SEED, i])
        cfg = ROUND_TRIP_CONFIGS[i % len(ROUND_TRIP_CONFIGS)]
        fw = random_firmware(cfg, rng)
        text = disassemble(fw, cfg)
        assert encode_firmware(compile_text(text, cfg), cfg) == encode_firmware(fw, cfg), f"case {i}:\n{text}"


def test_disassemble_refuses_what_text_cannot_say():
    from dataclasses import replace

    fw = build("loopback", CFG)
    bad = replace(fw, chains=(replace(fw.chains[0], alu_cond=(2, 0)),))  # a condition without a VVALU op
    with pytest.raises(AccelscopeError, match="chain 0: a VVALU op condition without the instruction"):
        disassemble(bad, CFG)


# --------------------------------------------------------------------------
# errors: FILE:LINE and the rule, one test per rule
# --------------------------------------------------------------------------

def err(text, cfg=CFG):
    with pytest.raises(AccelscopeError) as e:
        compile_text(text, cfg, "prog.fw")
    return str(e.value)


def test_error_out_of_hardware_order():
    assert err("begin_chain\nv_cache 0\nvv_add 0\nend_chain\n").startswith(
        "prog.fw:3: chain 0, instruction 1 (vv_add): out of hardware order: vv_add must come before v_cache")


def test_error_out_of_hardware_order_vsru_first():
    msg = err("begin_chain\nvv_add 0\nv_reduce\nend_chain\n", LebugConfig(VSRU_FIRST=1))
    assert msg.startswith("prog.fw:3: chain 0, instruction 1 (v_reduce): out of hardware order")


def test_error_two_instructions_for_one_unit():
    assert err("begin_chain\nvv_add 0\nvv_max 1\nend_chain\n") == \
        "prog.fw:3: chain 0, instruction 1 (vv_max): second vv_<op> in one chain (one per unit slot)"


def test_error_too_many_chains():
    text = "begin_chain\nv_commit\nend_chain\n" * 2 + "begin_chain\nend_chain\n"
    assert err(text, LebugConfig(MAX_CHAINS=2)) == \
        "prog.fw:7: chain 2, instruction 0 (begin_chain): too many chains: MAX_CHAINS=2"


def test_error_bad_cache_address():
    assert err("begin_chain\n\nvv_add 8\nend_chain\n") == \
        "prog.fw:3: chain 0, instruction 0 (vv_add): cache address 8 out of range 0..7"


def test_error_bad_filter_row():
    assert err("begin_chain\nvv_filter 4\nm_reduce M\nend_chain\n") == \
        "prog.fw:2: chain 0, instruction 0 (vv_filter): filter row 4 out of range 0..3"


def test_error_bad_size():
    assert err("begin_chain\nv_commit 3\nend_chain\n") == \
        "prog.fw:2: chain 0, instruction 0 (v_commit): size 3 not in {1, M=4, N=8}"


def test_error_unknown_condition():
    assert err("begin_chain\nv_commit 8 sometimes\nend_chain\n") == \
        ("prog.fw:2: chain 0, instruction 0 (v_commit): unknown condition 'sometimes'; "
         "use first, last, notfirst or notlast")


def test_error_unknown_instruction():
    assert err("begin_chain\nvv_div 0\nend_chain\n") == "prog.fw:2: unknown instruction 'vv_div'"


def test_error_bad_argument_count():
    assert err("begin_chain\nvv_add 0 last last last\nend_chain\n") == \
        "prog.fw:2: vv_add: takes 1 to 3 argument(s), got 4"
    assert err("begin_chain\nvv_add\nend_chain\n") == \
        "prog.fw:2: vv_add: missing argument addr (takes 1 to 3 argument(s), got 0)"
    assert err("begin_chain\nv_reduce 1\nend_chain\n") == "prog.fw:2: v_reduce: takes 0 argument(s), got 1"


def test_error_bad_argument_type():
    assert err("begin_chain\nvv_add zero\nend_chain\n") == "prog.fw:2: vv_add: addr must be an integer, got 'zero'"
    assert err("begin_chain\nvv_filter 0\nm_reduce K\nend_chain\n") == \
        "prog.fw:3: chain 0, instruction 1 (m_reduce): axis must be 'N' or 'M', got 'K'"


def test_error_bad_keyword():
    assert err("begin_chain\nvv_add 0 cond3=last\nend_chain\n") == \
        "prog.fw:2: vv_add: unknown argument 'cond3' (arguments: addr, cond1, cond2)"


def test_error_missing_end_chain():
    assert err("# header\nbegin_chain\nv_commit\n") == \
        "prog.fw:2: begin_chain without end_chain (chain 0 still open at the end of the file: missing end_chain)"
    assert err("begin_chain\nv_commit\nbegin_chain\nend_chain\n") == \
        "prog.fw:3: chain 0, instruction 1 (begin_chain): begin_chain inside an open chain (missing end_chain)"


def test_error_instruction_outside_a_chain():
    assert err("begin_chain\nend_chain\nv_commit\n") == \
        "prog.fw:3: v_commit outside a chain (call begin_chain first)"
    assert err("end_chain\n").startswith("prog.fw:1: end_chain without begin_chain")


def test_error_filter_without_reduce():
    assert err("begin_chain\nvv_filter 0\nend_chain\n") == \
        "prog.fw:3: chain 0, instruction 1 (end_chain): vv_filter needs an m_reduce in the same chain"


def test_error_no_chains():
    assert err("# nothing here\n") == "prog.fw:1: firmware has no chains (write begin_chain ... end_chain)"


def test_error_bad_threshold_row():
    assert err("threshold_row 0 1 2\n") == \
        "prog.fw:1: threshold_row: takes a row and M+1=5 raw values, got 3 argument(s)"
    assert err("threshold_row 4 0 1 2 3 4\n") == "prog.fw:1: threshold_row: filter row 4 out of range 0..3"
    assert err("threshold_row 0 0 1 2 3 99999\n", LebugConfig(DATA_W=16)) == \
        "prog.fw:1: threshold_row: value 99999 does not fit DATA_W=16 (-32768..32767)"
