"""A compiled network streamed through one programmed chip (tb/top/stream.py,
pymodel/top/stream.py): `compile` (no input) -> `inputs` -> `replay --inputs` -> `eval BUNDLE`
-> `report`, on every simulator, logits equal to the integer model's on 120 digits test
images; the per-layer LeBug histograms of the single run; the cycle accounting; bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from pymodel.bundle import load_bundle
from pymodel.compare import first_mismatch
from pymodel.errors import AccelscopeError
from pymodel.net import digits
from pymodel.net.importers import load_onnx
from pymodel.top.config import TopConfig
from pymodel.top.network import (
    compile_model,
    default_calibration,
    input_batches,
    integer_logits,
    network_efficiency,
    run_on_model,
    start_records,
)
from pymodel.top.stream import layer_histograms, stream_expected
from pymodel.top.taprate import tap_rate
from tb.cli import main
from tb.runner import run_job, sims_under_test
from tb.top import stream as st
from tb.top.jobs import BLOCK
from tb.top.stream import run_stream, stream_job
from tests.test_network_compile import onnx_cnn

EX = Path("examples").resolve()
IMAGES = 120  # >= 100 digits test images, 15 batches of 8


def assert_same(what: str, expected: np.ndarray, actual: np.ndarray) -> None:
    msg = first_mismatch(np.asarray(expected), np.asarray(actual))
    assert msg is None, f"{what}: {msg}"


def _rtl_sims() -> list[str]:
    return sims_under_test(native=True)


def _model(tmp_path: Path, model: str) -> Path:
    return EX / model if model.endswith(".onnx") else onnx_cnn(tmp_path / "cnn.onnx")


@pytest.fixture(scope="module")
def cnn_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    b = tmp_path_factory.mktemp("stream") / "b"
    assert main(["compile", str(EX / "digits_cnn.onnx"), "--out", str(b)]) == 0
    return b


# ------------------------------------------------------------------------------------ the model


def test_stream_model_equals_batch_by_batch(cnn_bundle: Path) -> None:
    """The streamed model's logits equal each batch run alone through the top-level model, and its
    LeBug trace rows are the single-batch runs' rows one after the other (the distribution firmware
    restarts at every eof), 2 rows a layer a batch."""
    bundle = load_bundle(cnn_bundle)

    batches = input_batches(bundle, digits.inputs("cnn")[:20])  # 3 batches, the last with 4 images
    exp = stream_expected(bundle, batches)
    rows = []
    for i, b in enumerate(batches):
        logits, one = run_on_model(bundle, b)
        assert_same(f"batch {i} logits", logits, exp.logits[i])
        rows.append(one.lebug.rows)
    assert_same("trace rows of the run", np.concatenate(rows), exp.lebug.rows)
    assert exp.rows_after == [4, 8, 12]  # 2 layers: the conv with its fused pool, the linear
    h = layer_histograms(exp, exp.lebug.rows, 16)
    assert h["rows_per_frame"] == 2 and list(h["layers"]) == exp.layers
    # every int8 value lands in one bin of (-129, 127]: an int8 layer's counts add up to its stream
    # lanes over the 3 batches; the int32 logits beyond 127 fall outside every bin
    K = exp.cfg.sys.K
    lanes = [3 * c.rows * K for c in exp.runs[0].per_desc]
    counts = [sum(v) for v in h["layers"].values()]
    assert counts[0] == lanes[0] and counts[1] < lanes[1], (counts, lanes)
    with pytest.raises(Exception, match="do not split"):
        layer_histograms(exp, exp.lebug.rows[:-1], 16)


def test_stream_job_rounds_and_banks(cnn_bundle: Path) -> None:
    """The overlapped job's rounds (written here from the streaming order, not from stream_job): the
    program alone; batch 0's input, batch 0's start, batch 1's input; then per round a start, the next
    input and the logits before; a last round of reads. Batches that do not alternate between the
    banks cannot overlap: by default they run one after the other, asked to overlap they are an error."""
    bundle = load_bundle(cnn_bundle)
    batches = input_batches(bundle, digits.inputs("cnn")[:24])  # 3 batches, banks 0, 1, 0
    assert [b.base for b in batches] == [bundle.extra["network"]["input"]["banks"][i % 2] for i in range(3)]
    sj = stream_job(bundle, batches)
    n_in, n_st, n_lg = 128, 2, 80
    assert sj.overlap and sj.job.overlap and sj.job.start is None
    assert list(sj.job.rounds) == [(sj.n_program, 0), (n_in + n_st + n_in, 0), (n_st + n_in, n_lg), (n_st, n_lg),
                                   (0, n_lg)]
    w = list(sj.job.writes)
    assert w[sj.n_program + n_in:sj.n_program + n_in + n_st] == start_records(bundle, batches[0])
    assert [blk[:2] for blk in sj.reads] == [(0, 0), (1, n_lg), (2, 2 * n_lg)]  # batch, first read
    same = [batches[0], batches[2]]  # both bank 0
    assert not stream_job(bundle, same).overlap
    with pytest.raises(Exception, match="must alternate between the bundle's two input banks"):
        stream_job(bundle, same, overlap=True)


# ------------------------------------------------------------------------------------ the RTL


# 120 images through the chip: on Verilator (Icarus streams in test_slow_tap_eval_runs_one_batch_at_a_time
# and test_stream_progress; ACCELSCOPE_FULL_MATRIX=1: here too)
@pytest.mark.parametrize("sim", [s for s in _rtl_sims() if s != "icarus" or os.environ.get("ACCELSCOPE_FULL_MATRIX")])
@pytest.mark.parametrize("model", ["digits_cnn.onnx", "helper_cnn"])
def test_stream_on_rtl(tmp_path: Path, capsys: pytest.CaptureFixture[str], sim: str, model: str) -> None:
    """compile -> inputs (120 images) -> replay --inputs -> eval BUNDLE -> report: the logits of both
    runs equal the integer model's, the RTL's per-layer histograms the emulator's, the cycle figures
    the model's closed form where it has one; the report shows the memory plan and the histograms."""
    path = _model(tmp_path, model)
    b, i = tmp_path / "b", tmp_path / "in"
    x = digits.inputs("cnn")[:IMAGES]
    np.save(tmp_path / "x.npy", x)
    assert main(["compile", str(path), "--out", str(b)]) == 0
    assert main(["inputs", str(b), "--input", str(tmp_path / "x.npy"), "--out", str(i)]) == 0
    net = load_onnx(path)
    c = compile_model(net, default_calibration(net), TopConfig.for_array(8), 8)
    want = integer_logits(c.qnet, x)
    capsys.readouterr()

    assert main(["replay", str(b), "--inputs", str(i), "--sim", sim]) == 0
    rep = json.loads((b / "results.json").read_text())
    assert_same(f"replay --inputs, {model} on {sim}", want, np.array(rep["logits"]))
    assert rep["histograms"]["rtl"] == rep["histograms"]["model"]

    assert main(["eval", str(b), "--sim", sim, "--samples", str(IMAGES), "--out", str(tmp_path / "ev.json")]) == 0
    out = capsys.readouterr().out
    ev = json.loads((tmp_path / "ev.json").read_text())
    assert_same(f"eval BUNDLE, {model} on {sim}", want, np.array(ev["logits"]))
    labels = digits.load().y_test[:IMAGES]
    assert ev["accuracy"] == float(np.mean(c.qnet.run(x).argmax(1) == labels))  # the host dequantizes
    assert ev["images"] == IMAGES and ev["batches"] == 15 and ev["histograms"]["match"]
    assert "logits bit-exact with the model" in out
    cyc = ev["cycles"]
    assert cyc["apb_words"]["input_per_batch"] == 128 and cyc["apb_words"]["logits_per_batch"] == 80
    assert cyc["apb_words"]["start_per_batch"] == 2 and cyc["overlap"]  # NUM_DESC (the bank's list), CTRL.start
    # overlapped: round 1 writes batches 0 and 1, rounds 2..14 start one batch, write the next and read the one
    # before while it runs (every one the same cycles), round 15 reads batch 13, the last round batch 14
    assert len(cyc["rounds"]) == 16 and all(r == cyc["rounds"][1] for r in cyc["rounds"][1:-2]), cyc["rounds"]
    assert cyc["inference"] >= 15 * c.cost().cycles  # the accelerator's cycles bound the stream
    assert rep["cycles"]["rounds"] == cyc["rounds"]
    # shape-limited cycles (written here from the layer shapes): CNN conv 64 pixels x 2 k-tiles x 1 n-tile
    # and linear 1 x 16 x 2 an image; the helper CNN conv 16 pixels x 2 x 2 and linear 1 x 8 x 2
    want_min = 8 * ((64 * 2 + 16 * 2) if model.endswith(".onnx") else (16 * 2 * 2 + 8 * 2))
    assert ev["cost"]["min_cycles"] == want_min
    assert ev["efficiency"] == want_min * 15 / cyc["inference"]
    # the on-chip efficiency target (0.85), on deterministic cycle counts (equal on every simulator)
    if model.endswith(".onnx"):
        assert ev["efficiency"] >= 0.85, ev["efficiency"]

    assert main(["report", str(tmp_path / "ev.json"), "--out", str(tmp_path / "rep")]) == 0
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "## Memory plan" in md and "| `sys_act` |" in md and "| input | `sys_act` | host |" in md
    for name in ev["layers"]:
        assert f"### {name}: equal" in md
        assert (tmp_path / "rep" / "img" / f"hist_{ev['layers'].index(name)}.png").stat().st_size > 0


