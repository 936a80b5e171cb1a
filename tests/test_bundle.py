"""Bundle format: round trips and one test per malformed-input rule (message checked)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from pymodel.bundle import (
    Bundle,
    MemorySpec,
    Region,
    RegisterWrite,
    chunks_to_lanes,
    lanes_to_chunks,
    load_bundle,
    read_prog,
    words_to_chunks,
)
from pymodel.bundle.hexio import format_image, parse_image
from pymodel.errors import AccelscopeError
from pymodel.top.config import TopConfig
from tb.cli import main


def make_bundle(seed: int = 0) -> Bundle:
    rng = np.random.default_rng(seed)
    act = lanes_to_chunks(rng.integers(-128, 128, size=(10, 8)), 8)          # 64-bit words
    out = lanes_to_chunks(rng.integers(-2**31, 2**31, size=(3, 8)), 32)     # 256-bit words
    thr = words_to_chunks(rng.integers(-2**15, 2**15, size=4), 16)          # 16-bit words
    return Bundle(
        path=None,
        hardware=TopConfig().hardware(),  # `accelscope prog` checks it
        regions=[Region("regs", 0x0, 0x100, "registers"), Region("act", 0x10000, 0x1000, "memory"),
                 Region("out", 0x20000, 0x1000, "memory"), Region("thr", 0x30000, 0x100, "memory")],
        memories=[MemorySpec("act", 0x10000, 64, 10, 16, 8, "act.hex"),
                  MemorySpec("out", 0x20000, 256, 3, 8, 32, "out.hex"),
                  MemorySpec("thr", 0x30000, 16, 4, 4, 4, "thr.hex")],
        registers=[RegisterWrite("num", 0x0C, 3), RegisterWrite("ctrl", 0x08, 1)],
        images={"act": act, "out": out, "thr": thr},
    )


@pytest.fixture
def bundle_dir(tmp_path):
    make_bundle().write(tmp_path / "b")
    return tmp_path / "b"


def test_round_trip_files(bundle_dir):
    want = make_bundle()
    got = load_bundle(bundle_dir)
    for name in want.images:
        np.testing.assert_array_equal(got.images[name], want.images[name])
    assert got.registers == want.registers and got.memories == want.memories


def test_round_trip_records(bundle_dir):
    b = load_bundle(bundle_dir)
    recs = read_prog(bundle_dir)
    assert len(recs) == 10 * 2 + 3 * 8 + 4 * 1 + 2
    images, regs = b.images_from_records(recs)
    for name, img in b.images.items():
        np.testing.assert_array_equal(images[name], img)
    assert regs == {0x0C: 3, 0x08: 1}
    # records: low chunk first, stride respected
    assert recs[0][0] == 0x10000 and recs[1][0] == 0x10004 and recs[2][0] == 0x10008
    assert recs[0][1] == int(b.images["act"][0, 0]) and recs[1][1] == int(b.images["act"][0, 1])


def test_ten_records_worked_example(bundle_dir):
    a = (bundle_dir / "prog" / "0PROG_A").read_text().splitlines()
    d = (bundle_dir / "prog" / "0PROG_D").read_text().splitlines()
    assert all(len(x) == 8 for x in a + d) and len(a) == len(d)
    hexline = (bundle_dir / "act.hex").read_text().splitlines()[0]
    assert len(hexline) == 16 and hexline == d[1] + d[0]  # high chunk written second


def test_lane_packing_round_trip():
    rng = np.random.default_rng(3)
    for bits, lanes in ((8, 8), (8, 3), (16, 5), (32, 8), (8, 16)):
        x = rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), size=(7, lanes))
        np.testing.assert_array_equal(chunks_to_lanes(lanes_to_chunks(x, bits), bits, lanes), x)
    w = lanes_to_chunks(np.array([[1, -1, 2, -2]]), 8)
    assert format_image(w, 32) == "fe02ff01\n"


def test_parse_image_text():
    assert parse_image("0a\n\nff\n", 8, "x").ravel().tolist() == [10, 255]


# --------------------------------------------------------------------------
# malformed bundles
# --------------------------------------------------------------------------

def edit_manifest(d, fn):
    meta = json.loads((d / "manifest.json").read_text())
    fn(meta)
    (d / "manifest.json").write_text(json.dumps(meta))


def edit_prog(d, name, fn):
    """Rewrite the bundle's prog/<name> file: its text through fn."""
    (d / "prog" / name).write_text(fn((d / "prog" / name).read_text()))


