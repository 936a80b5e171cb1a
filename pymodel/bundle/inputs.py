"""Input batches of a compiled network: one directory per batch, apart from the bundle
(docs/bundle.md, "Input batches").

A bundle holds the network (weights, descriptors, tap firmware) but no input; each batch
is written to the input region of the activation scratchpad before `start`:

```
batch_000/input.json   schema, the memory window, the region (base word, words), batch size,
                       valid images, the program it belongs to, the SHA-256 of the three files
batch_000/input.hex    $readmemh words of the region: "@<base word, hex>" then one word a line
batch_000/0PROG_A      APB write addresses (the bundle's record format)
batch_000/0PROG_D      APB write data, line i pairs with line i of 0PROG_A
```

`$readmemh("input.hex", dut.u_act.mem)` loads the region at its address (the `@` line);
the records write the same words over APB, chunks low first. `load_input` validates all of
it (schema, hex, records equal to the hex, checksums) before returning anything.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pymodel import fileio
from pymodel.bundle.bundle import PROG_A, PROG_D, MemorySpec, prog_texts, read_prog
from pymodel.bundle.hexio import format_image, parse_image
from pymodel.errors import AccelscopeError

SCHEMA = "accelscope-input/1"
INPUT_JSON = "input.json"
INPUT_HEX = "input.hex"
FILES = (INPUT_HEX, PROG_A, PROG_D)


def batch_dir_name(i: int) -> str:
    return f"batch_{i:03d}"


@dataclass(frozen=True)
class InputBatch:
    """The words of one batch's input region: `words` (n, chunks) uint32 at word `base` of
    `memory` (the bundle's activation window); `images` of `batch` images are real, the rest
    zero padding. `program` identifies the bundle it belongs to (`program_id`)."""

    memory: MemorySpec
    base: int
    words: np.ndarray
    batch: int
    images: int
    program: str

    def __post_init__(self) -> None:
        w = np.asarray(self.words)
        if w.ndim != 2 or w.shape[1] != self.memory.chunks or w.dtype != np.uint32:
            raise AccelscopeError(f"input batch: words must be (n, {self.memory.chunks}) uint32, "
                                  f"got {w.dtype} {w.shape}")
        if self.base < 0 or self.base + len(w) > self.memory.capacity:
            raise AccelscopeError(f"input batch: words {self.base}..{self.base + len(w) - 1} outside "
                                  f"{self.memory.name} (capacity {self.memory.capacity} words)")
        if not 0 <= self.images <= self.batch:
            raise AccelscopeError(f"input batch: {self.images} images in a batch of {self.batch}")

    def records(self) -> list[tuple[int, int]]:
        """APB writes of the region: word by word, chunks low first (as a bundle's records)."""
        m = self.memory
        word = self.base + np.arange(len(self.words))
        addrs = (m.base + word[:, None] * m.stride + 4 * np.arange(m.chunks)[None, :]).ravel()
        return list(zip(addrs.tolist(), np.asarray(self.words).ravel().tolist()))

    def hex_text(self) -> str:
        return f"@{self.base:x}\n" + format_image(self.words, self.memory.width)

    def files(self) -> dict[str, bytes]:
        """Every file of the batch directory, name -> bytes."""
        text_a, text_d = prog_texts(self.records())
        data = {INPUT_HEX: self.hex_text().encode(), PROG_A: text_a.encode(), PROG_D: text_d.encode()}
        meta = {"schema": SCHEMA, "memory": {k: getattr(self.memory, k) for k in ("name", "base", "width", "stride",
                                                                                  "capacity")},
                "base": self.base, "words": int(len(self.words)), "batch": self.batch, "images": self.images,
                "program": self.program, "sha256": {n: hashlib.sha256(b).hexdigest() for n, b in data.items()}}
        return {**data, INPUT_JSON: (json.dumps(meta, indent=1) + "\n").encode()}


def write_batches(out: Path, batches: Sequence[InputBatch]) -> list[Path]:
    """OUT/batch_000, batch_001, ...: built in a temporary directory beside `out` and renamed into
    place (`out` must be absent or empty: nothing is half-written)."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise AccelscopeError(f"{out}: exists and is not an empty directory")
    with fileio.atomic_dir(out) as tmp:
        for i, b in enumerate(batches):
            d = tmp / batch_dir_name(i)
            d.mkdir()
            fileio.write_files({d / name: data for name, data in b.files().items()})
    return [out / batch_dir_name(i) for i in range(len(batches))]


def _field(meta: dict[str, Any], key: str, typ: type, where: str) -> Any:
    v = meta.get(key)
    if not isinstance(v, typ) or isinstance(v, bool):
        raise AccelscopeError(f"{where} {key}: expected {'an integer' if typ is int else typ.__name__}, got {v!r:.40}")
    return v


def load_input(path: Path) -> InputBatch:
    """Read and validate one batch directory: input.json, input.hex (its checksum and syntax),
    and 0PROG_A / 0PROG_D equal to the words of input.hex. Errors name the file (and line)."""
    path = Path(path)
    meta = fileio.read_json(path / INPUT_JSON, "file", "no such file (not an input batch directory?)",
                            where=INPUT_JSON)
    if not isinstance(meta, dict) or meta.get("schema") != SCHEMA:
        got = meta.get("schema") if isinstance(meta, dict) else None
        raise AccelscopeError(f"{INPUT_JSON}: unknown schema {got!r} (expected {SCHEMA!r})")
    mem = meta.get("memory")
    if not isinstance(mem, dict):
        raise AccelscopeError(f"{INPUT_JSON} memory: expected a JSON object")
    name = _field(mem, "name", str, f"{INPUT_JSON} memory")
    base, width = (_field(mem, k, int, f"{INPUT_JSON} memory") for k in ("base", "width"))
    spec = MemorySpec(name, base, width, 0, _field(mem, "capacity", int, f"{INPUT_JSON} memory"),
                      _field(mem, "stride", int, f"{INPUT_JSON} memory"), INPUT_HEX)
    if not 1 <= spec.width <= 1024 or spec.stride < 4 * spec.chunks:
        raise AccelscopeError(f"{INPUT_JSON} memory: width {spec.width} / stride {spec.stride} invalid")
    base, words = (_field(meta, k, int, INPUT_JSON) for k in ("base", "words"))
    sums = meta.get("sha256")
    if not isinstance(sums, dict):
        raise AccelscopeError(f"{INPUT_JSON} sha256: expected a JSON object")
    # each file: its syntax first (file:line errors), then its checksum, then what it means
    try:
        lines = (path / INPUT_HEX).read_text().split("\n", 1)
    except FileNotFoundError:
        raise AccelscopeError(f"{INPUT_HEX}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise AccelscopeError(f"{INPUT_HEX}: cannot read as text ({e})") from None
    if not lines[0].startswith("@") or lines[0][1:].strip() != f"{base:x}":
        raise AccelscopeError(f"{INPUT_HEX}:1: expected the address line @{base:x}, got {lines[0][:40]!r}")
    img = parse_image("\n" + (lines[1] if len(lines) > 1 else ""), spec.width, INPUT_HEX)  # line numbers from 2
    recs = read_prog(path, subdir=False)
    for f in FILES:
        got = hashlib.sha256((path / f).read_bytes()).hexdigest()
        if sums.get(f) != got:
            raise AccelscopeError(f"{f}: checksum mismatch ({INPUT_JSON} says sha256 {str(sums.get(f))[:16]}..., the "
                                  f"file has {got[:16]}...): the file was changed after it was written")
    if len(img) != words:
        raise AccelscopeError(f"{INPUT_HEX}: {len(img)} words, but {INPUT_JSON} says {words}")
    batch = InputBatch(spec, base, img, _field(meta, "batch", int, INPUT_JSON), _field(meta, "images", int, INPUT_JSON),
                       _field(meta, "program", str, INPUT_JSON))
    want = batch.records()
    for i, (got_r, want_r) in enumerate(zip(recs, want), start=1):
        if got_r != want_r:
            raise AccelscopeError(f"{PROG_A}:{i}: record ({got_r[0]:#010x}, {got_r[1]:#010x}) differs from "
                                  f"{INPUT_HEX}: expected ({want_r[0]:#010x}, {want_r[1]:#010x})")
    if len(recs) != len(want):
        raise AccelscopeError(f"{PROG_A}: {len(recs)} records, {INPUT_HEX} gives {len(want)}")
    return batch
