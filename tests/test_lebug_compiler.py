"""LeBug compiler rules (one test per rule, message checked) and the firmware encoding."""

from __future__ import annotations

import numpy as np
import pytest

from pymodel.errors import AccelscopeError
from pymodel.lebug import LIBRARY, Compiler, LebugConfig, build, decode_firmware, encode_firmware
from pymodel.lebug.isa import FIELDS, RESERVED_LSB
from pymodel.lebug.randfw import random_firmware

CFG = LebugConfig()


def chain(*calls, cfg=CFG):
    """Compile one chain made of (method, args...) calls."""
    cp = Compiler(cfg, "fw")
    cp.begin_chain()
    for name, *args in calls:
        getattr(cp, name)(*args)
    cp.end_chain()
    return cp.compile()


@pytest.mark.parametrize("calls,msg", [
    ([("v_cache", 0), ("vv_add", 0)], r"chain 0, instruction 1 \(vv_add\): out of hardware order"),
    ([("v_commit",), ("v_cache", 0)], r"instruction 1 \(v_cache\): out of hardware order"),
    ([("v_mc_save",), ("v_mc_load",)], r"instruction 1 \(v_mc_load\): out of hardware order"),
    ([("vv_add", 0), ("vv_filter", 0)], r"\(vv_filter\): out of hardware order"),
    ([("v_reduce",), ("vv_add", 0)], r"\(vv_add\): out of hardware order"),
])
def test_out_of_order(calls, msg):
    with pytest.raises(AccelscopeError, match=msg):
        chain(*calls)


def test_vsru_first_changes_the_order():
    cfg = LebugConfig(VSRU_FIRST=1)
    chain(("v_reduce",), ("vv_add", 0), cfg=cfg)  # legal here
    with pytest.raises(AccelscopeError, match=r"\(v_reduce\): out of hardware order"):
        chain(("vv_add", 0), ("v_reduce",), cfg=cfg)


@pytest.mark.parametrize("calls,msg", [
    ([("vv_add", 0), ("vv_max", 1)], r"instruction 1 \(vv_max\): second vv_<op> in one chain"),
    ([("v_commit",), ("v_commit",)], r"second v_commit"),
    ([("v_cache", 0), ("v_cache", 1)], r"second v_cache"),
])
def test_one_instruction_per_slot(calls, msg):
    with pytest.raises(AccelscopeError, match=msg):
        chain(*calls)


def test_too_many_chains():
    cp = Compiler(LebugConfig(MAX_CHAINS=2), "fw")
    for _ in range(2):
        cp.begin_chain()
        cp.v_commit()
        cp.end_chain()
    with pytest.raises(AccelscopeError, match=r"chain 2, instruction 0 \(begin_chain\): too many chains: MAX_CHAINS=2"):
        cp.begin_chain()


@pytest.mark.parametrize("calls,msg", [
    ([("vv_add", 8)], r"\(vv_add\): .*cache address 8 out of range 0..7"),
    ([("v_cache", -1)], r"\(v_cache\): .*cache address -1 out of range"),
    ([("vv_filter", 4), ("m_reduce", "M")], r"\(vv_filter\): .*filter row 4 out of range 0..3"),
    ([("v_commit", 3)], r"\(v_commit\): size 3 not in \{1, M=4, N=8\}"),
    ([("vv_add", 1.5)], r"\(vv_add\): cache address must be an integer"),
    ([("v_commit", 8, "sometimes")], r"\(v_commit\): unknown condition 'sometimes'"),
    ([("vv_filter", 0), ("m_reduce", "K")], r"\(m_reduce\): axis must be 'N' or 'M'"),
    ([("m_reduce", "N")], r"\(m_reduce\): m_reduce needs a vv_filter"),
    ([("vv_filter", 0)], r"\(end_chain\): vv_filter needs an m_reduce"),
])
def test_bad_operands(calls, msg):
    with pytest.raises(AccelscopeError, match=msg):
        chain(*calls)


