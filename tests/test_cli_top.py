"""accelscope compile / prog / replay on the top level."""

from __future__ import annotations

import json

import numpy as np
import pytest

import tb.top.jobs
from pymodel.bundle import load_bundle, read_prog
from pymodel.lebug import LebugConfig, encode_firmware
from pymodel.lebug.fwtext import load_firmware_file
from pymodel.net.importers import load_json
from pymodel.top.config import TopConfig
from pymodel.top.model import expected
from pymodel.top.network import compile_model, default_calibration, integer_logits, read_logits
from pymodel.top.randbundle import compile_network
from tb.cli import main
from tb.runner import sims_under_test

MLP = "examples/digits_mlp.json"
CNN = "examples/digits_cnn.json"


@pytest.fixture
def mlp_bundle(tmp_path, capsys):
    x = np.random.default_rng(1).random((5, 64)).astype(np.float32) * 16
    np.save(tmp_path / "x.npy", x)
    assert main(["compile", MLP, "--out", str(tmp_path / "b"), "--input", str(tmp_path / "x.npy")]) == 0
    capsys.readouterr()
    return tmp_path / "b", x


def test_compile_writes_valid_bundle(mlp_bundle, capsys):
    path, _ = mlp_bundle
    assert main(["prog", "--check", str(path)]) == 0
    meta = json.loads((path / "manifest.json").read_text())
    assert meta["schema"] == "accelscope-bundle/1"
    assert {m["name"] for m in meta["memories"]} >= {"sys_cmd", "sys_act", "sys_wgt", "lebug_chains"}
    assert meta["plan"]["scratchpads"]["sys_wgt"]["words"] > 0


def test_images_prog_images_round_trip(mlp_bundle):
    path, _ = mlp_bundle
    b = load_bundle(path)
    images, regs = b.images_from_records(read_prog(path))
    for name, img in b.images.items():
        np.testing.assert_array_equal(images[name], img)
    assert set(regs) == {r.addr for r in b.registers}


def test_model_logits_equal_integer_network(mlp_bundle):
    """The top-level model (systolic model on the bundle with --input embedded) == the network's own
    integer pass (calibrated, as the CLI does, on the digits training split)."""
    path, x = mlp_bundle
    b = load_bundle(path)
    exp = expected(b)
    got = read_logits(b, exp.systolic.mems["out"], len(x))
    net = load_json(MLP)
    compiled = compile_model(net, default_calibration(net), TopConfig.for_array(8), len(x))
    np.testing.assert_array_equal(got, integer_logits(compiled.qnet, x))
    # compile_network (calibrated on x itself, x embedded): the same check on its own bundle
    own = compile_network(net, x, TopConfig.for_array(8))
    np.testing.assert_array_equal(read_logits(own.bundle, expected(own.bundle).systolic.mems["out"], len(x)),
                                  integer_logits(own.qnet, x))


@pytest.mark.parametrize("argv,msg", [
    (["compile", CNN, "--out", "{d}/c", "--input", "{d}/bad.npy"], "expected shape (n, 1, 8, 8)"),
    (["compile", MLP, "--out", "{d}/c", "--input", "{d}/bad.npy", "--batch", "2"], "expected shape (n, 64)"),
    (["compile", MLP, "--out", "{d}/c", "--input", "{d}/bad.npy"], "expected shape (n, 64)"),
    (["compile", MLP, "--out", "{d}/c", "--tap", "nope"], "unknown firmware 'nope'"),
    (["compile", MLP, "--out", "{d}/c", "--tap-arg", "bins=6"], "multiple of M=4"),
    (["compile", "{d}/missing.json", "--out", "{d}/c"], "missing.json"),
    (["replay", "{d}/nowhere"], "no such file"),
])
def test_compile_and_replay_errors(tmp_path, capsys, argv, msg):
    np.save(tmp_path / "bad.npy", np.zeros((3, 7), np.float32))
    code = main([a.format(d=tmp_path) for a in argv])
    err = capsys.readouterr().err
    assert code == 2 and msg in err, err
    assert not (tmp_path / "c" / "manifest.json").exists()


