"""The static memory planner (pymodel/top/memplan.py) and the plan of compiled networks."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from pymodel.errors import AccelscopeError
from pymodel.net.importers import load_onnx
from pymodel.systolic.config import SystolicConfig
from pymodel.top.config import TopConfig
from pymodel.top.memplan import HOST, Tensor, live_words, plan_scratchpad, plan_static
from pymodel.top.network import compile_model, default_calibration

CNN = "examples/digits_cnn.onnx"
MLP = "examples/digits_mlp.onnx"


def chain(sizes: list[int]) -> list[Tensor]:
    """The input (host) and one output per layer: tensor i is written by layer i-1, read by layer i."""
    return [Tensor(f"t{i}", "host" if i == 0 else f"layer {i - 1}", i - 1 if i else HOST, min(i, len(sizes) - 1),
                   w) for i, w in enumerate(sizes)]


def assert_disjoint_while_live(plan) -> None:
    ps = plan.placements
    for i, a in enumerate(ps):
        for b in ps[i + 1:]:
            if a.tensor.words and b.tensor.words and a.tensor.overlaps_in_time(b.tensor):
                assert a.end <= b.base or b.end <= a.base, (a, b)


def test_chain_ping_pongs():
    """A chain reuses memory: two regions alternate, and the extent equals the peak of live words."""
    ts = chain([10, 20, 10, 20, 10])
    plan = plan_scratchpad("sys_act", "ACT", ts, 1000, 8, "activations", [f"layer {i}" for i in range(4)])
    assert_disjoint_while_live(plan)
    assert plan.peak_words == 30 and plan.extent == 30
    bases = {p.tensor.name: p.base for p in plan.placements}
    assert bases["t0"] == bases["t2"] == bases["t4"] and bases["t1"] == bases["t3"]  # reuse happens
    assert sum(t.words for t in ts) > plan.extent


@pytest.mark.parametrize("seed", range(20))
def test_random_lifetimes_never_overlap_while_live(seed):
    rng = np.random.default_rng(seed)
    ts = []
    for i in range(int(rng.integers(2, 12))):
        p = int(rng.integers(-1, 8))
        ts.append(Tensor(f"t{i}", f"layer {p}", p, p + int(rng.integers(0, 5)), int(rng.integers(0, 200))))
    plan = plan_scratchpad("sys_act", "ACT", ts, 1 << 20, 8, "activations", [f"layer {i}" for i in range(16)])
    assert_disjoint_while_live(plan)
    steps = range(-1, 13)
    assert plan.peak_words == max(live_words(ts, s) for s in steps) <= plan.extent
    assert plan.extent == max((p.end for p in plan.placements), default=0)


def test_shortfall_names_the_layer_and_bytes():
    ts = chain([10, 20, 40, 5])
    names = ["layer 0 (Conv2d)", "layer 1 (MaxPool2d)", "layer 3 (Conv2d)"]
    with pytest.raises(AccelscopeError) as e:
        plan_scratchpad("sys_act", "ACT", ts, 50, 8, "activations", names)
    # peak: t1 + t2 = 60 words live while layer 1 writes t2
    assert str(e.value) == ("layer 1 (MaxPool2d): activations need 480 bytes of ACT at peak, ACT has 400: "
                            "80 bytes short")


def test_static_plan_and_its_shortfall():
    items = [("a.weight", "layer 0 (Conv2d)", 100), ("b.weight", "layer 4 (Linear)", 50)]
    plan = plan_static("sys_wgt", "WGT", items, 200, 8, "weights")
    assert [(p.base, p.end) for p in plan.placements] == [(0, 100), (100, 150)]
    with pytest.raises(AccelscopeError, match=re.escape(
            "layer 4 (Linear): weights need 1200 bytes of WGT in total, WGT has 960: 240 bytes short")):
        plan_static("sys_wgt", "WGT", items, 120, 8, "weights")


def test_examples_plan_in_the_manifest():
    """One bank, the pool on its own: the pooled output reuses the input's words (liveness)."""
    cfg = TopConfig.for_array(8)
    net = load_onnx(CNN)
    c = compile_model(net, default_calibration(net), cfg, 8, fuse_pool=False, banks=1)
    plan = c.bundle.plan
    act = plan["scratchpads"]["sys_act"]
    assert act["bytes"] == act["peak_bytes"] == 5120 and act["capacity_bytes"] == 16384 * 8
    tensors = {t["tensor"]: t for t in plan["tensors"] if t["memory"] == "sys_act"}
    assert set(tensors) == {"input", "layer 0 (Conv2d).out", "layer 2 (MaxPool2d).out"}
    assert tensors["input"]["producer"] == "host" and tensors["input"]["live"] == [-1, 0]
    # the pooled output reuses the input's words (the input is dead after layer 0)
    inp, pool = tensors["input"], tensors["layer 2 (MaxPool2d).out"]
    assert inp["base"] < pool["end"] and pool["base"] < inp["end"]
    for t in tensors.values():
        assert t["byte_base"] == 8 * t["base"] and t["byte_end"] == 8 * t["end"]
    assert plan["peak"] == {"memory": "sys_act", "bytes": 5120, "layer": "layer 2 (MaxPool2d)"}
    assert plan["scratchpads"]["sys_wgt"]["words"] == sum(
        t["words"] for t in plan["tensors"] if t["memory"] == "sys_wgt")