def test_structure_errors():
    cp = Compiler(CFG, "fw")
    with pytest.raises(AccelscopeError, match="outside a chain"):
        cp.v_commit()
    with pytest.raises(AccelscopeError, match="end_chain without begin_chain"):
        cp.end_chain()
    with pytest.raises(AccelscopeError, match="no chains"):
        cp.compile()
    cp.begin_chain()
    with pytest.raises(AccelscopeError, match="begin_chain inside an open chain"):
        cp.begin_chain()
    with pytest.raises(AccelscopeError, match="still open"):
        cp.compile()


def test_library_argument_errors():
    with pytest.raises(AccelscopeError, match="multiple of M=4"):
        build("distribution", CFG, bins=10)
    with pytest.raises(AccelscopeError, match="filter row 4 out of range"):
        build("distribution", CFG, bins=20)
    with pytest.raises(AccelscopeError, match="VSRU_FIRST=1"):
        build("active_lane_stats", CFG)
    with pytest.raises(AccelscopeError, match="unknown firmware 'nope'"):
        build("nope", CFG)
    with pytest.raises(AccelscopeError, match="bad firmware arguments"):
        build("loopback", CFG, bins=3)
    cp = Compiler(CFG)
    with pytest.raises(AccelscopeError, match="set_threshold_row"):
        cp.set_threshold_row(0, [1, 2])


def test_seed_distribution_shape():
    fw = build("distribution", CFG, bins=16)
    assert fw.num_chains == 4
    assert [c.filt_row for c in fw.chains] == [0, 1, 2, 3]
    assert all(c.commit_size == 4 and c.commit_cond == (2, 0) and c.alu_cond == (3, 0) for c in fw.chains)


# --------------------------------------------------------------------------
# encoding
# --------------------------------------------------------------------------

def test_fields_do_not_overlap():
    used = 0
    for lsb, width in FIELDS.values():
        bits = ((1 << width) - 1) << lsb
        assert not used & bits
        used |= bits
    assert used == (1 << RESERVED_LSB) - 1


@pytest.mark.parametrize("name", list(LIBRARY))
def test_library_round_trip(name):
    try:
        cfg = CFG
        fw = build(name, cfg)
    except AccelscopeError:  # programs for the VSRU_FIRST=1 pipeline
        cfg = LebugConfig(VSRU_FIRST=1)
        fw = build(name, cfg)
    assert decode_firmware(encode_firmware(fw, cfg), cfg).chains == fw.chains


def test_random_round_trip():
    for i in range(200):
        rng = np.random.default_rng(i)
        cfg = [CFG, LebugConfig(N=4, M=2, VSRU_FIRST=1)][i % 2]
        fw = random_firmware(cfg, rng)
        assert decode_firmware(encode_firmware(fw, cfg), cfg).chains == fw.chains


def test_known_encoding():
    # minicache chain 1: v_mc_load, vv_add(0), v_cache(0), v_mc_save
    word = encode_firmware(build("minicache", CFG), CFG)[1]
    assert word == (1 << 12) | (1 << 13) | (1 << 30) | (1 << 45)
    # distribution chain 2: filter row 2, m_reduce M, vv_add(2, notfirst), v_cache(2), commit M at last
    word = encode_firmware(build("distribution", CFG, bins=16), CFG)[2]
    want = 1 | (2 << 1) | (2 << 9) | (1 << 13) | (2 << 16) | (3 << 24) | (1 << 30) | (2 << 31) \
        | (1 << 46) | (1 << 47) | (2 << 49)
    assert word == want


@pytest.mark.parametrize("word,msg", [
    (1 << 60, "chain 0: reserved bits"),
    (5 << 13, "unknown alu_op code 5"),
    (3 << 9 | 1, "unknown m_reduce code 3"),
    (3 << 47 | 1 << 46, "unknown commit size code 3"),
    (7 << 24, "unknown condition code 7"),
    (1, "vv_filter and m_reduce must come together"),
    (1 << 30 | 9 << 31, "cache address 9 out of range"),
])
def test_decode_rejects(word, msg):
    with pytest.raises(AccelscopeError, match=msg):
        decode_firmware([word], CFG)


def test_decode_chain_count():
    with pytest.raises(AccelscopeError, match="MAX_CHAINS"):
        decode_firmware([0] * 9, CFG)