def test_stream_backdoor_program(tmp_path: Path, capsys: pytest.CaptureFixture[str], cnn_bundle: Path) -> None:
    """Programmed by backdoor ($readmemh of the scratchpads and descriptors, LeBug and registers over
    APB), then the same batches over APB: the same logits, histograms and per-batch cycles as the APB
    replay; only the program's cycles differ."""
    np.save(tmp_path / "x.npy", digits.inputs("cnn")[:24])
    assert main(["inputs", str(cnn_bundle), "--input", str(tmp_path / "x.npy"), "--out", str(tmp_path / "in")]) == 0
    res = {}
    for mode in ("apb", "backdoor"):
        assert main(["replay", str(cnn_bundle), "--inputs", str(tmp_path / "in"), "--mode", mode,
                     "--sim", "verilator-native"]) == 0
        res[mode] = json.loads((cnn_bundle / "results.json").read_text())
    capsys.readouterr()
    a, b = res["apb"], res["backdoor"]
    assert a["logits"] == b["logits"] and a["histograms"] == b["histograms"] and b["mode"] == "backdoor"
    assert a["cycles"]["rounds"] == b["cycles"]["rounds"]
    assert b["cycles"]["program"] < a["cycles"]["program"]


def test_stream_one_bank_not_overlapped(tmp_path: Path, capsys: pytest.CaptureFixture[str], cnn_bundle: Path) -> None:
    """`compile --banks 1 --no-fuse-pool`: one input region, batch after batch (input, start, run until
    the tap and LeBug are idle, reads); the same logits and per-layer histograms as the model, and more
    cycles than the overlapped two-bank run of the same images."""
    b = tmp_path / "b1"
    assert main(["compile", str(EX / "digits_cnn.onnx"), "--out", str(b), "--banks", "1", "--no-fuse-pool"]) == 0
    res = {}
    for name, bundle in (("one", b), ("two", cnn_bundle)):
        assert main(["eval", str(bundle), "--sim", "verilator-native", "--samples", "40",
                     "--out", str(tmp_path / f"{name}.json")]) == 0
        res[name] = json.loads((tmp_path / f"{name}.json").read_text())
    capsys.readouterr()
    one, two = res["one"], res["two"]
    assert one["logits"] == two["logits"] and one["histograms"]["match"] and two["histograms"]["match"]
    assert not one["cycles"]["overlap"] and two["cycles"]["overlap"]
    assert len(one["layers"]) == 3 and len(two["layers"]) == 2  # CONV, POOL, GEMM vs CONV+pool, GEMM
    rounds = one["cycles"]["rounds"]
    assert len(rounds) == 5 and all(r == rounds[1] for r in rounds[1:])
    assert two["cycles"]["inference"] < one["cycles"]["inference"]