def drop_first(text):
    return "".join(text.splitlines(True)[1:])


@pytest.mark.parametrize("mutate,msg", [
    (lambda d: (d / "act.hex").write_text((d / "act.hex").read_text().replace("\n", "\nzz\n", 1)),
     r"act.hex:2: bad hex word 'zz'"),
    (lambda d: (d / "thr.hex").write_text("1ffff\n0\n0\n0\n"), r"thr.hex:1: bad hex word '1ffff'"),
    (lambda d: (d / "act.hex").write_text("\n".join((d / "act.hex").read_text().splitlines()[:9]) + "\n"),
     r"act.hex: 9 words, but manifest.json says depth 10"),
    (lambda d: edit_manifest(d, lambda m: m["memories"][0].update(base=0x10002)),
     r"memory act: misaligned base address 0x10002"),
    (lambda d: edit_manifest(d, lambda m: m["memories"][2].update(depth=5)),
     r"memory thr: memory overflows: 5 words > capacity 4"),
    (lambda d: edit_manifest(d, lambda m: m["memories"][1].update(base=0x20ff0)),
     r"memory out: .* is outside the map"),
    (lambda d: edit_manifest(d, lambda m: m.update(schema="accelscope-bundle/9")),
     r"manifest.json: unknown schema 'accelscope-bundle/9'"),
    (lambda d: edit_manifest(d, lambda m: m["memories"][0].pop("width")),
     r"manifest.json memories\[0\]: missing field 'width'"),
    (lambda d: edit_manifest(d, lambda m: m["registers"].append({"name": "x", "addr": 0x400, "value": 1})),
     r"register x: address 0x400 is outside the map"),
    (lambda d: edit_manifest(d, lambda m: m["memories"][0].update(file="../act.hex")),
     r"must be a plain name"),
    (lambda d: (d / "manifest.json").write_text("{\n  oops"), r"manifest.json:2: not valid JSON"),
    (lambda d: edit_prog(d, "0PROG_D", lambda t: t + "00000000\n"),
     r"prog/0PROG_D: 51 records but prog/0PROG_A has 50"),
    (lambda d: edit_prog(d, "0PROG_A", lambda t: t.replace("00010008", "0001008", 1)),
     r"prog/0PROG_A:3: bad record '0001008'"),
    (lambda d: edit_prog(d, "0PROG_A", lambda t: t.replace("00010008", "0001000a", 1)),
     r"prog/0PROG_A:3: misaligned address 0x0001000a"),
    # well-formed records that disagree with the images: the checksum catches them first ...
    (lambda d: edit_prog(d, "0PROG_A", lambda t: t.replace("00010008", "00050000", 1)),
     r"prog/0PROG_A: checksum mismatch \(manifest.json says sha256 [0-9a-f]{16}\.\.\., the file has [0-9a-f]{16}"),
    (lambda d: edit_prog(d, "0PROG_D", lambda t: "12345678\n" + drop_first(t)),
     r"prog/0PROG_D: checksum mismatch"),
    # ... and, where the manifest gives no checksum (a hand-made bundle), the comparison with the images
    (lambda d: (edit_prog(d, "0PROG_A", lambda t: t.replace("00010008", "00050000", 1)),
                edit_manifest(d, lambda m: m.pop("sha256"))),
     r"prog/0PROG_A:3: address 0x00050000 is outside the bundle's map"),
    (lambda d: (edit_prog(d, "0PROG_D", lambda t: "12345678\n" + drop_first(t)),
                edit_manifest(d, lambda m: m["sha256"].pop("prog/0PROG_D"))),
     r"prog/0PROG_A:1: record \(0x00010000, 0x12345678\) differs from the images"),
    (lambda d: edit_manifest(d, lambda m: m["sha256"].update({"extra.hex": "0" * 64})),
     r"manifest.json sha256: 'extra.hex' is not a file of this bundle"),
    (lambda d: edit_manifest(d, lambda m: m["sha256"].update({"act.hex": "0" * 63})),
     r"manifest.json sha256.act.hex: '0+(\.\.\.)?: must be a SHA-256 digest"),
    (lambda d: (d / "act.hex").write_text((d / "act.hex").read_text().upper()),
     r"act.hex: checksum mismatch"),
])
def test_malformed(bundle_dir, mutate, msg):
    mutate(bundle_dir)
    with pytest.raises(AccelscopeError, match=msg):
        load_bundle(bundle_dir)


