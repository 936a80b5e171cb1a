"""The register descriptions (rtl/<block>/<block>.rdl) and everything generated from them.

- the committed generated files are what `make regs` writes now (byte for byte);
- moving fields in a description and running `make regs` changes the RTL include, the Python
  constants, the C header and the docs, and the models and the RTL still agree (on a copy);
- no register address or field offset is written as a literal outside the descriptions and
  the generated files.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pymodel.lebug import regs as lb
from pymodel.systolic import regs as sy
from tb.regs import DESCRIPTIONS, ROOT, generate


def first_difference(name: str, want: str, got: str) -> str:
    diff = list(difflib.unified_diff(want.splitlines(), got.splitlines(), "committed", "regenerated", lineterm="", n=0))
    return f"{name} is stale (run make regs):\n" + "\n".join(diff[:12])


def test_generated_files_are_current(tmp_path):
    written = generate(ROOT, tmp_path)
    assert len(written) == 4 * len(DESCRIPTIONS)
    for path in written:
        rel = path.relative_to(tmp_path)
        committed = ROOT / rel
        assert committed.exists(), f"{rel} is not committed (run make regs)"
        want, got = committed.read_text(), path.read_text()
        assert want == got, first_difference(str(rel), want, got)


def test_a_changed_description_is_caught(tmp_path):
    """The freshness check can fail: a description edited without make regs differs."""
    copy = _copy_tree(tmp_path / "repo")
    rdl = copy / "rtl/lebug/lebug.rdl"
    rdl.write_text(rdl.read_text().replace("WRAP[1:1]", "WRAP[3:3]"))
    written = generate(copy, tmp_path / "out", only=DESCRIPTIONS[:1])
    stale = [p.relative_to(tmp_path / "out") for p in written
             if p.read_text() != (ROOT / p.relative_to(tmp_path / "out")).read_text()]
    assert sorted(map(str, stale)) == sorted(DESCRIPTIONS[0].outputs().values())


def _copy_tree(dst: Path) -> Path:
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    for f in files:
        if (ROOT / f).is_file():
            (dst / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, dst / f)
    return dst


# fields moved in the copy: (description, old text, new text, regex per generated consumer)
MOVES = [
    ("rtl/systolic/systolic.rdl", ("m[15:0]", "n[31:16]"), ("m[31:16]", "n[15:0]"), {
        "rtl/systolic/systolic_regs.vh": r"localparam SYSTOLIC_DESC_M_LSB = 16;",
        "pymodel/systolic/regs.py": r"'m': \(16, 16\)",
        "sw/systolic_regs.h": r"#define SYSTOLIC__CMD__DESC_T__M_bp 16",
        "docs/regs/systolic.md": r"\|\s*31:16\s*\|\s*m\s*\|",
    }),
    ("rtl/lebug/lebug.rdl", ("WRAP[1:1]", "PACK_FILL[15:8]"), ("WRAP[3:3]", "PACK_FILL[23:16]"), {
        "rtl/lebug/lebug_regs.vh": r"localparam LEBUG_STATUS_WRAP_LSB = 3;",
        "pymodel/lebug/regs.py": r"'WRAP': \(3, 1\)",
        "sw/lebug_regs.h": r"#define LEBUG__STATUS__WRAP_bp 3\b",
        "docs/regs/lebug.md": r"\|\s*3\s*\|\s*WRAP\s*\|",
    }),
    ("rtl/lebug/lebug.rdl", ("alu_c1[26:24]", "alu_c2[29:27]"), ("alu_c1[29:27]", "alu_c2[26:24]"), {
        "rtl/lebug/lebug_regs.vh": r"localparam LEBUG_CHAIN_ALU_C1_LSB = 27;",
        "pymodel/lebug/regs.py": r"'alu_c1': \(27, 3\)",
        "sw/lebug_regs.h": r"#define LEBUG__CHAIN__CHAIN_T__ALU_C1_bp 27\b",
    }),
]


def test_moved_fields_reach_rtl_python_c_and_docs(tmp_path):
    """On a copy: move fields, `make regs` (python -m tb.regs), then the models and the RTL still agree."""
    copy = _copy_tree(tmp_path / "repo")
    for rdl, old, new, _ in MOVES:
        text = (copy / rdl).read_text()
        for o, n in zip(old, new):
            assert text.count(o) == 1, f"{rdl}: {o!r} not found once"
            text = text.replace(o, n)
        (copy / rdl).write_text(text)
    env = {**os.environ, "PYTHONPATH": str(copy), "ACCELSCOPE_SIM_BUILD": str(copy / "sim_build")}
    run = subprocess.run([sys.executable, "-m", "tb.regs"], cwd=copy, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    for _, _, _, evidence in MOVES:
        for rel, text in evidence.items():
            got = (copy / rel).read_text()
            assert re.search(text, got), f"{rel}: {text!r} not generated"
            assert got != (ROOT / rel).read_text(), f"{rel}: unchanged"
    # two tests pin the documented encodings with hand-computed words: on moved fields they must fail
    pytest_cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                  "tests/test_systolic_model.py", "tests/test_lebug_compiler.py", "tests/test_lebug_model.py"]
    pinned = "test_known_encoding or test_descriptor_encode_decode_round_trip"
    r = subprocess.run(pytest_cmd + ["-k", pinned], cwd=copy, env=env, capture_output=True, text=True)
    assert "2 failed" in r.stdout, f"the hand-computed encodings did not notice the move:\n{r.stdout[-2000:]}"
    checks = [
        pytest_cmd + ["-k", f"not ({pinned})"],
        [sys.executable, "-m", "tb.cli", "sim", "gemm", "--sim", "icarus"],  # descriptors through the RTL
        [sys.executable, "-m", "tb.cli", "sim", "distribution", "--sim", "icarus"],  # chain words, STATUS
    ]
    for cmd in checks:
        r = subprocess.run(cmd, cwd=copy, env=env, capture_output=True, text=True)
        assert r.returncode == 0, f"{' '.join(cmd[2:])} on the moved fields:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
        if "sim" in cmd:
            assert "PASS" in r.stdout, r.stdout[-2000:]


# --- no restated literals -------------------------------------------------------------
# A window base or memory address written as a number: Verilog sized hex constants and
# Python hex constants of the map's magnitude (5 or more digits; all-F masks are data masks).
VERILOG_ADDR = re.compile(r"\d+'h(?![fF]+\b)[0-9a-fA-F]{5,}")
PY_ADDR = re.compile(r"\b0x(?![fF]+\b)[0-9a-fA-F]{5,}\b")
GENERATED = {v for d in DESCRIPTIONS for v in d.outputs().values()}


def _sources(patterns: tuple[str, ...]) -> list[Path]:
    out = []
    for pat in patterns:
        out += [p for p in ROOT.glob(pat) if str(p.relative_to(ROOT)) not in GENERATED]
    return out


@pytest.mark.parametrize("pattern", ["rtl/*/*.v", "tb/*/*.v", "tb/common/*.vh"])
def test_no_address_literals_in_verilog(pattern):
    hits = [f"{p.relative_to(ROOT)}:{i}: {line.strip()}" for p in _sources((pattern,))
            for i, line in enumerate(p.read_text().splitlines(), 1)
            if VERILOG_ADDR.search(line.split("//")[0])]
    # the job engine's file magic is a format constant, not an address
    hits = [h for h in hits if "4a4f4201" not in h.lower()]
    assert not hits, "literal addresses:\n" + "\n".join(hits)


def test_no_address_literals_in_python_decoders():
    files = _sources(("pymodel/*/regmap.py", "pymodel/systolic/descriptor.py", "pymodel/lebug/isa.py",
                      "tb/*/jobs.py", "tb/*/test_*.py"))
    assert files
    hits = [f"{p.relative_to(ROOT)}:{i}: {line.strip()}" for p in files
            for i, line in enumerate(p.read_text().splitlines(), 1)
            if PY_ADDR.search(line.split("#")[0])]
    assert not hits, "literal addresses:\n" + "\n".join(hits)


def test_c_headers_compile(tmp_path):
    """The generated C headers compile cleanly (C11, -Wall -Wextra -Werror) and their field
    positions are the Python ones."""
    src = tmp_path / "use.c"
    src.write_text("\n".join([
        *(f'#include "{ROOT / d.outputs()["h"]}"' for d in DESCRIPTIONS),
        f'_Static_assert(LEBUG__STATUS__WRAP_bp == {lb.FIELDS["STATUS"]["WRAP"][0]}, "wrap");',
        f'_Static_assert(LEBUG__CHAIN__CHAIN_T__COMMIT_SIZE_bp == {lb.ENTRIES["CHAIN"]["commit_size"][0]}, "commit");',
        f'_Static_assert(SYSTOLIC__CMD__DESC_T__D_STRIDE_bp == {sy.ENTRIES["DESC"]["d_stride"][0]}, "d_stride");',
        f'_Static_assert(SYSTOLIC__STATUS__ERR_CODE_bw == {sy.FIELDS["STATUS"]["ERR_CODE"][1]}, "err");',
        "int main(void) { return 0; }", ""]))
    r = subprocess.run(["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", str(src)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
