"""Property-based fuzzing of the accelscope CLI (docs/verification.md, "Fuzzing").

One module for tests/test_fuzz.py (its test_fuzz_* tests: bounded example counts, fixed
seed, part of `make test`) and bench/fuzz.py (long runs, counts in bench/results/fuzz.json): the strategies,
the targets and the property live here only.

Every target starts from valid inputs built by the project's own tools (a bundle written by
`accelscope compile`, the example scenario, library firmware disassembled to the text
format, .npy arrays, the example network and its ONNX export by pymodel.net.importers),
applies one corruption drawn by hypothesis, runs CLI commands in-process and checks:

- exit 0 with an empty stderr and a correct, complete result (compared with an
  independent computation or with the uncorrupted input's result), or
- exit 2 with exactly one stderr line `accelscope: error: ...` naming the corrupted file;
- never another exit code or a traceback; on exit 2 the work directory is unchanged byte
  for byte, on exit 0 only the command's outputs changed; no temporary file is ever left.

Corruptions are byte level (truncate, flip, insert, delete, overwrite) or structural
(JSON: delete/rename/add keys, retype values, out-of-range numbers, NaN, deep nesting;
text lines: drop, duplicate, swap, insert, replace, CRLF, case; npy: dtype, shape,
values, object arrays, npz under an .npy name; ONNX: op types, initializer shapes and
types, attributes, input/output shapes, opset). A bundle corruption may also re-stamp or
drop the damaged file's manifest checksum, so the rules behind the checksum are reached.

Commands that would start an HDL simulator (`replay`, `sim FILE`) run with the simulator
replaced by a stub that raises SimulatorReached: reaching it means the input was accepted.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import io
import json
import math
import os
import re
import shutil
import sys
import tempfile
import traceback
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st

import tb.lebug.jobs
import tb.runner
import tb.sims
import tb.systolic.jobs
import tb.top.jobs
from pymodel.bundle import load_bundle, read_prog
from pymodel.bundle.bundle import PROG_FILES
from pymodel.lebug import LebugConfig, build, encode_firmware
from pymodel.lebug.fwtext import SIGNATURES, THRESHOLD_DIRECTIVES, compile_text, disassemble, load_firmware_file
from pymodel.net.importers import export_onnx, load_json
from tb.cli import main

REPO = Path(__file__).resolve().parents[1]
MLP_JSON = REPO / "examples" / "digits_mlp.json"
SCENARIO = REPO / "examples" / "digits_mlp_scenario.json"
SEED = int(os.environ.get("ACCELSCOPE_FUZZ_SEED", "1313"))
PREFIX = "accelscope: error: "
# warnings Python's default filters do not show a user (every other warning is stderr output)
QUIET = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)
TEMP = re.compile(r"(^|/)\.[^/]*\.(tmp|old)(/|$)")  # fileio's temporary names

# what each target has done (bench/fuzz.py reports it): inputs tried, and per command the
# exit codes, simulator stubs reached and tracebacks
STATS: dict[str, Counter] = defaultdict(Counter)


class SimulatorReached(BaseException):
    """Raised by the stubbed simulator: the command accepted its input and would simulate now."""


# --------------------------------------------------------------------------------------------
# running a command
# --------------------------------------------------------------------------------------------

@dataclass
class Run:
    argv: list[str]
    code: int | None
    out: str
    err: str
    traceback: str | None = None
    reached_sim: bool = False


@contextlib.contextmanager
def no_simulator():
    """Every path to an HDL simulator (tb.runner.run_job in every tb module that imported it, and
    the simulator checks) replaced: a command that would simulate raises SimulatorReached."""
    def stop(*_: Any, **__: Any) -> None:
        raise SimulatorReached

    real = {"run_job": (tb.runner.run_job, stop), "check_simulator": (tb.runner.check_simulator, lambda *a, **k: None)}
    modules = [m for name, m in sorted(sys.modules.items()) if name == "tb" or name.startswith("tb.")]
    patches = [(m, name, fake) for m in modules for name, (fn, fake) in real.items() if getattr(m, name, None) is fn]
    saved = [(m, name, getattr(m, name)) for m, name, _ in patches]
    try:
        for m, name, fn in patches:
            setattr(m, name, fn)
        yield
    finally:
        for m, name, fn in saved:
            setattr(m, name, fn)


def run_cli(argv: list[str]) -> Run:
    """`accelscope ARGV` in this process: exit code, stdout, stderr (warnings included)."""
    argv = [str(a) for a in argv]
    out, err = io.StringIO(), io.StringIO()
    run = Run(argv, None, "", "")
    with no_simulator(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            run.code = main(argv)
        except SystemExit as e:  # argparse; the installed script would exit the same way
            run.code = e.code if isinstance(e.code, int) else 1
        except SimulatorReached:
            run.reached_sim = True
        except Exception:  # the bug the property is about: the user would see this traceback
            run.traceback = traceback.format_exc()
    run.out = out.getvalue()
    run.err = err.getvalue() + "".join(f"{w.category.__name__}: {w.message}\n" for w in caught
                                       if not issubclass(w.category, QUIET))
    return run


# --------------------------------------------------------------------------------------------
# the property
# --------------------------------------------------------------------------------------------

def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file (bytes) and directory (None) under root, hidden ones included."""
    return {p.relative_to(root).as_posix(): (None if p.is_dir() else p.read_bytes()) for p in root.rglob("*")}


def changed(before: dict[str, bytes | None], after: dict[str, bytes | None]) -> set[str]:
    return {k for k in before.keys() | after.keys() if before.get(k, b"?absent") != after.get(k, b"?absent")}