def test_not_a_bundle(tmp_path):
    with pytest.raises(AccelscopeError, match="no such file"):
        load_bundle(tmp_path)


def test_write_refuses_bad_bundle_without_writing(tmp_path):
    b = make_bundle()
    b.memories[0] = MemorySpec("act", 0x10000, 64, 20, 16, 8, "act.hex")
    with pytest.raises(AccelscopeError, match="overflows"):
        b.write(tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_regions_must_not_overlap(tmp_path):
    b = make_bundle()
    b.regions.append(Region("dup", 0x10800, 0x1000, "memory"))
    with pytest.raises(AccelscopeError, match="overlap"):
        b.write(tmp_path / "x")


def test_copy_is_still_valid(bundle_dir, tmp_path):
    shutil.copytree(bundle_dir, tmp_path / "c")
    load_bundle(tmp_path / "c")


def test_cli_prog_rewrite_and_check(bundle_dir, capsys):
    (bundle_dir / "prog" / "0PROG_A").unlink()
    (bundle_dir / "prog" / "0PROG_D").write_text("junk\n")
    assert main(["prog", str(bundle_dir)]) == 0
    assert "50 records" in capsys.readouterr().out
    assert main(["prog", "--check", str(bundle_dir)]) == 0
    (bundle_dir / "act.hex").write_text("zz\n")
    assert main(["prog", "--check", str(bundle_dir)]) == 2
    assert "act.hex:1: bad hex word 'zz'" in capsys.readouterr().err


def test_checksums_cover_every_file(bundle_dir):
    import hashlib

    meta = json.loads((bundle_dir / "manifest.json").read_text())
    files = ["act.hex", "out.hex", "thr.hex", "prog/0PROG_A", "prog/0PROG_D"]
    assert sorted(meta["sha256"]) == sorted(files)
    for f in files:
        assert meta["sha256"][f] == hashlib.sha256((bundle_dir / f).read_bytes()).hexdigest(), f


def test_prog_rewrites_checksums_after_a_hand_edit(bundle_dir, capsys):
    """Editing an image: its checksum rejects it (prog too) until its key is deleted; then prog
    regenerates the records and writes every checksum again."""
    lines = (bundle_dir / "act.hex").read_text().splitlines()
    lines[0] = "0123456789abcdef"
    (bundle_dir / "act.hex").write_text("\n".join(lines) + "\n")
    for argv in (["prog", "--check", str(bundle_dir)], ["prog", str(bundle_dir)]):
        assert main(argv) == 2
        assert capsys.readouterr().err.startswith("accelscope: error: act.hex: checksum mismatch")
    edit_manifest(bundle_dir, lambda m: m["sha256"].pop("act.hex"))
    assert main(["prog", "--check", str(bundle_dir)]) == 2  # the old records differ from the edited image
    assert main(["prog", str(bundle_dir)]) == 0
    assert main(["prog", "--check", str(bundle_dir)]) == 0
    meta = json.loads((bundle_dir / "manifest.json").read_text())
    assert len(meta["sha256"]) == 5 and load_bundle(bundle_dir).images["act"][0].tolist() == [0x89abcdef, 0x01234567]