@pytest.mark.parametrize("options", [(), ("--logits", "int8", "--batch", "24")])
def test_stream_mlp_native(tmp_path: Path, options: tuple[str, ...]) -> None:
    """The digits MLP (two GEMMs, features layout) streamed on verilator-native: every digits test
    image, logits equal to the integer model's. With int8 logits (4 a 32-bit read) in batches of
    24 (15 of them, no padding) the host's APB traffic (16 input words, 3 logit reads an image)
    about fits in the array's time, and the network efficiency reaches the on-chip target of 0.85
    (deterministic cycle counts)."""
    b = tmp_path / "b"
    assert main(["compile", str(EX / "digits_mlp.onnx"), "--out", str(b), *options]) == 0
    assert main(["eval", str(b), "--sim", "verilator-native", "--out", str(tmp_path / "ev.json")]) == 0
    ev = json.loads((tmp_path / "ev.json").read_text())
    net = load_onnx(EX / "digits_mlp.onnx")
    int8 = "int8" in options
    c = compile_model(net, default_calibration(net), TopConfig.for_array(8), 8, logits="int8" if int8 else "int32")
    x = digits.inputs("mlp")
    assert_same("MLP stream", integer_logits(c.qnet, x), np.array(ev["logits"]))
    assert ev["images"] == len(x) and ev["histograms"]["match"]
    assert ev["accuracy"] == float(np.mean(c.qnet.run(x).argmax(1) == digits.load().y_test))
    B = 24 if int8 else 8
    w = ev["cycles"]["apb_words"]
    assert ev["batch"] == B and w["input_per_batch"] == 16 * B and w["logits_per_batch"] == (3 if int8 else 10) * B
    # shape-limited cycles, from the layer shapes: 64 -> 32 (8 k-tiles x 4 n-tiles), 32 -> 10 (4 x 2)
    assert ev["cost"]["min_cycles"] == B * (8 * 4 + 4 * 2)
    if int8:  # the network efficiency counts the input and logit traffic, not eval's debug read-back

        bundle = load_bundle(b)
        batches = input_batches(bundle, x)
        r = run_stream(bundle, batches, "verilator-native", debug=False)
        assert_same("MLP stream, logits only", integer_logits(c.qnet, x), r.logits)
        eff = 40 * len(x) / r.cycles["inference"]  # 40 shape-limited cycles an image (above)
        assert eff == network_efficiency(bundle, len(x), r.cycles["inference"])
        print(f"int8 logits, batches of 24: efficiency {eff:.3f} (with the debug read-back {ev['efficiency']:.3f})")
        assert eff >= 0.85 and ev["efficiency"] < eff, (eff, ev["efficiency"])