def check(target: str, run: Run, root: Path, before: dict[str, bytes | None], names: set[str],
          outputs: tuple[str, ...] = ()) -> set[str]:
    """The property for one command run: see the module docstring. `names`: any of them may be
    the file the error line names; `outputs`: what exit 0 may create or change (a name, or a
    directory and everything under it). Returns the changed paths."""
    c = STATS[target]
    key = " ".join([run.argv[0], *(f for f in ("--check", "--disassemble") if f in run.argv)])
    c[f"{key}: runs"] += 1
    c[f"{key}: " + ("simulator reached" if run.reached_sim else "traceback" if run.traceback
                     else f"exit {run.code}")] += 1
    c["tracebacks"] += run.traceback is not None
    where = f"accelscope {' '.join(run.argv)}"
    assert run.traceback is None, f"{where}: raised\n{run.traceback}"
    after = snapshot(root)
    temps = sorted(k for k in after if TEMP.search(k))
    assert not temps, f"{where}: temporary files left: {temps}"
    diff = changed(before, after)
    if run.reached_sim:
        assert not diff, f"{where}: files changed before the simulator started: {sorted(diff)}"
        return diff
    lines = run.err.splitlines()
    assert run.code in (0, 2), f"{where}: exit {run.code}; stderr {run.err!r}"
    if run.code == 2:
        assert len(lines) == 1 and lines[0].startswith(PREFIX), f"{where}: stderr is not one error line: {run.err!r}"
        assert any(n in lines[0] for n in names), f"{where}: the error names none of {sorted(names)}: {lines[0]}"
        assert not diff, f"{where}: exit 2 but files changed: {sorted(diff)}"
    else:
        assert not lines, f"{where}: exit 0 with stderr {run.err!r}"
        stray = sorted(k for k in diff if not any(k == o or k.startswith(o + "/") for o in outputs))
        assert not stray, f"{where}: exit 0 changed files that are not its outputs: {stray}"
    return diff


def tried(target: str) -> None:
    STATS[target]["inputs"] += 1


@contextlib.contextmanager
def workdir() -> Any:
    d = Path(tempfile.mkdtemp(prefix="fuzz-", dir=base_dir()))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# corruptions: each a small frozen dataclass (readable in a falsifying example) with apply()
# --------------------------------------------------------------------------------------------

def _at(i: int, n: int) -> int:
    return i % (n + 1)


@dataclass(frozen=True)
class Bytes:
    """Byte level: truncate | flip (xor) | insert | delete | overwrite at position `at` (mod len+1)."""
    op: str
    at: int
    arg: Any = b""

    def apply(self, data: bytes) -> bytes:
        b = bytearray(data)
        i = _at(self.at, len(b))
        if self.op == "truncate":
            return bytes(b[:i])
        if self.op == "flip":
            if i < len(b):
                b[i] ^= self.arg
            return bytes(b)
        if self.op == "insert":
            return bytes(b[:i] + self.arg + b[i:])
        if self.op == "delete":
            return bytes(b[:i] + b[i + self.arg:])
        return bytes(b[:i] + self.arg + b[i + len(self.arg):])  # overwrite


@dataclass(frozen=True)
class Lines:
    """Text lines: drop | dup | swap | insert | replace | crlf | noeol | upper | blank | bom | space."""
    op: str
    at: int = 0
    text: str = ""

    def apply(self, data: bytes) -> bytes:
        text = data.decode("utf-8", "surrogateescape")
        lines = text.splitlines()
        n = len(lines)
        i = self.at % n if n else 0
        if self.op == "drop" and n:
            del lines[i]
        elif self.op == "dup" and n:
            lines.insert(i, lines[i])
        elif self.op == "swap" and n:
            j = (i + 1 + len(self.text)) % n
            lines[i], lines[j] = lines[j], lines[i]
        elif self.op == "insert":
            lines.insert(_at(self.at, n), self.text)
        elif self.op == "replace" and n:
            lines[i] = self.text
        elif self.op == "upper":
            return text.upper().encode("utf-8", "surrogateescape")
        elif self.op == "crlf":
            return "".join(line + "\r\n" for line in lines).encode("utf-8", "surrogateescape")
        elif self.op == "noeol":
            return "\n".join(lines).encode("utf-8", "surrogateescape")
        elif self.op == "blank":
            lines.insert(_at(self.at, n), "   " if self.text else "")
        elif self.op == "bom":
            return b"\xef\xbb\xbf" + data
        elif self.op == "space" and n:
            lines[i] = (" \t" if self.text else "") + lines[i] + " "
        return "".join(line + "\n" for line in lines).encode("utf-8", "surrogateescape")


DEEP = "\x00deep\x00"


