"""Bad input: every malformed input gives one line `accelscope: error: ...` on stderr naming the
file (and line or key), exit 2, no traceback, and nothing half-written."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from pymodel import fileio
from pymodel.deploy import plots
from pymodel.net.importers import export_onnx, load_json, save_json
from pymodel.net.layers import BatchNorm2d, Linear, Network, ReLU
from pymodel.schemas import SCENARIO_SCHEMA, dump, validate
from tb.cli import main

EX = Path("examples").resolve()
MLP = str(EX / "digits_mlp.json")


@pytest.fixture(scope="module")
def good_bundle(tmp_path_factory):
    d = tmp_path_factory.mktemp("good")
    x = np.random.default_rng(1).random((4, 64)).astype(np.float32) * 16
    np.save(d / "x.npy", x)
    assert main(["compile", MLP, "--out", str(d / "b"), "--input", str(d / "x.npy")]) == 0
    return d / "b"


def bundle(d: Path, good: Path) -> Path:
    shutil.copytree(good, d / "b")
    return d / "b"


def edit_manifest(b: Path, fn) -> None:
    meta = json.loads((b / "manifest.json").read_text())
    fn(meta)
    (b / "manifest.json").write_text(json.dumps(meta))


def scenario(d: Path, **patch) -> Path:
    doc = json.loads((EX / "digits_mlp_scenario.json").read_text())
    doc["model"]["path"] = str(EX / "digits_mlp.onnx")
    doc["simulator"] = "model"
    doc.update(patch)
    (d / "s.json").write_text(json.dumps(doc))
    return d / "s.json"


def npy(d: Path, name: str, arr) -> str:
    np.save(d / name, np.asarray(arr))
    return str(d / name)


def lebug(d: Path, x, *extra: str) -> list[str]:
    return ["lebug", "distribution", "--input", npy(d, "x.npy", x), "--out", str(d / "o.npy"), *extra]


def onnx_model(d: Path, layers, shape) -> str:
    return str(export_onnx(Network(tuple(layers), shape), d / "m.onnx"))


RNG = np.random.default_rng(0)


def lin(o: int, i: int) -> Linear:
    return Linear(RNG.normal(size=(o, i)).astype(np.float32), np.zeros(o, np.float32))


# --------------------------------------------------------------------------------------------
# case: (id, setup(tmp_path, good_bundle) -> argv, regex the single error line must match)
# --------------------------------------------------------------------------------------------

def _map5(d, g):
    b = bundle(d, g)
    edit_manifest(b, lambda m: m.update(map=[5] + m["map"]))
    return ["prog", "--check", str(b)]


def _not_utf8(d, g):
    b = bundle(d, g)
    (b / "manifest.json").write_bytes(b"{\xff\xfe}")
    return ["prog", "--check", str(b)]


def _manifest_dir(d, g):
    b = bundle(d, g)
    (b / "manifest.json").unlink()
    (b / "manifest.json").mkdir()
    return ["prog", "--check", str(b)]


def _prog_d_dir(check: bool):
    def setup(d, g):
        b = bundle(d, g)
        (b / "prog" / "0PROG_D").unlink()
        (b / "prog" / "0PROG_D").mkdir()
        return ["prog", *(["--check"] if check else []), str(b)]
    return setup


def _hardware(hw):
    def setup(d, g):
        b = bundle(d, g)
        edit_manifest(b, lambda m: m.update(hardware=hw(m["hardware"])))
        return ["prog", "--check", str(b)]
    return setup


def _edit(fn):
    def setup(d, g):
        b = bundle(d, g)
        edit_manifest(b, fn)
        return ["prog", "--check", str(b)]
    return setup


def _dup_memory(d, g):
    b = bundle(d, g)
    edit_manifest(b, lambda m: m["memories"].append(dict(m["memories"][0])))
    return ["prog", str(b)]


def _empty_file_name(d, g):
    b = bundle(d, g)
    edit_manifest(b, lambda m: m["memories"][0].update(file=""))
    return ["prog", "--check", str(b)]


def _short_hex_word(d, g):
    b = bundle(d, g)
    meta = json.loads((b / "manifest.json").read_text())
    f = b / meta["memories"][0]["file"]
    lines = f.read_text().splitlines()
    lines[1] = "7"
    f.write_text("\n".join(lines) + "\n")
    return ["prog", "--check", str(b)]


def _prog_past_depth(d, g):
    b = bundle(d, g)
    meta = json.loads((b / "manifest.json").read_text())
    m = meta["memories"][0]
    pa = b / "prog" / "0PROG_A"
    lines = pa.read_text().splitlines()
    lines[0] = f"{m['base'] + m['depth'] * m['stride']:08x}"  # first word past the image
    pa.write_text("\n".join(lines) + "\n")
    edit_manifest(b, lambda m: m["sha256"].pop("prog/0PROG_A"))  # else its checksum catches it first
    return ["prog", "--check", str(b)]


def _empty_npy(d, g):
    (d / "x.npy").write_bytes(b"")
    return ["lebug", "distribution", "--input", str(d / "x.npy"), "--out", str(d / "o.npy")]


def _npz_as_npy(d, g):
    with open(d / "x.npy", "wb") as f:
        np.savez(f, a=np.zeros((3, 8)))
    return ["lebug", "distribution", "--input", str(d / "x.npy"), "--out", str(d / "o.npy")]


def _lebug_out_missing_dir(d, g):
    return ["lebug", "distribution", "--input", npy(d, "x.npy", np.zeros((3, 8), np.int64)),
            "--out", str(d / "nonexistent" / "x.npy")]


def _eval_out_missing_dir(d, g):
    return ["eval", str(scenario(d)), "--out", str(d / "nonexistent" / "r.json")]


def _scenario(**patch):
    return lambda d, g: ["eval", str(scenario(d, **patch)), "--out", str(d / "r.json")]


def _scenario_dir(d, g):
    (d / "s.json").mkdir()
    return ["eval", str(d / "s.json"), "--out", str(d / "r.json")]


def _eval_samples(n):
    return lambda d, g: ["eval", str(scenario(d, simulator="icarus")), "--samples", str(n),
                         "--out", str(d / "r.json")]


def _compile_batch(n):
    return lambda d, g: ["compile", MLP, "--batch", str(n), "--out", str(d / "c")]


def _compile_torch(d, g):
    (d / "m.pt").write_bytes(b"\x80\x04 serialized objects, never read")
    return ["compile", str(d / "m.pt"), "--out", str(d / "c")]


def _compile_no_calib(d, g):
    return ["compile", onnx_model(d, [lin(16, 32), ReLU(), lin(10, 16)], (32,)), "--out", str(d / "c")]


def _onnx_eval(layers, shape):
    def setup(d, g):
        return ["eval", str(scenario(d, model={"path": onnx_model(d, layers, shape)})), "--out", str(d / "r.json")]
    return setup


def _bn_after_relu(d, g):
    net = load_json(MLP)
    l0 = net.layers[0]
    n = l0.weight.shape[0]

    bn = BatchNorm2d(np.ones(n, np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32),
                     np.ones(n, np.float32))
    # Network validation happens on load; build the list directly and save it
    net2 = Network.__new__(Network)
    object.__setattr__(net2, "layers", (l0, ReLU(), bn, *net.layers[2:]))
    object.__setattr__(net2, "input_shape", net.input_shape)
    save_json(net2, d / "bn.json")
    return ["compile", str(d / "bn.json"), "--out", str(d / "c")]


CASES = [
    ("manifest-map-not-object", _map5, r"manifest\.json map\[0\]: expected a JSON object"),
    ("manifest-not-utf8", _not_utf8, r"manifest\.json: not UTF-8"),
    ("manifest-is-dir", _manifest_dir, r"manifest\.json: is a directory"),
    ("prog-check-0PROG_D-is-dir", _prog_d_dir(True), r"prog/0PROG_D: is a directory"),
    ("prog-0PROG_D-is-dir", _prog_d_dir(False), r"prog/0PROG_D: is a directory"),
    ("hardware-empty", _hardware(lambda h: {}), r"manifest\.json hardware: missing field 'systolic'"),
    ("hardware-tap-depth-1", _hardware(lambda h: {**h, "tap_depth": 1}),
     r"manifest\.json hardware\.tap_depth: 1 must be >= 2"),
    ("hardware-unknown-key", _hardware(lambda h: {**h, "clock": 1}),
     r"manifest\.json hardware: unknown keys \['clock'\]"),
    ("hardware-lebug-data-w", _hardware(lambda h: {**h, "lebug": {**h["lebug"], "DATA_W": 40}}),
     r"manifest\.json: hardware: LeBug config: DATA_W=40 must be in 8\.\.32"),
    ("hardware-systolic-string", _hardware(lambda h: {**h, "systolic": {**h["systolic"], "K": "8"}}),
     r"manifest\.json hardware\.systolic\.K: expected an integer, got '8'"),
    ("register-value-33-bits", _edit(lambda m: m["registers"][0].update(value=1 << 32)),
     r"manifest\.json registers\[0\]\.value: 4294967296 must be <= 4294967295"),
    ("memories-overlap", _edit(lambda m: m["memories"][1].update(base=m["memories"][0]["base"])),
     r"manifest\.json: memories \w+ and \w+ overlap"),
    ("network-unknown-key", _edit(lambda m: m["network"].update(colour=1)),
     r"manifest\.json network: unknown keys \['colour'\]"),
    ("memory-listed-twice", _dup_memory, r"manifest\.json: memory \w+ is listed twice"),
    ("memory-empty-file-name", _empty_file_name, r"manifest\.json memories\[0\]\.file: '': must be a plain name"),
    ("hex-word-too-short", _short_hex_word, r"\w+\.hex:2: bad hex word '7' \(expected exactly \d+ hex digits\)"),
    ("prog-address-past-depth", _prog_past_depth, r"prog/0PROG_A:1: address 0x[0-9a-f]+ is out of range"),
    ("npy-empty", _empty_npy, r"--input: .*x\.npy: empty file"),
    ("npz-named-npy", _npz_as_npy, r"--input: .*x\.npy: an \.npz archive"),
    ("lebug-out-no-dir", _lebug_out_missing_dir, r"--out .*nonexistent/x\.npy: directory .* does not exist"),
    ("eval-out-no-dir", _eval_out_missing_dir, r"--out .*nonexistent/r\.json: directory .* does not exist"),
    ("scenario-quantization-string", _scenario(quantization="mode"),
     r"s\.json quantization: expected a JSON object, got '(mode|hybrid)'"),
    ("scenario-quantization-hybrid-string", _scenario(quantization="hybrid"),
     r"s\.json quantization: expected a JSON object, got '(mode|hybrid)'"),
    ("scenario-hardware-int", _scenario(hardware=4), r"s\.json hardware: expected a JSON object, got 4"),
    ("scenario-hardware-unknown-key", _scenario(hardware={"array": 8, "clock": 100}),
     r"s\.json hardware: unknown keys \['clock'\]"),
    ("scenario-is-dir", _scenario_dir, r"s\.json: is a directory without manifest\.json"),
    ("eval-samples-0", _eval_samples(0), r"--samples 0: must be >= 1"),
    ("eval-samples-neg", _eval_samples(-1), r"--samples -1: must be >= 1"),
    ("compile-batch-0", _compile_batch(0), r"--batch 0: must be >= 1"),
    ("compile-batch-neg", _compile_batch(-1), r"--batch -1: must be >= 1"),
    ("compile-torch-file", _compile_torch,
     r"m\.pt: a torch file holds serialized Python objects, which accelscope never loads"),
    ("compile-no-calibration", _compile_no_calib, r"m\.onnx: input shape \(32,\) is not the digits'.*--calib"),
    ("onnx-12-outputs", _onnx_eval([lin(16, 64), ReLU(), lin(12, 16)], (64,)), r"m\.onnx: output shape \(12,\)"),
    ("onnx-input-not-64", _onnx_eval([lin(16, 32), ReLU(), lin(10, 16)], (32,)), r"m\.onnx: input shape \(32,\)"),
    ("bn-after-relu", _bn_after_relu, r"bn\.json: layer 2 \(BatchNorm2d\): cannot fold"),
    ("lebug-1e30", lambda d, g: lebug(d, np.full((3, 8), 1e30), "--config", "FRAC_W=16"),
     r"--input .*x\.npy: value 1e\+30 does not fit DATA_W=32 with FRAC_W=16"),
    ("lebug-2^40", lambda d, g: lebug(d, np.full((3, 8), 2.0 ** 40), "--config", "FRAC_W=16"),
     r"--input .*x\.npy: value 1\.09951e\+12 does not fit"),
    ("lebug-2^40-int", lambda d, g: lebug(d, np.full((3, 8), 2 ** 40, np.int64)),
     r"--input .*x\.npy: value 1099511627776 does not fit DATA_W=32"),
    ("lebug-inf", lambda d, g: lebug(d, np.full((3, 8), np.inf), "--config", "FRAC_W=16"),
     r"--input .*x\.npy: NaN or infinite value"),
    ("lebug-nan-thresholds", lambda d, g: lebug(d, np.zeros((3, 8)), "--config", "FRAC_W=16", "--thresholds",
                                                npy(d, "t.npy", np.full(17, np.nan))),
     r"--thresholds .*t\.npy: NaN or infinite value"),
    ("lebug-half-thresholds-int", lambda d, g: lebug(d, np.zeros((3, 8), np.int64), "--thresholds",
                                                     npy(d, "t.npy", np.arange(17) + 0.5)),
     r"--thresholds .*t\.npy: 0\.5 is not an integer"),
    ("lebug-eof-2", lambda d, g: lebug(d, np.zeros((3, 8), np.int64), "--eof", npy(d, "e.npy", np.full((3, 2), 2))),
     r"--eof .*e\.npy: values must be 0 or 1, got \[2\]"),
    ("sim-unknown-test", lambda d, g: ["sim", "nosuchtest"], r"unknown test 'nosuchtest'"),
]


@pytest.mark.parametrize("setup,msg", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_one_line_exit_2(tmp_path, good_bundle, capsys, setup, msg):
    argv = setup(tmp_path, good_bundle)
    capsys.readouterr()
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    code = main(argv)
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert code == 2, (out, err)
    assert len(lines) == 1 and lines[0].startswith("accelscope: error: "), err
    assert re.search(msg, lines[0]), lines[0]
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before, "a failing command changed or wrote files"


# --------------------------------------------------------------------------------------------
# atomic writes: a failure midway leaves the old files
# --------------------------------------------------------------------------------------------

def fail_after_first(monkeypatch):
    real = fileio.stage
    calls = []

    def stage(path, data):
        calls.append(path)
        if len(calls) > 1:
            raise KeyboardInterrupt("simulated crash while writing")
        return real(path, data)
    monkeypatch.setattr(fileio, "stage", stage)
    return calls


def test_prog_failing_midway_keeps_old_records(tmp_path, good_bundle, monkeypatch):
    b = bundle(tmp_path, good_bundle)
    old = {n: (b / "prog" / n).read_bytes() + b"00000000\n" for n in ("0PROG_A", "0PROG_D")}
    for n, data in old.items():
        (b / "prog" / n).write_bytes(data)  # stale records that `prog` would rewrite
    calls = fail_after_first(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        main(["prog", str(b)])
    assert len(calls) == 2
    assert {n: (b / "prog" / n).read_bytes() for n in old} == old
    assert sorted(p.name for p in (b / "prog").iterdir()) == ["0PROG_A", "0PROG_D"]  # no temporaries left
    monkeypatch.undo()
    assert main(["prog", str(b)]) == 0
    assert main(["prog", "--check", str(b)]) == 0


def test_prog_with_prog_d_directory_leaves_prog_a(tmp_path, good_bundle, capsys):
    b = bundle(tmp_path, good_bundle)
    (b / "prog" / "0PROG_A").write_text("stale\n")
    (b / "prog" / "0PROG_D").unlink()
    (b / "prog" / "0PROG_D").mkdir()
    assert main(["prog", str(b)]) == 2
    assert (b / "prog" / "0PROG_A").read_text() == "stale\n"


def test_compile_failing_midway_leaves_nothing(tmp_path, monkeypatch, capsys):
    calls = fail_after_first(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        main(["compile", MLP, "--out", str(tmp_path / "c")])
    assert len(calls) == 2
    assert list(tmp_path.iterdir()) == []  # neither the bundle nor its temporary directory


def test_compile_failing_midway_keeps_empty_out_dir(tmp_path, monkeypatch, capsys):
    (tmp_path / "c").mkdir()
    fail_after_first(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        main(["compile", MLP, "--out", str(tmp_path / "c")])
    assert [p.name for p in tmp_path.iterdir()] == ["c"] and not any((tmp_path / "c").iterdir())


def test_atomic_write_replaces_whole_file(tmp_path):
    f = tmp_path / "f.txt"
    f.write_text("old")
    fileio.write_text(f, "new")
    assert f.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["f.txt"]


@pytest.mark.parametrize("which,doc", [("scenario", "docs/deploy.md"), ("manifest", "docs/bundle.md")])
def test_docs_quote_the_schema(which, doc):
    assert "```json\n" + dump(which) + "\n```" in Path(doc).read_text()


def test_examples_match_the_scenario_schema():
    for f in EX.glob("*_scenario.json"):
        validate(json.loads(f.read_text()), SCENARIO_SCHEMA, str(f))


def test_report_on_model_results_does_not_claim_rtl(monkeypatch, tmp_path):
    seen = []
    monkeypatch.setattr(plots, "_savefig", lambda fig, out: seen.append(fig.axes[0].get_title()))
    cm = np.eye(10, dtype=int).tolist()
    plots.plot_confusion({"confusion": cm, "rtl_images": 0}, tmp_path / "c.png")
    plots.plot_confusion({"confusion": cm, "rtl_images": 10}, tmp_path / "c.png")
    assert seen == ["Confusion matrix, integer model on 10 images", "Confusion matrix, 10 images on the RTL"]