def test_two_banks_and_fused_pool_plan():
    """The default: the pool fused into the CONV (its pooled output is the only activation), two input
    banks live for the whole run (the next batch is written while one runs) and two logit regions."""
    net = load_onnx(CNN)
    c = compile_model(net, default_calibration(net), TopConfig.for_array(8), 8)
    plan = c.bundle.plan
    tensors = {t["tensor"]: t for t in plan["tensors"]}
    conv = "layer 0 (Conv2d).out"
    assert {t for t, v in tensors.items() if v["memory"] == "sys_act"} == {"input", "input.bank1", conv}
    for name in ("input", "input.bank1"):
        assert tensors[name]["live"] == [-1, 1] and tensors[name]["words"] == 8 * 8  # 8 images x 8 rows x 1 word
    assert tensors[conv]["producer"] == "layer 0 (Conv2d) + layer 2 (MaxPool2d)" and tensors[conv]["words"] == 8 * 16
    spans = sorted((tensors[n]["base"], tensors[n]["end"]) for n in ("input", "input.bank1", conv))
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))  # disjoint: all three live at once
    assert plan["scratchpads"]["sys_act"]["peak_bytes"] == (64 + 64 + 128) * 8
    assert [tensors[n]["words"] for n in ("logits", "logits.bank1")] == [8 * 2, 8 * 2]  # 8 rows x 2 n-tiles
    assert plan["scratchpads"]["sys_cmd"]["words"] == 4  # 2 descriptors a bank
    net_meta = c.bundle.extra["network"]
    assert net_meta["input"]["banks"] == [tensors["input"]["base"], tensors["input.bank1"]["base"]]
    assert net_meta["output"]["banks"] == [tensors["logits"]["base"], tensors["logits.bank1"]["base"]]
    assert net_meta["lists"] == [{"first": 0, "count": 2}, {"first": 2, "count": 2}]
    assert net_meta["layers"] == ["layer 0 (Conv2d) + layer 2 (MaxPool2d)", "layer 4 (Linear)"]


@pytest.mark.parametrize("field,msg", [
    ("ACT_DEPTH", "layer 0 (Conv2d) + layer 2 (MaxPool2d): activations need 2048 bytes of ACT at peak, ACT has 1024: "
                  "1024 bytes short"),
    ("WGT_DEPTH", "layer 4 (Linear): weights need 2176 bytes of WGT in total, WGT has 2048: 128 bytes short"),
    ("BQ_DEPTH", "layer 4 (Linear): biases need 96 bytes of BIAS in total, BIAS has 64: 32 bytes short"),
])
def test_network_that_does_not_fit(field, msg):
    small = {"ACT_DEPTH": 128, "WGT_DEPTH": 256, "BQ_DEPTH": 2}[field]
    cfg = TopConfig.for_array(8)
    cfg = TopConfig(SystolicConfig(**{**cfg.sys.params(), field: small}), cfg.lebug)
    net = load_onnx(CNN)
    with pytest.raises(AccelscopeError) as e:
        compile_model(net, default_calibration(net), cfg, 8, source="net.onnx")
    assert str(e.value) == f"net.onnx: {msg}"


def test_too_many_descriptors():
    cfg = TopConfig.for_array(8)
    cfg = TopConfig(SystolicConfig(**{**cfg.sys.params(), "CMD_DEPTH": 2}), cfg.lebug)
    net = load_onnx(CNN)
    with pytest.raises(AccelscopeError, match=re.escape(
            "net.onnx: layer 4 (Linear): the network needs 4 descriptors (2 a bank, 2 banks; 128 bytes of CMD), "
            "CMD has 64: 64 bytes short (compile with --banks 1)")):
        compile_model(net, default_calibration(net), cfg, 8, source="net.onnx")
    compile_model(net, default_calibration(net), cfg, 8, banks=1)  # one bank fits
    with pytest.raises(AccelscopeError, match=re.escape(
            "net.onnx: layer 4 (Linear): the network needs 3 descriptors (96 bytes of CMD), "
            "CMD has 64: 32 bytes short")):
        compile_model(net, default_calibration(net), cfg, 8, source="net.onnx", banks=1, fuse_pool=False)


def test_logits_that_do_not_fit_out():
    cfg = TopConfig.for_array(8)
    cfg = TopConfig(SystolicConfig(**{**cfg.sys.params(), "OUT_DEPTH": 4}), cfg.lebug)
    net = load_onnx(MLP)
    with pytest.raises(AccelscopeError, match=re.escape(
            "layer 2 (Linear): int32 logits need 1024 bytes of OUT in total, OUT has 128: 896 bytes short")):
        compile_model(net, default_calibration(net), cfg, 8)