def _nodes(doc: Any, path: tuple = ()) -> list[tuple]:
    """Every path in a JSON document (the root is ())."""
    out = [path]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _nodes(v, path + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _nodes(v, path + (i,))
    return out


@dataclass(frozen=True)
class Json:
    """JSON structure at the at-th node: delete | rename | set | add | wrap | bump | deep."""
    op: str
    at: int
    value: Any = None

    def apply(self, data: bytes) -> bytes:
        doc = json.loads(data)
        paths = _nodes(doc)
        path = paths[self.at % len(paths)]
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        key = path[-1] if path else None
        cur = parent[key] if path else doc

        def put(v: Any) -> None:
            nonlocal doc
            if path:
                parent[key] = v
            else:
                doc = v

        if self.op == "delete" and path:
            del parent[key]
        elif self.op == "rename" and path and isinstance(parent, dict):
            parent[str(self.value)] = parent.pop(key)
        elif self.op == "add" and isinstance(cur, dict):
            cur[str(self.value)] = 1
        elif self.op == "add" and isinstance(cur, list):
            cur.append(self.value)
        elif self.op == "wrap":
            put([cur] if self.value else {"x": cur})
        elif self.op == "bump" and isinstance(cur, int) and not isinstance(cur, bool):
            put({"neg": -cur, "double": 2 * cur, "pow": 1 << 64}[self.value] if isinstance(self.value, str)
                else cur + self.value)
        elif self.op == "deep":
            put(DEEP)
        else:  # set (and ops that do not apply to this node)
            put(self.value)
        text = json.dumps(doc)  # NaN and Infinity as JSON's non-standard tokens, as a user might write
        if json.dumps(DEEP) in text:
            depth = int(self.value) if isinstance(self.value, int) else 100_000
            text = text.replace(json.dumps(DEEP), "[" * depth + "]" * depth)
        return text.encode()


def object_npy(shape: tuple[int, ...]) -> bytes:
    """An .npy file whose header declares object dtype ("|O") over plain junk bytes: what a
    loader must refuse, with nothing serialized in it."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "|O", "fortran_order": False, "shape": tuple(shape)})
    return buf.getvalue() + b"junk"


@dataclass(frozen=True)
class Npy:
    """An .npy array rewritten: dtype | shape | value | fortran | object | npz | scalar."""
    op: str
    arg: Any = None

    def apply(self, data: bytes) -> bytes:
        arr = np.load(io.BytesIO(data), allow_pickle=False)
        buf = io.BytesIO()
        if self.op == "object":
            return object_npy(arr.shape)
        if self.op == "npz":
            np.savez(buf, arr=arr)
            return buf.getvalue()
        if self.op == "dtype":
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    arr = arr.astype(self.arg)
            except (TypeError, ValueError):
                arr = np.zeros(arr.shape, self.arg)
        elif self.op == "shape":
            arr = _reshape(arr, self.arg)
        elif self.op == "value":
            arr = _revalue(arr, *self.arg)
        elif self.op == "fortran":
            arr = np.asfortranarray(arr.T if self.arg else arr)
        elif self.op == "scalar":
            arr = np.asarray(arr.ravel()[0] if arr.size else 0)
        np.save(buf, arr, allow_pickle=False)
        return buf.getvalue()


def _reshape(arr: np.ndarray, how: str) -> np.ndarray:
    if how == "flat":
        return arr.ravel()
    if how == "row":
        return arr.reshape(1, -1)
    if how == "axis":
        return arr[None]
    if how == "transpose":
        return arr.T
    if how == "empty":
        return arr[:0]
    if how == "empty_cols" and arr.ndim == 2:
        return arr[:, :0]
    if how == "drop_col" and arr.ndim >= 1 and arr.shape[-1] > 1:
        return arr[..., :-1]
    if how == "add_col" and arr.ndim >= 1:
        return np.concatenate([arr, arr[..., :1]], axis=-1)
    if how == "drop_row" and arr.ndim >= 1 and len(arr) > 1:
        return arr[:-1]
    if how == "add_row" and arr.ndim >= 1:
        return np.concatenate([arr, arr[:1]])
    return arr


def _revalue(arr: np.ndarray, what: str, at: int) -> np.ndarray:
    """One element (index at mod size) set to NaN, inf, a huge, negative, fractional or edge value."""
    if arr.size == 0:
        return arr
    special = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf, "half": 0.5, "huge": 1e30}
    if what in special:
        out = arr.astype(np.float64)
    elif what in ("2^31", "2^40", "2^63-1", "-2^63"):
        out = arr.astype(np.int64)
    else:
        out = arr.copy()
    flat = out.reshape(-1)
    i = at % flat.size
    val = {"2^31": 1 << 31, "2^40": 1 << 40, "2^63-1": (1 << 63) - 1, "-2^63": -(1 << 63), "-1": -1, "0": 0,
           "128": 128, "-129": -129, "2": 2}.get(what, special.get(what))
    try:
        flat[i] = val
    except (OverflowError, ValueError):
        flat = flat.astype(np.float64)
        flat[i] = val
    return flat.reshape(out.shape)


@dataclass(frozen=True)
class Npz:
    """One member of an .npz archive rewritten by an Npy corruption (or dropped, or renamed)."""
    member: int
    inner: Any  # Npy, or "drop" / "rename"

    def apply(self, data: bytes) -> bytes:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        keys = sorted(arrays)
        k = keys[self.member % len(keys)]
        buf = io.BytesIO()
        if self.inner == "drop":
            del arrays[k]
        elif self.inner == "rename":
            arrays[k + "x"] = arrays.pop(k)
        else:
            one = io.BytesIO()
            np.save(one, arrays[k], allow_pickle=False)
            return _zip_with(arrays, k, self.inner.apply(one.getvalue()))  # any bytes, as a member
        np.savez(buf, **arrays)
        return buf.getvalue()


def _zip_with(arrays: dict[str, np.ndarray], key: str, member: bytes) -> bytes:
    """An npz whose member `key` is the given bytes (possibly not a plain .npy)."""
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for k, a in arrays.items():
            one = io.BytesIO()
            np.save(one, a, allow_pickle=False)
            zf.writestr(f"{k}.npy", member if k == key else one.getvalue())
    return buf.getvalue()


@dataclass(frozen=True)
class Onnx:
    """ONNX structure: op | drop_node | dup_node | swap | drop_init | dims | dtype | raw | attr |
    in_dim | in_rank | out | node_in | opset | ir."""
    op: str
    at: int
    arg: Any = None

    def apply(self, data: bytes) -> bytes:
        import onnx
        from onnx import helper

        m = onnx.load_from_string(data)
        g = m.graph
        nodes, inits = g.node, g.initializer
        node = nodes[self.at % len(nodes)] if len(nodes) else None
        init = inits[self.at % len(inits)] if len(inits) else None
        if self.op == "op" and node is not None:
            node.op_type = self.arg
        elif self.op == "drop_node" and node is not None:
            nodes.remove(node)
        elif self.op == "dup_node" and node is not None:
            nodes.insert(self.at % len(nodes), onnx.NodeProto.FromString(node.SerializeToString()))
        elif self.op == "swap" and len(nodes) > 1:
            i = self.at % (len(nodes) - 1)
            a, b = (onnx.NodeProto.FromString(n.SerializeToString()) for n in (nodes[i], nodes[i + 1]))
            nodes[i].CopyFrom(b)
            nodes[i + 1].CopyFrom(a)
        elif self.op == "drop_init" and init is not None:
            inits.remove(init)
        elif self.op == "dims" and init is not None:
            del init.dims[:]
            init.dims.extend(self.arg)
        elif self.op == "dtype" and init is not None:
            init.data_type = self.arg
        elif self.op == "raw" and init is not None and init.raw_data:
            init.raw_data = init.raw_data[: len(init.raw_data) // 2] if self.arg else init.raw_data + b"\0\0\0"
        elif self.op == "attr" and node is not None:
            name, value = self.arg
            keep = [a for a in node.attribute if a.name != name]
            del node.attribute[:]
            node.attribute.extend(keep + [helper.make_attribute(name, value)])
        elif self.op == "in_dim" and len(g.input):
            dims = g.input[0].type.tensor_type.shape.dim
            if len(dims):
                d = dims[self.at % len(dims)]
                if isinstance(self.arg, str):
                    d.dim_param = self.arg
                else:
                    d.dim_value = self.arg
        elif self.op == "in_rank" and len(g.input):
            dims = g.input[0].type.tensor_type.shape.dim
            if self.arg and len(dims):
                del dims[-1]
            else:
                dims.add().dim_value = 2
        elif self.op == "out" and len(g.output):
            if self.arg == "drop":
                del g.output[:]
            elif self.arg == "extra":
                g.output.add().CopyFrom(g.input[0] if len(g.input) else g.output[0])
            elif self.arg == "shape":
                dims = g.output[0].type.tensor_type.shape.dim
                if len(dims):
                    dims[-1].dim_value = 12
            else:
                g.output[0].name = str(self.arg)
        elif self.op == "node_in" and node is not None and len(node.input):
            node.input[self.at % len(node.input)] = str(self.arg)
        elif self.op == "opset" and len(m.opset_import):
            if isinstance(self.arg, str):
                m.opset_import[0].domain = self.arg
            else:
                m.opset_import[0].version = self.arg
        elif self.op == "ir":
            m.ir_version = self.arg
        return m.SerializeToString()


# --------------------------------------------------------------------------------------------
# strategies
# --------------------------------------------------------------------------------------------

POS = st.integers(0, 1 << 20)
SOME_BYTES = st.one_of(st.binary(min_size=1, max_size=8),
                       st.sampled_from([b"\x00", b"\xff", b"\n", b"\r\n", b" ", b"#", b"\xc3", b"\xef\xbb\xbf",
                                        b"{", b"}", b"[", b"]", b'"', b",", b"0", b"f", b"g", b"-", b"NaN"]))


def byte_corruptions() -> st.SearchStrategy[Bytes]:
    return st.one_of(
        st.builds(Bytes, st.just("truncate"), POS),
        st.builds(Bytes, st.just("flip"), POS, st.integers(1, 255)),
        st.builds(Bytes, st.just("insert"), POS, SOME_BYTES),
        st.builds(Bytes, st.just("delete"), POS, st.integers(1, 64)),
        st.builds(Bytes, st.just("overwrite"), POS, SOME_BYTES),
    )


def line_corruptions(texts: st.SearchStrategy[str]) -> st.SearchStrategy[Lines]:
    return st.one_of(
        st.builds(Lines, st.sampled_from(["drop", "dup", "upper", "crlf", "noeol", "bom"]), POS),
        st.builds(Lines, st.sampled_from(["swap", "blank", "space"]), POS, st.sampled_from(["", "x"])),
        st.builds(Lines, st.sampled_from(["insert", "replace"]), POS, texts),
    )


HEX_TEXTS = st.one_of(
    st.text("0123456789abcdefABCDEF", max_size=70),
    st.text(max_size=12),
    st.sampled_from(["@0000", "// comment", "# comment", "0x1f", "zz", "xxxxxxxx",
                     "ｆｆ",  # noqa: RUF001 - full-width "ff" on purpose: looks like hex, is not
                     "\x00", "-1", "1_0", "ffffffff", "fffffffff", "00000000", " 0000000", "0000000 ", "0000 0000",
                     "1" * 64, "f" * 65]),
)

WEIRD = st.one_of(
    st.none(), st.booleans(), st.integers(),
    st.sampled_from([0, -1, 1, 2, 3, 4, 7, 8, 255, 256, (1 << 31) - 1, 1 << 31, (1 << 32) - 1, 1 << 32, 1 << 63,
                     1 << 64, -(1 << 63), 10 ** 30]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.5, -0.0, 1e308, 8.0, math.nan, math.inf, -math.inf]),
    st.text(max_size=8),
    st.sampled_from(["", "x", "../x", "/", ".hidden", "prog", "manifest.json", "prog/0PROG_A", "a" * 300, "é",
                     "model", "icarus", "hybrid", "digits", "accelscope-bundle/1", "sys_cmd", "memory"]),
    st.just([]), st.just({}), st.lists(st.integers(-3, 300), max_size=3),
)
KEYS = st.one_of(st.text(max_size=6), st.sampled_from(["schema", "hardware", "map", "memories", "registers",
                                                       "sha256", "plan", "model", "path", "simulator", "type",
                                                       "weights", "layers", "input_shape", "K", "N"]))


def json_corruptions() -> st.SearchStrategy[Json]:
    return st.one_of(
        st.builds(Json, st.just("delete"), POS),
        st.builds(Json, st.sampled_from(["rename", "add"]), POS, KEYS),
        st.builds(Json, st.just("set"), POS, WEIRD),
        st.builds(Json, st.just("add"), POS, WEIRD),
        st.builds(Json, st.just("wrap"), POS, st.booleans()),
        st.builds(Json, st.just("bump"), POS, st.sampled_from([-2, -1, 1, 2, "neg", "double", "pow"])),
        st.builds(Json, st.just("deep"), POS, st.sampled_from([2, 64, 400, 990, 3000, 100_000])),
    )


DTYPES = ["bool", "int8", "uint8", "int16", "int32", "uint32", "int64", "uint64", "float16", "float32", "float64",
          "complex64", "<U4", "S4", "M8[s]", "m8[s]", ">i8", ">f8", [("a", "<i4")], "V8"]


def npy_corruptions() -> st.SearchStrategy[Npy]:
    return st.one_of(
        st.builds(Npy, st.just("dtype"), st.sampled_from(DTYPES)),
        st.builds(Npy, st.just("shape"), st.sampled_from(["flat", "row", "axis", "transpose", "empty", "empty_cols",
                                                          "drop_col", "add_col", "drop_row", "add_row"])),
        st.builds(Npy, st.just("value"), st.tuples(st.sampled_from(["nan", "inf", "-inf", "half", "huge", "2^31",
                                                                    "2^40", "2^63-1", "-2^63", "-1", "0", "128",
                                                                    "-129", "2"]), POS)),
        st.builds(Npy, st.sampled_from(["fortran", "scalar", "object", "npz"]), st.booleans()),
    )


ONNX_OPS = ["Sigmoid", "Foo", "", "Gemm", "MatMul", "Add", "Relu", "Conv", "Flatten", "Reshape", "Softmax", "Identity",
            "Constant", "Dropout", "BatchNormalization", "MaxPool"]
ONNX_ATTRS = st.tuples(
    st.sampled_from(["transA", "transB", "alpha", "beta", "axis", "kernel_shape", "strides", "pads", "group",
                     "dilations", "epsilon", "training_mode", "auto_pad", "ceil_mode", "value", "unknown"]),
    st.sampled_from([0, 1, 2, -1, 1.5, math.nan, math.inf, [1, 1], [0, 0, 0, 0], [3], [1, 1, 1], "SAME_UPPER", "x",
                     [2.0]]))


def onnx_corruptions() -> st.SearchStrategy[Onnx]:
    return st.one_of(
        st.builds(Onnx, st.just("op"), POS, st.sampled_from(ONNX_OPS)),
        st.builds(Onnx, st.sampled_from(["drop_node", "dup_node", "swap", "drop_init", "ir"]), POS,
                  st.sampled_from([0, 1, 3, 7, 8, 99])),
        st.builds(Onnx, st.just("dims"), POS, st.lists(st.sampled_from([0, 1, 2, 10, 16, 64, 65, -1]), max_size=3)),
        st.builds(Onnx, st.just("dtype"), POS, st.integers(0, 17)),
        st.builds(Onnx, st.just("raw"), POS, st.booleans()),
        st.builds(Onnx, st.just("attr"), POS, ONNX_ATTRS),
        st.builds(Onnx, st.just("in_dim"), POS, st.sampled_from([0, 1, 2, 63, 65, 1 << 40, "batch", ""])),
        st.builds(Onnx, st.just("in_rank"), POS, st.booleans()),
        st.builds(Onnx, st.just("out"), POS, st.sampled_from(["drop", "extra", "shape", "input", "zzz", ""])),
        st.builds(Onnx, st.just("node_in"), POS, st.sampled_from(["", "nope", "input", "output"])),
        st.builds(Onnx, st.just("opset"), POS, st.sampled_from([1, 12, 13, 17, 99, -1, "com.example"])),
    )


def firmware_lines() -> st.SearchStrategy[str]:
    """Instruction lines in the text format, mostly plausible, with bad names and values."""
    names = st.sampled_from([*SIGNATURES, *THRESHOLD_DIRECTIVES, "cp.vv_add", "foo", "begin", "v_commit(", "#", "9x"])
    args = st.one_of(st.integers(-5, 70).map(str), st.integers().map(str),
                     st.sampled_from(["N", "M", "first", "last", "notfirst", "notlast", "none", "-", "x=1",
                                      "cond1=first", "condition2=last", "addr=3", "size=M", "axis=N", "row=1", "0x7f",
                                      "1e3", "-0", "[1]", "'N'", "2**40", "99999999999999999999", "", "=", "1,,2"]))
    return st.one_of(
        st.builds(lambda n, a, sep: n + " " + sep.join(a), names, st.lists(args, max_size=7),
                  st.sampled_from([" ", ", ", ","])),
        st.builds(lambda n, a: f"{n}({', '.join(a)})", names, st.lists(args, max_size=4)),
        st.text(max_size=16),
    )


# --------------------------------------------------------------------------------------------
# valid inputs (built once per process with the project's own tools)
# --------------------------------------------------------------------------------------------

@functools.cache
def base_dir() -> Path:
    d = Path(tempfile.mkdtemp(prefix="accelscope-fuzz-"))
    atexit.register(shutil.rmtree, d, True)
    return d


def _ok(argv: list[Any]) -> Run:
    run = run_cli(argv)
    assert run.code == 0 and not run.traceback, f"valid input rejected: {run.argv}: {run.err}{run.traceback}"
    return run


@functools.cache
def base_bundle() -> Path:
    """`accelscope compile` of the example MLP on a 4-image batch."""
    d = base_dir() / "base_bundle"
    d.mkdir()
    np.save(d / "x.npy", np.random.default_rng(1).random((4, 64)).astype(np.float32) * 16)
    _ok(["compile", MLP_JSON, "--out", d / "b", "--input", d / "x.npy"])
    return d / "b"


def bundle_files() -> list[str]:
    b = base_bundle()
    return sorted(p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file())


@functools.cache
def base_onnx() -> bytes:
    """The example MLP exported by pymodel.net.importers.export_onnx."""
    return export_onnx(load_json(MLP_JSON), base_dir() / "base.onnx").read_bytes()


@functools.cache
def base_scenario() -> bytes:
    doc = json.loads(SCENARIO.read_text())
    doc["model"]["path"] = "m.onnx"  # relative to the scenario, as in examples/
    return json.dumps(doc, indent=2).encode()


@functools.cache
def base_eval() -> dict[str, Any]:
    """results.json of the uncorrupted scenario (--sim model)."""
    with workdir() as d:
        (d / "s.json").write_bytes(base_scenario())
        (d / "m.onnx").write_bytes(base_onnx())
        _ok(["eval", d / "s.json", "--sim", "model", "--out", d / "r.json"])
        return json.loads((d / "r.json").read_text())


FIRMWARE = ("distribution", "lane_stats", "vector_change", "minicache")


@functools.cache
def base_firmware(name: str) -> bytes:
    """A library program in the text format (the disassembler's output)."""
    cfg = LebugConfig()
    return disassemble(build(name, cfg), cfg).encode()


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


@functools.cache
def base_arrays() -> dict[str, bytes]:
    """Valid .npy inputs: LeBug stream, eof bits and thresholds; GEMM A, B and bias; compile batch."""
    rng = np.random.default_rng(7)
    eof = np.zeros((12, 2), np.int64)
    eof[3::4, 0] = 1
    return {"x.npy": _npy(rng.integers(-3, 9, (12, 8))), "eof.npy": _npy(eof),
            "thr.npy": _npy(np.arange(17, dtype=np.int64)),
            "a.npy": _npy(rng.integers(-128, 128, (5, 8)).astype(np.int8)),
            "b.npy": _npy(rng.integers(-128, 128, (8, 6)).astype(np.int8)),
            "bias.npy": _npy(rng.integers(-1000, 1000, 6).astype(np.int32)),
            "cx.npy": _npy((rng.random((3, 64)) * 16).astype(np.float32))}


@functools.cache
def base_network() -> dict[str, bytes]:
    return {"net.json": MLP_JSON.read_bytes().replace(b'"digits_mlp.npz"', b'"net.npz"'),
            "net.npz": MLP_JSON.with_suffix(".npz").read_bytes()}


def write_inputs(d: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        (d / name).write_bytes(data)


@contextlib.contextmanager
def corrupted_inputs(target: str, base: dict[str, bytes], file: str, corruption: Any) -> Any:
    """A work directory holding the `base` inputs with `file` corrupted (one input tried)."""
    tried(target)
    with workdir() as d:
        write_inputs(d, {**base, file: corruption.apply(base[file])})
        yield d


def run_checked(target: str, d: Path, argv: list[Any], names: set[str], outputs: tuple[str, ...] = ()) -> Run:
    before = snapshot(d)
    run = run_cli(argv)
    check(target, run, d, before, names, outputs)
    return run


# --------------------------------------------------------------------------------------------
# target: bundles (prog --check, replay, prog)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """One corrupted input: `file` (for firmware: the library program the text starts from) and the
    corruption; for a bundle file, `then` "restamp" gives the manifest the damaged file's new
    checksum and "unsum" deletes its key (so the rules behind the checksum are reached)."""
    file: str
    corruption: Any
    then: str = ""


@st.composite
def bundle_cases(draw: Callable) -> Case:
    f = draw(st.sampled_from(bundle_files()))
    if f == "manifest.json":
        return Case(f, draw(st.one_of(json_corruptions(), json_corruptions(), byte_corruptions())))
    corruption = draw(st.one_of(line_corruptions(HEX_TEXTS), byte_corruptions()))
    return Case(f, corruption, draw(st.sampled_from(["", "", "restamp", "unsum"])))


def _edit_sums(b: Path, fn: Callable[[dict], None]) -> None:
    meta = json.loads((b / "manifest.json").read_text())
    fn(meta["sha256"])
    (b / "manifest.json").write_text(json.dumps(meta, indent=1) + "\n")


def check_bundle(case: Case) -> None:
    tried("bundle")
    base = base_bundle()
    with workdir() as d:
        b = d / "b"
        shutil.copytree(base, b)
        old = (base / case.file).read_bytes()
        new = case.corruption.apply(old)
        (b / case.file).write_bytes(new)
        if case.then == "restamp":
            _edit_sums(b, lambda s: s.update({case.file: hashlib.sha256(new).hexdigest()}))
        elif case.then == "unsum":
            _edit_sums(b, lambda s: s.pop(case.file))
        files = set(bundle_files())
        # the damaged file, or (when its checksum was re-stamped or dropped, so a cross-file rule
        # catches it) any file of the bundle
        names = {case.file} if case.file == "manifest.json" or not case.then else files
        hashed_change = new != old and not case.then and case.file != "manifest.json"

        chk = run_checked("bundle", d, ["prog", "--check", b], names)
        if hashed_change:
            assert chk.code == 2, f"{case}: a file changed behind its checksum, and prog --check accepted it"
        if chk.code == 0:  # accepted: the bundle means exactly what the compiler wrote
            orig = load_bundle(base)
            assert read_prog(b) == orig.records() == load_bundle(b).records(), f"{case}: accepted other records"

        rep = run_checked("bundle", d, ["replay", b, "--sim", "icarus"], names)
        assert rep.reached_sim == (chk.code == 0), f"{case}: prog --check exit {chk.code} but replay " + (
            "reached the simulator" if rep.reached_sim else f"exit {rep.code}: {rep.err}")
        if not rep.reached_sim:
            assert rep.err == chk.err, f"{case}: replay and prog --check disagree: {rep.err!r} vs {chk.err!r}"

        prog = run_checked("bundle", d, ["prog", b], names,
                           outputs=("b/prog/0PROG_A", "b/prog/0PROG_D", "b/manifest.json"))
        if hashed_change and case.file not in PROG_FILES:  # prog reads the images, rewrites the records
            assert prog.code == 2, f"{case}: an image changed behind its checksum, and prog accepted it"
        if prog.code == 0:  # the rewritten bundle is whole and self-consistent
            again = run_cli(["prog", "--check", b])
            assert again.code == 0, f"{case}: prog wrote a bundle that prog --check rejects: {again.err}"


# --------------------------------------------------------------------------------------------
# target: scenarios and ONNX models (eval --sim model)
# --------------------------------------------------------------------------------------------

def _check_results(r: Path, where: str) -> dict[str, Any]:
    res = json.loads(r.read_text())
    acc = res["accuracy"]
    assert all(0.0 <= acc[k] <= 1.0 for k in ("float", "fake_quant", "integer")), f"{where}: accuracy {acc}"
    cm = np.asarray(res["confusion"])
    # the model path's confusion matrix covers the first `samples` test images
    assert cm.shape == (10, 10) and 0 < cm.sum() <= res["test_images"], f"{where}: confusion {cm.shape}"
    assert res["rtl_images"] == 0 and res["simulator"] == "model", f"{where}: {res['simulator']}"
    return res


def _eval(target: str, d: Path, names: set[str], where: str) -> Run:
    run = run_checked(target, d, ["eval", d / "s.json", "--sim", "model", "--out", d / "r.json"], names,
                      outputs=("r.json",))
    if run.code == 0:
        res = _check_results(d / "r.json", where)
        base = base_eval()
        if (res["model"], res["mode"]) == (base["model"], base["mode"]) and target == "scenario":
            assert res["accuracy"] == base["accuracy"], f"{where}: same model and mode, other accuracy"
    else:
        assert not (d / "r.json").exists()
    return run


def scenario_cases() -> st.SearchStrategy:
    return st.one_of(json_corruptions(), json_corruptions(), byte_corruptions())


def check_scenario(corruption: Any) -> None:
    with corrupted_inputs("scenario", {"s.json": base_scenario(), "m.onnx": base_onnx()}, "s.json", corruption) as d:
        text = (d / "s.json").read_bytes()
        names = {"s.json"}
        try:  # a model path the corrupted scenario names is the file an error may name instead
            names.add(Path(json.loads(text)["model"]["path"]).name or "s.json")
        except Exception:
            pass
        _eval("scenario", d, names, f"{corruption}")


def onnx_cases() -> st.SearchStrategy:
    return st.one_of(onnx_corruptions(), onnx_corruptions(), byte_corruptions())


def check_onnx(corruption: Any) -> None:
    with corrupted_inputs("onnx", {"s.json": base_scenario(), "m.onnx": base_onnx()}, "m.onnx", corruption) as d:
        _eval("onnx", d, {"m.onnx"}, f"{corruption}")


# --------------------------------------------------------------------------------------------
# target: LeBug firmware files (lebug --firmware-file, --disassemble, compile --tap-file, sim FILE)
# --------------------------------------------------------------------------------------------

def firmware_cases() -> st.SearchStrategy[Case]:
    return st.builds(Case, st.sampled_from(FIRMWARE),
                     st.one_of(line_corruptions(firmware_lines()), line_corruptions(firmware_lines()),
                               byte_corruptions()))


def check_firmware(case: Case) -> None:
    base = {"fw.txt": base_firmware(case.file), "x.npy": base_arrays()["x.npy"]}
    with corrupted_inputs("firmware", base, "fw.txt", case.corruption) as d:
        f = d / "fw.txt"
        names = {"fw.txt"}
        dis = run_checked("firmware", d, ["lebug", "--firmware-file", f, "--disassemble"], names)
        if dis.code == 0:  # the disassembly is the same firmware again (round trip)
            cfg = LebugConfig()
            fw = load_firmware_file(f, cfg)
            again = compile_text(dis.out, cfg, str(f))
            assert encode_firmware(again, cfg) == encode_firmware(fw, cfg), f"{case}: disassembly is other firmware"
            assert disassemble(again, cfg) == dis.out
        run = run_checked("firmware", d, ["lebug", "--firmware-file", f, "--input", d / "x.npy", "--out", d / "o.npy"],
                          names, outputs=("o.npy",))
        if run.code == 0:
            out = np.load(d / "o.npy", allow_pickle=False)
            assert out.ndim == 2 and out.shape[1] == 8 and dis.code == 0, f"{case}: trace {out.shape}"
        else:
            assert not (d / "o.npy").exists()
        comp = run_checked("firmware", d, ["compile", MLP_JSON, "--out", d / "c", "--tap-file", f], names,
                           outputs=("c",))
        if comp.code == 0:
            load_bundle(d / "c")  # whole and valid
        sim = run_checked("firmware", d, ["sim", f, "--sim", "icarus"], names)
        if dis.code == 0:
            assert sim.reached_sim, f"{case}: lebug accepts the file, sim does not: {sim.err}"


# --------------------------------------------------------------------------------------------
# target: .npy inputs (lebug, gemm --sim model, compile --input)
# --------------------------------------------------------------------------------------------

NPY_FILES = ("x.npy", "eof.npy", "thr.npy", "a.npy", "b.npy", "bias.npy", "cx.npy")


def npy_cases() -> st.SearchStrategy[Case]:
    return st.builds(Case, st.sampled_from(NPY_FILES),
                      st.one_of(npy_corruptions(), npy_corruptions(), byte_corruptions()))


def _int_matrix(path: Path) -> np.ndarray | None:
    """The reference reading of a GEMM operand (None if it is not a set of integers)."""
    try:
        a = np.load(path, allow_pickle=False)
    except Exception:
        return None
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "iuf" or a.size == 0:
        return None
    if a.dtype.kind == "f" and not (np.all(np.isfinite(a)) and np.all(a == np.round(a))):
        return None
    return a.astype(np.int64)


def check_npy(case: Case) -> None:
    with corrupted_inputs("npy", base_arrays(), case.file, case.corruption) as d:
        names = {case.file}
        if case.file in ("x.npy", "eof.npy", "thr.npy"):
            run = run_checked("npy", d, ["lebug", "distribution", "--input", d / "x.npy", "--eof", d / "eof.npy",
                                         "--thresholds", d / "thr.npy", "--out", d / "o.npy"], names, ("o.npy",))
            if run.code == 0:
                out = np.load(d / "o.npy", allow_pickle=False)
                assert out.ndim == 2 and out.shape[1] == 8 and np.all(np.isfinite(out)), f"{case}: {out.shape}"
        elif case.file in ("a.npy", "b.npy", "bias.npy"):
            run = run_checked("npy", d, ["gemm", "--a", d / "a.npy", "--b", d / "b.npy", "--bias", d / "bias.npy",
                                         "--relu", "--sim", "model", "--out", d / "c.npy", "--stats", d / "st.json"],
                              names, ("c.npy", "st.json"))
            if run.code == 0:  # C against numpy on the same (corrupted) operands
                a, b, bias = (_int_matrix(d / n) for n in ("a.npy", "b.npy", "bias.npy"))
                assert a is not None and b is not None and bias is not None, f"{case}: accepted a non-integer operand"
                want = np.maximum(a @ b + bias, 0)
                got = np.load(d / "c.npy", allow_pickle=False)
                assert got.dtype == np.int32 and np.array_equal(got, want), f"{case}: C differs from numpy"
                assert json.loads((d / "st.json").read_text())["macs"] > 0
        else:
            run = run_checked("npy", d, ["compile", MLP_JSON, "--input", d / "cx.npy", "--out", d / "c"], names,
                              ("c",))
            if run.code == 0:
                b = load_bundle(d / "c")
                assert b.extra["network"]["batch"] == len(np.load(d / "cx.npy", allow_pickle=False)), f"{case}"


# --------------------------------------------------------------------------------------------
# target: networks (compile NET.json with its npz)
# --------------------------------------------------------------------------------------------

def network_cases() -> st.SearchStrategy[Case]:
    npz = st.builds(Npz, POS, st.one_of(npy_corruptions(), st.sampled_from(["drop", "rename"])))
    return st.one_of(st.builds(Case, st.just("net.json"), st.one_of(json_corruptions(), byte_corruptions())),
                     st.builds(Case, st.just("net.npz"), st.one_of(npz, byte_corruptions())))


def check_network(case: Case) -> None:
    with corrupted_inputs("network", base_network(), case.file, case.corruption) as d:
        run = run_checked("network", d, ["compile", d / "net.json", "--out", d / "c", "--batch", "3"],
                          {"net.json", "net.npz"}, ("c",))
        if run.code == 0:
            b = load_bundle(d / "c")
            assert b.extra["network"]["batch"] == 3


# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    name: str
    strategy: Callable[[], st.SearchStrategy]
    check: Callable[[Any], None]
    what: str = ""


TARGETS = {t.name: t for t in (
    Target("bundle", bundle_cases, check_bundle, "compiled bundle: manifest, hex images, PROG records; "
                                                 "prog --check, replay (simulator stubbed), prog"),
    Target("scenario", scenario_cases, check_scenario, "evaluation scenario JSON; eval --sim model"),
    Target("onnx", onnx_cases, check_onnx, "ONNX model of a scenario; eval --sim model"),
    Target("firmware", firmware_cases, check_firmware, "LeBug firmware text; lebug --firmware-file (run and "
                                                       "--disassemble), compile --tap-file, sim FILE (stubbed)"),
    Target("npy", npy_cases, check_npy, ".npy inputs; lebug, gemm --sim model, compile --input"),
    Target("network", network_cases, check_network, "network JSON + npz; compile"),
)}