def test_compile_refuses_non_empty_out(mlp_bundle, capsys):
    path, _ = mlp_bundle
    assert main(["compile", MLP, "--out", str(path)]) == 2
    assert "not empty" in capsys.readouterr().err


def test_replay_rejects_corrupt_bundle_before_simulating(mlp_bundle, capsys):
    path, _ = mlp_bundle
    lines = (path / "prog" / "0PROG_A").read_text().splitlines()
    lines[3] = "00000002"  # misaligned
    (path / "prog" / "0PROG_A").write_text("\n".join(lines) + "\n")
    assert main(["replay", str(path)]) == 2
    assert "prog/0PROG_A:4: misaligned address 0x00000002" in capsys.readouterr().err
    assert not (path / "results.json").exists()


@pytest.mark.parametrize("sim", sims_under_test(native=True))
def test_replay_on_rtl(mlp_bundle, capsys, sim):
    path, x = mlp_bundle
    assert main(["replay", str(path), "--sim", sim]) == 0
    res = json.loads((path / "results.json").read_text())
    exp = expected(load_bundle(path))
    out = exp.written()["out"]
    want = exp.systolic.mems["out"][out].reshape(len(x), -1)[:, :10]
    assert res["match"] and res["outputs"]["logits"] == want.tolist()
    assert res["systolic"]["cycles"] == exp.systolic.counters.cycles
    assert res["tap"]["drops"] == 0 and res["lebug"]["status"] == exp.lebug.status.as_dict()


def test_compile_with_a_tap_firmware_file(tmp_path, capsys):
    """--tap-file: the tap runs firmware written in the text format; the bundle carries its words."""
    fw_file = tmp_path / "tap.fw"
    fw_file.write_text("begin_chain\n  v_reduce\n  v_commit 1\nend_chain\n")
    assert main(["compile", MLP, "--out", str(tmp_path / "b"), "--tap-file", str(fw_file)]) == 0
    b = load_bundle(tmp_path / "b")
    words = encode_firmware(load_firmware_file(fw_file, LebugConfig()), LebugConfig())
    chains = b.images["lebug_chains"]
    assert [int(lo) | (int(hi) << 32) for lo, hi in chains] == words
    assert b.extra["tap"]["firmware"] == "tap.fw"
    bad = tmp_path / "bad.fw"
    bad.write_text("begin_chain\n  v_commit 3\nend_chain\n")
    capsys.readouterr()
    assert main(["compile", MLP, "--out", str(tmp_path / "c"), "--tap-file", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"accelscope: error: {bad}:2:") and not (tmp_path / "c").exists()


def test_replay_rejects_a_flipped_byte_by_checksum(mlp_bundle, capsys, monkeypatch):
    """One flipped byte in prog/0PROG_D (still a well-formed record): the manifest's checksum names
    the file, exit 2, one line, before any simulator starts and with nothing written."""
    path, _ = mlp_bundle
    started = []
    monkeypatch.setattr(tb.top.jobs, "run_job", lambda *a, **k: started.append(a))
    f = path / "prog" / "0PROG_D"
    data = bytearray(f.read_bytes())
    i = next(i for i in range(len(data) // 2, len(data)) if chr(data[i]).isdigit())
    data[i] ^= 0x01  # '0' <-> '1', '2' <-> '3', ...: still 8 hex digits a line
    f.write_bytes(bytes(data))
    before = {p: p.read_bytes() for p in path.rglob("*") if p.is_file()}
    capsys.readouterr()
    assert main(["replay", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("accelscope: error: prog/0PROG_D: checksum mismatch"), err
    assert started == [] and not (path / "results.json").exists()
    assert {p: p.read_bytes() for p in path.rglob("*") if p.is_file()} == before
    assert main(["prog", "--check", str(path)]) == 2  # the same rule, without a simulator in reach