# ------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize("argv,msg", [
    (["eval", "{b}", "--labels", "{y}"], "--labels: give --input too"),
    (["eval", "{b}", "--input", "{x}", "--labels", "{y}"], "--labels {y}: expected 5 integer labels"),
    (["eval", "{b}", "--sim", "nosuch"], "--sim 'nosuch': choose one of"),
    (["eval", "{b}", "--samples", "0"], "--samples 0: must be >= 1"),
    (["replay", "{b}", "--inputs", "{b}/nowhere"], "--inputs {b}/nowhere: no such directory"),
    (["replay", "{b}", "--inputs", "{b}"], "no batch_NNN directory"),
    (["replay", "{b}", "--inputs", "{other}", "--sim", "verilator-native"], "compiled for another bundle"),
    (["replay", "{b}", "--inputs", "{mine}", "--waves"], "--inputs: no --waves for a stream"),
    (["replay", "{b}", "--sim", "verilator-native"], "a whole-network bundle without input: give --inputs DIR"),
])
def test_stream_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                           cnn_bundle: Path, argv: list[str], msg: str) -> None:
    """One `accelscope: error:` line, exit 2, nothing written (no results.json in the bundle or here)."""
    monkeypatch.chdir(tmp_path)
    np.save(tmp_path / "x.npy", digits.inputs("cnn")[:5])
    np.save(tmp_path / "y.npy", np.arange(4))
    mine, other = tmp_path / "mine", tmp_path / "other"
    assert main(["inputs", str(cnn_bundle), "--input", str(tmp_path / "x.npy"), "--out", str(mine)]) == 0
    assert main(["compile", str(EX / "digits_cnn.onnx"), "--out", str(tmp_path / "b2"), "--batch", "4"]) == 0
    assert main(["inputs", str(tmp_path / "b2"), "--input", str(tmp_path / "x.npy"), "--out", str(other)]) == 0
    capsys.readouterr()
    f = {"b": str(cnn_bundle), "x": str(tmp_path / "x.npy"), "y": str(tmp_path / "y.npy"), "mine": str(mine),
         "other": str(other)}
    before = sorted(p.name for p in cnn_bundle.iterdir())
    assert main([a.format(**f) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("accelscope: error: ") and err.count("\n") == 1 and msg.format(**f) in err, err
    assert sorted(p.name for p in cnn_bundle.iterdir()) == before
    assert not (tmp_path / "results.json").exists()


def test_stream_model_lebug_m8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A LeBug build with 8 bins a chain (M=8, FU_ROWS=4: 33 thresholds): the 17 int8 edges are
    padded with empty bins, the distribution firmware takes 2 chains, and the model's stream gives
    the same per-layer histograms as the default M=4 build (4 chains)."""
    hists = {}
    for m in (4, 8):
        b = tmp_path / f"b{m}"
        assert main(["compile", str(EX / "digits_cnn.onnx"), "--out", str(b), "--lebug-config", f"N=8,M={m}"]) == 0
        assert main(["eval", str(b), "--sim", "model", "--samples", "24", "--out", str(tmp_path / f"{m}.json")]) == 0
        res = json.loads((tmp_path / f"{m}.json").read_text())
        hists[m] = res["histograms"]["model"]
        thr = load_bundle(b).images["lebug_thresh"].ravel()
        assert len(thr) == 4 * m + 1 and (m == 4 or (thr[17:] == thr[16]).all())
    capsys.readouterr()
    assert hists[4] == hists[8]


@pytest.mark.parametrize("sim", ["verilator-native", "icarus-plain"])
def test_stream_progress(cnn_bundle: Path, sim: str) -> None:
    """run_job reports the rounds done while a stream runs (the job engine's JOB_ROUND lines),
    ending at the number of rounds: what the eval/replay progress bar shows."""
    bundle = load_bundle(cnn_bundle)
    batches = input_batches(bundle, digits.inputs("cnn")[:24])
    seen: list[int] = []
    cfg = TopConfig.from_hardware(bundle.hardware)
    run_job(BLOCK, cfg.params(), cfg.tag(), stream_job(bundle, batches).job, sim, progress=seen.append)
    assert seen and seen[-1] == len(batches) + 2 == 5 and seen == sorted(seen), seen  # the program, 3 batches, the end


# ------------------------------------------------------------------ a tap slower than the array

K4_EVAL_LEBUG = "N=2,M=2,DATA_W=16,FU_ROWS=8,MAX_CHAINS=8"  # eval_config(4): 2 lanes, 16 bins in 8 chains


@pytest.fixture(scope="module")
def k4_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The digits MLP on a 4x4 array with the K=4 evaluation build: 16 LeBug cycles a row (2 vectors x
    8 chains), 1,408 a batch against the array's 1,250: LeBug cannot keep up with overlapped batches."""
    b = tmp_path_factory.mktemp("k4") / "b"
    assert main(["compile", str(EX / "digits_mlp.onnx"), "--array", "4", "--lebug-config", K4_EVAL_LEBUG,
                 "--out", str(b)]) == 0
    return b


# the K=4 evaluation build is this test's alone on Verilator (two top builds): CI runs those after
# make test (make ci-checks); Icarus here
@pytest.mark.parametrize("sim", [pytest.param(s, marks=pytest.mark.ci) if s != "icarus" else s for s in _rtl_sims()])
def test_slow_tap_eval_runs_one_batch_at_a_time(k4_bundle: Path, sim: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """`eval` reads the tap rate and streams such a bundle one batch at a time, bit-exact on every
    simulator (the trace rows of each batch are final when read)."""
    rate = tap_rate(load_bundle(k4_bundle))
    assert (rate.stream_rows, rate.cycles_per_row, rate.lebug_cycles, rate.array_cycles) == (88, 16, 1408, 1250)
    assert not rate.keeps_up and rate.one_at_a_time_ok
    assert main(["eval", str(k4_bundle), "--sim", sim, "--samples", "16", "--out", str(tmp_path / "ev.json")]) == 0
    out = capsys.readouterr().out
    assert "LeBug is slower than the array: batches run one at a time" in out and "(this run: one batch" in out
    res = json.loads((tmp_path / "ev.json").read_text())
    assert res["bit_exact"] and res["histograms"]["match"] and res["cycles"]["overlap"] is False


def test_slow_tap_overlapped_polls_lebug_rows(k4_bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Forced to overlap, the same stream stays exact because each round polls LeBug's ROWS before
    reading a batch's trace rows; the stream's race shows as soon as the poll is taken out."""
    bundle = load_bundle(k4_bundle)
    batches = input_batches(bundle, digits.inputs("mlp")[:48])
    r = st.run_stream(bundle, batches, "verilator-native", overlap=True)
    assert r.cycles["overlap"] and r.per_batch and r.intake is not None and r.intake.drops == 0
    assert r.tap_max_fill == r.intake.maxfill > 0
    real_job = st.Job

    def no_polls(*a: object, **kw: object) -> object:
        kw.pop("polls", None)
        return real_job(*a, **kw)  # type: ignore[arg-type]  # a stand-in passing Job's arguments through

    monkeypatch.setattr(st, "Job", no_polls)
    with pytest.raises(AccelscopeError, match=r"LeBug ROWS poll returned|LeBug trace rows"):
        st.run_stream(bundle, batches, "verilator-native", overlap=True)
