"""Scenarios, evaluation (model and RTL) and reports."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import tb.top.deploy as rg
from pymodel.deploy.evaluate import evaluate
from pymodel.deploy.gemm_calls import hist_edges, histogram
from pymodel.deploy.scenario import load_scenario
from pymodel.errors import AccelscopeError
from tb.cli import main
from tb.runner import sims_under_test
from tb.top.deploy import RtlGemm
from tb.top.evaluation import rtl_gemm_factory, rtl_stream, scenario_sims

EX = Path("examples")


@pytest.mark.parametrize("patch,msg", [
    ({"dataset": {"type": "mnist"}}, r"dataset\.type: 'mnist': not supported"),
    ({"model": {"path": "x.h5"}}, r"model\.path: 'x.h5': expected an .onnx or .json"),
    ({"quantization": {"mode": "int4"}}, r"quantization\.mode: 'int4' is not one of \['full_int8', 'hybrid'\]"),
    ({"simulator": "vcs"}, "simulator 'vcs': choose one of icarus, verilator, verilator-native, model"),
    ({"samples": 0}, "samples: 0 must be >= 1"),
    ({"hardware": {"array": 3}}, r"hardware\.array: 3 is not one of \[2, 4, 8, 16\]"),
    ({"extra": 1}, r"unknown keys \['extra'\]"),
])
def test_scenario_errors(tmp_path, patch, msg):
    doc = json.loads((EX / "digits_mlp_scenario.json").read_text())
    doc.update(patch)
    (tmp_path / "s.json").write_text(json.dumps(doc))
    with pytest.raises(AccelscopeError, match=msg):
        load_scenario(tmp_path / "s.json", scenario_sims())


@pytest.mark.parametrize("name", ["digits_mlp", "digits_cnn"])
@pytest.mark.parametrize("mode", ["full_int8", "hybrid"])
def test_model_eval_quantized_within_two_points(name, mode):
    sc = replace(load_scenario(EX / f"{name}_scenario.json", scenario_sims()), simulator="model", mode=mode)
    res = evaluate(sc, progress=False)
    acc = res["accuracy"]
    assert acc["float"] >= 0.95
    assert abs(acc["float"] - acc["integer"]) <= 0.02 and acc["integer"] == acc["fake_quant"]


@pytest.mark.parametrize("sim", sims_under_test(native=True))
@pytest.mark.parametrize("name,samples,mode", [("digits_mlp", 12, "full_int8"), ("digits_cnn", 3, "full_int8"),
                                               ("digits_mlp", 5, "hybrid")])
def test_rtl_eval_bit_exact(name, samples, mode, tmp_path, sim):
    """full_int8: the whole network on chip, streamed (the last batch padded with zero images, which the
    histograms count and the integer model's histogram includes); hybrid: one GEMM at a time, the host
    between layers. Either way bit-exact logits and the LeBug histograms equal numpy's."""
    sc = replace(load_scenario(EX / f"{name}_scenario.json", scenario_sims()), samples=samples, batch=samples,
                 simulator=sim, mode=mode)
    res = evaluate(sc, progress=False, rtl_gemm=rtl_gemm_factory, rtl_stream=rtl_stream)
    assert res["bit_exact"] is True and res["rtl_images"] == samples
    assert res["flow"] == ("on_chip" if mode == "full_int8" else "host_in_the_loop")
    ops = [lay.get("op", "GEMM") for lay in res["layers"]]
    # the CNN's MaxPool2d(2) is fused into its CONV on chip; the host-in-the-loop flow has no POOL step
    assert ops == (["CONV", "GEMM"] if name == "digits_cnn" else ["GEMM", "GEMM"])
    if name == "digits_cnn":
        assert res["layers"][0]["layer"] == "layer 0 (Conv2d) + layer 2 (MaxPool2d)"
    assert all(lay["hist_match"] and lay["tap_drops"] == 0 for lay in res["layers"]), \
        [(lay["layer"], lay["hist_hw"], lay["hist_model"]) for lay in res["layers"] if not lay["hist_match"]]
    assert sum(sum(row) for row in res["confusion"]) == samples
    (tmp_path / "r.json").write_text(json.dumps(res))
    assert main(["report", str(tmp_path / "r.json"), "--out", str(tmp_path / "rep")]) == 0
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "RTL logits equal the integer model's bit for bit: **True**" in md
    pngs = sorted(p.name for p in (tmp_path / "rep" / "img").glob("*.png"))
    assert pngs == ["confusion.png", *[f"hist_{i}.png" for i in range(len(res["layers"]))], "layers.png"]
    assert all((tmp_path / "rep" / "img" / p).stat().st_size > 5000 for p in pngs)


def test_rtl_gemm_refuses_wrong_results(monkeypatch):
    """The RTL GEMM compares with gemm_int: a corrupted hardware result is an error."""
    real = rg.replay

    def corrupt(*a, **k):
        hw = real(*a, **k)
        hw.mems["out"][0, 0] += 1
        return hw

    monkeypatch.setattr(rg, "replay", corrupt)
    rng = np.random.default_rng(0)
    a = rng.integers(-128, 128, (3, 5)).astype(np.int8)
    b = rng.integers(-128, 128, (5, 4)).astype(np.int8)
    with pytest.raises(AccelscopeError, match=r"differs from gemm_int at \(0, 0\)"):
        RtlGemm()(a, b, np.zeros(4, np.int32), False, False, np.zeros(4, np.int64), np.zeros(4, np.int64))


def test_histogram_edges():
    e = hist_edges(np.array([-3, 50]), False)
    assert len(e) == 17 and np.all(np.diff(e) > 0) and e[0] < -3 and e[-1] >= 50
    assert histogram(np.arange(-128, 128), hist_edges(np.zeros(1), True)).sum() == 256


def test_report_rejects_non_results(tmp_path, capsys):
    (tmp_path / "x.json").write_text("{}")
    assert main(["report", str(tmp_path / "x.json")]) == 2
    assert "missing 'accuracy'" in capsys.readouterr().err
