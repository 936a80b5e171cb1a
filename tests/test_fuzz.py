"""Property-based fuzzing of every CLI input format (strategies, targets and the
property: tests/fuzz_targets.py; the long run: bench/fuzz.py). Each corrupted input must give
exit 0 with a correct result or exit 2 with one `accelscope: error:` line naming the file, never
a traceback, never a changed or half-written file on failure.

Fixed seed (ACCELSCOPE_FUZZ_SEED, default fuzz_targets.SEED), no example database, a bounded
example count per target (ACCELSCOPE_FUZZ_EXAMPLES, default 25; 2x or 4x for the fast targets):
the same inputs on every run.
The explicit examples marked "bug:" are falsifying inputs the fuzzer found (each failed before
its fix, now a regression); the others pin inputs worth running every time.
"""

from __future__ import annotations

import math
import os

import pytest
from hypothesis import HealthCheck, example, given, seed, settings

import tb.cli
from tests.fuzz_targets import SEED, TARGETS, Bytes, Case, Json, Lines, Npy, Npz, Onnx, check, run_cli, snapshot

EXAMPLES = int(os.environ.get("ACCELSCOPE_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def fuzz_test(target: str, *examples: object, scale: int = 1):
    """The property of one target on scale * EXAMPLES drawn inputs (seed SEED) and on `examples`
    (the fast targets take more inputs in the same time)."""
    def test(case: object) -> None:
        print(f"fuzz target {target}: seed {SEED} (ACCELSCOPE_FUZZ_SEED), {scale * EXAMPLES} examples "
              f"(ACCELSCOPE_FUZZ_EXAMPLES); this input: {case!r}")
        TARGETS[target].check(case)

    test.__name__ = test.__qualname__ = f"test_fuzz_{target}"
    for case in reversed(examples):
        test = example(case=case)(test)
    return seed(SEED)(settings(FUZZ, max_examples=scale * EXAMPLES)(given(case=TARGETS[target].strategy())(test)))


test_fuzz_bundle = fuzz_test(
    "bundle",
    Case("prog/0PROG_D", Bytes("flip", 4000, 1)),           # a flipped digit: the checksum names the file
    Case("prog/0PROG_D", Bytes("flip", 4000, 1), "unsum"),  # ... or, without its checksum, the record rule
    Case("sys_wgt.hex", Lines("upper"), "restamp"),         # the same words, a new checksum: accepted
    Case("manifest.json", Json("deep", 0, 100_000)),        # bug: RecursionError in json.loads
)

test_fuzz_scenario = fuzz_test(
    "scenario",
    Json("deep", 0, 3000),     # bug: RecursionError in json.loads
    Json("set", 10, 1.0),      # bug: "samples": 1.0 passed the schema, then slicing raised
    Json("set", 1, math.nan),  # NaN where the schema wants an object
    Bytes("insert", 0, b"\t"),  # still valid: the result must equal the uncorrupted one
)

test_fuzz_onnx = fuzz_test(
    "onnx",
    Onnx("dims", 0, []),                  # bug: a damaged initializer, ValueError from numpy_helper
    Onnx("raw", 0, True),                 # bug: initializer data cut in half, the same
    Onnx("attr", 0, ("alpha", math.nan)),  # bug: Linear's error named no file or node
    Onnx("attr", 0, ("beta", math.inf)),  # bug: ... and a RuntimeWarning on stderr
    Onnx("op", 0, "Dropout"),             # bug: a weight matrix as Dropout's ratio, TypeError
    Onnx("op", 1, "Gemm"),                # bug: a node with too few inputs, IndexError
    Bytes("overwrite", 380, b"\xd1"),     # bug: a weight the 24-bit multiplier cannot express: no file named
)

test_fuzz_firmware = fuzz_test(
    "firmware",
    Case("distribution", Lines("drop", 0)),  # the header comment gone: the same firmware
    Case("lane_stats", Lines("replace", 3, "threshold_row 0 99999999999999999999 0 0 0 0")),
    scale=2,
)

test_fuzz_npy = fuzz_test(
    "npy",
    Case("x.npy", Bytes("flip", 10, 1)),          # bug: a damaged header, SyntaxError/TokenError
    Case("x.npy", Bytes("insert", 70, b"\n")),   # bug: a re-parsed header: NumPy's UserWarning on stderr
    Case("x.npy", Npy("value", ("inf", 0))),     # bug: a RuntimeWarning besides the error line
    Case("x.npy", Npy("value", ("huge", 0))),    # bug: 1e30 cast to int64 before the range check
    Case("x.npy", Npy("shape", "empty")),        # bug: the error named --eof only
    Case("b.npy", Npy("shape", "drop_col")),     # bug: the error named --bias only
    Case("bias.npy", Npy("dtype", "float16")),   # bug: exit 0 with an overflow warning
    Case("a.npy", Npy("dtype", "m8[s]")),        # bug: timedelta64 (a numpy "integer") taken as int8
    Case("cx.npy", Bytes("insert", 128, b"\x00")),  # bug: 9e37 in the batch: overflow warning, inf scales, exit 0
    Case("a.npy", Npy("object")),                # object dtype declared: rejected before any data is read
    scale=4,
)

test_fuzz_network = fuzz_test(
    "network",
    Case("net.npz", Bytes("truncate", 0)),       # bug: an empty npz, EOFError
    Case("net.npz", Bytes("flip", 40, 255)),     # bug: a damaged zip, BadZipFile
    Case("net.npz", Bytes("flip", 196, 1)),      # bug: a damaged member header, SyntaxError
    Case("net.npz", Npz(0, Npy("dtype", "complex64"))),  # bug: complex weights cast to real with a warning
    Case("net.npz", Npz(0, Npy("npz"))),         # an npz inside the npz
    Case("net.json", Json("set", 4, None)),      # bug: input_shape [null], TypeError
    Case("net.json", Bytes("flip", 0, 128)),     # bug: not UTF-8, UnicodeDecodeError
    Case("net.json", Json("set", 12, "\x85")),   # bug: a NEL (a line break) inside the one error line
    scale=4,
)


def test_fuzz_property_can_fail(tmp_path, monkeypatch):
    """The property reports a traceback, an error line naming another file, and a file written
    by a failing command; the CLI escapes a newline inside an error."""
    def boom(args):
        raise KeyError("x")

    def two_lines(args):
        (tmp_path / "half.npy").write_bytes(b"\x93NUMPY")
        raise tb.cli.AccelscopeError("a.npy: line one\nline two")

    monkeypatch.setattr(tb.cli, "cmd_prog", boom)
    monkeypatch.setattr(tb.cli, "cmd_gemm", two_lines)
    before = snapshot(tmp_path)
    with pytest.raises(AssertionError, match="KeyError"):
        check("selftest", run_cli(["prog", "--check", str(tmp_path)]), tmp_path, before, {"x"})
    run = run_cli(["gemm", "--a", "a.npy", "--b", "b.npy", "--out", "c.npy"])
    assert run.code == 2 and run.err == "accelscope: error: a.npy: line one\\nline two\n"
    with pytest.raises(AssertionError, match="names none"):
        check("selftest", run, tmp_path, before, {"elsewhere.npy"})
    with pytest.raises(AssertionError, match=r"exit 2 but files changed: \['half.npy'\]"):
        check("selftest", run, tmp_path, before, {"a.npy"})
