"""The compiled bundle: manifest.json + one hex image per memory + prog/0PROG_A, 0PROG_D.

A bundle is validated whole before anything uses it (`load_bundle`): manifest
schema and map, every image, and (when present) the PROG records, each file against
the SHA-256 the manifest gives for it. Errors name the file and line. Layout and
rules: docs/bundle.md.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pymodel import fileio
from pymodel.bundle.hexio import chunks_for, format_image, read_image
from pymodel.errors import AccelscopeError
from pymodel.schemas import manifest_schema, validate
from pymodel.top.config import TopConfig

SCHEMA = "accelscope-bundle/1"
MANIFEST = "manifest.json"
PROG_DIR = "prog"
PROG_A = "0PROG_A"
PROG_D = "0PROG_D"
SHA256 = "sha256"  # manifest key: bundle-relative file name -> SHA-256 (hex) of its bytes
PROG_FILES = (f"{PROG_DIR}/{PROG_A}", f"{PROG_DIR}/{PROG_D}")


@dataclass(frozen=True)
class Region:
    """One window of the top-level APB map."""

    name: str
    base: int
    size: int  # bytes
    kind: str  # "memory" or "registers"

    def contains(self, addr: int) -> bool:
        return self.base <= addr < self.base + self.size


@dataclass(frozen=True)
class MemorySpec:
    """A memory image: `depth` words of `width` bits at APB `base`, `stride` bytes a word,
    32-bit chunks low first at base + i*stride + 4*c. `capacity` words exist in hardware."""

    name: str
    base: int
    width: int
    depth: int
    capacity: int
    stride: int
    file: str

    @property
    def chunks(self) -> int:
        return chunks_for(self.width)

    def end(self) -> int:
        return self.base + self.capacity * self.stride


@dataclass(frozen=True)
class RegisterWrite:
    name: str
    addr: int
    value: int


@dataclass
class Bundle:
    path: Path | None
    hardware: dict[str, Any]
    regions: list[Region]
    memories: list[MemorySpec]
    registers: list[RegisterWrite]
    images: dict[str, np.ndarray]  # name -> (depth, chunks) uint32
    plan: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # model metadata, tap firmware, ...
    digests: dict[str, str] = field(default_factory=dict)  # file -> SHA-256 of the bytes load_bundle checked

    # -- records -------------------------------------------------------------
    def records(self) -> list[tuple[int, int]]:
        """APB writes: every memory word (chunks low first) in manifest order, then registers."""
        out: list[tuple[int, int]] = []
        for m in self.memories:
            img = self.images[m.name]
            addrs = (m.base + np.arange(m.depth)[:, None] * m.stride + 4 * np.arange(m.chunks)[None, :]).ravel()
            out += list(zip(addrs.tolist(), img.ravel().tolist()))
        out += [(r.addr, r.value & 0xFFFFFFFF) for r in self.registers]
        return out

    def images_from_records(self, records: list[tuple[int, int]], where: str = "records"
                            ) -> tuple[dict[str, np.ndarray], dict[int, int]]:
        """Rebuild images (unwritten words stay 0) and register values from APB writes."""
        images = {m.name: np.zeros((m.depth, m.chunks), dtype=np.uint32) for m in self.memories}
        regs: dict[int, int] = {}
        reg_addrs = {r.addr for r in self.registers}
        for i, (addr, data) in enumerate(records, start=1):
            m = self.memory_at(addr)
            if m is not None:
                word, chunk = divmod(addr - m.base, m.stride)
                chunk //= 4
                if word >= m.depth or chunk >= m.chunks:
                    raise AccelscopeError(f"{where}:{i}: address {addr:#010x} is in {m.name} but past its "
                                          f"image ({m.depth} words of {m.chunks} chunks)")
                images[m.name][word, chunk] = data
            elif addr in reg_addrs:
                regs[addr] = data
            else:
                raise AccelscopeError(f"{where}:{i}: address {addr:#010x} is outside the bundle's map")
        return images, regs

    def memory_at(self, addr: int) -> MemorySpec | None:
        for m in self.memories:
            if m.base <= addr < m.end():
                return m
        return None

    # -- files ---------------------------------------------------------------
    def manifest(self, sha256: dict[str, str] | None = None) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "hardware": self.hardware,
            "map": [asdict(r) for r in self.regions],
            "memories": [asdict(m) for m in self.memories],
            "registers": [asdict(r) for r in self.registers],
            "plan": self.plan,
            **self.extra,
            **({SHA256: sha256} if sha256 else {}),
        }

    def manifest_text(self, sha256: dict[str, str]) -> str:
        return json.dumps(self.manifest(sha256), indent=1) + "\n"

    def write(self, path: Path) -> None:
        """Write manifest, images and PROG files (validated first: nothing half-written on bad input)."""
        _validate_layout(self.regions, self.memories, self.registers, "bundle")
        for m in self.memories:
            img = self.images.get(m.name)
            if img is None or img.shape != (m.depth, m.chunks):
                raise AccelscopeError(f"bundle: image {m.name} has shape "
                                      f"{None if img is None else img.shape}, expected {(m.depth, m.chunks)}")
        _validate_files(self.memories, "bundle")
        path = Path(path)
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise AccelscopeError(f"{path}: exists and is not an empty directory")
        files = {m.file: format_image(self.images[m.name], m.width).encode() for m in self.memories}
        files.update(zip(PROG_FILES, (t.encode() for t in prog_texts(self.records()))))
        self.digests = {rel: sha256_hex(data) for rel, data in files.items()}
        # built in a temporary directory beside `path` and renamed into place
        with fileio.atomic_dir(path) as tmp:
            (tmp / PROG_DIR).mkdir()
            fileio.write_files({tmp / rel: data for rel, data in files.items()})
            fileio.write_text(tmp / MANIFEST, self.manifest_text(self.digests))
        self.path = path

    def rewrite_prog(self, path: Path) -> list[tuple[int, int]]:
        """`accelscope prog`: write prog/0PROG_A, 0PROG_D from the images and registers, and the
        manifest with the checksums of the images (as load_bundle read them) and the new records.
        All three are staged before any is renamed (pymodel/fileio.py)."""
        check_prog_targets(path)
        (path / PROG_DIR).mkdir(exist_ok=True)
        recs = self.records()
        prog = dict(zip(PROG_FILES, (t.encode() for t in prog_texts(recs))))
        sums = {m.file: self.digests[m.file] for m in self.memories}
        sums.update({rel: sha256_hex(data) for rel, data in prog.items()})
        fileio.write_files({**{path / rel: data for rel, data in prog.items()},
                            path / MANIFEST: self.manifest_text(sums).encode()})
        self.digests = sums
        return recs


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verify_checksum(path: Path, rel: str, sums: dict[str, str]) -> str:
    """The SHA-256 of bundle file `rel`; an error unless it is the one the manifest gives (if any)."""
    try:
        got = sha256_hex((path / rel).read_bytes())
    except OSError as e:
        raise AccelscopeError(f"{rel}: cannot read ({e.strerror})") from None
    want = sums.get(rel)
    if want is not None and got != want:
        raise AccelscopeError(f"{rel}: checksum mismatch ({MANIFEST} says sha256 {want[:16]}..., the file has "
                              f"{got[:16]}...): the file was changed after the bundle was written")
    return got


def prog_texts(records: Sequence[tuple[int, int]]) -> tuple[str, str]:
    """The 0PROG_A and 0PROG_D texts: one %08x a line, line i of A pairs with line i of D."""
    return ("".join(f"{a & 0xFFFFFFFF:08x}\n" for a, _ in records),
            "".join(f"{d & 0xFFFFFFFF:08x}\n" for _, d in records))


def write_prog(path: Path, records: Sequence[tuple[int, int]], subdir: bool = True) -> None:
    """path/prog/0PROG_A and 0PROG_D (path/0PROG_A and 0PROG_D when not subdir). A bundle's
    manifest checksums are not updated here: `Bundle.rewrite_prog` writes both."""
    prog = path / PROG_DIR if subdir else path
    check_prog_targets(path, subdir)
    prog.mkdir(parents=True, exist_ok=True)
    text_a, text_d = prog_texts(records)
    # both staged before either is renamed: a failure leaves the old pair
    fileio.write_files({prog / PROG_A: text_a.encode(), prog / PROG_D: text_d.encode()})


def check_prog_targets(path: Path, subdir: bool = True) -> None:
    """The PROG files can be (re)written: prog/ is a directory (or absent), each file a file (or absent)."""
    prog = path / PROG_DIR if subdir else path
    rel = f"{PROG_DIR}/" if subdir else ""
    if prog.exists() and not prog.is_dir():
        raise AccelscopeError(f"{rel or prog}: not a directory")
    for name in (PROG_A, PROG_D):
        f = prog / name
        if f.exists() and not f.is_file():
            raise AccelscopeError(f"{rel}{name}: is a directory (or not a regular file); nothing was written")


def read_prog(path: Path, subdir: bool = True) -> list[tuple[int, int]]:
    """Parse prog/0PROG_A and 0PROG_D (path/0PROG_A and 0PROG_D when not subdir) strictly: same
    line count, 8 hex digits a line, aligned. Errors name the file relative to `path`."""
    pre = f"{PROG_DIR}/" if subdir else ""
    fa, fd = path / f"{pre}{PROG_A}", path / f"{pre}{PROG_D}"
    cols = []
    for f in (fa, fd):
        rel = f"{pre}{f.name}"
        try:
            lines = f.read_text().splitlines()
        except IsADirectoryError:
            raise AccelscopeError(f"{rel}: is a directory, not a record file") from None
        except OSError as e:
            raise AccelscopeError(f"{rel}: cannot read ({e.strerror})") from None
        except UnicodeDecodeError:
            raise AccelscopeError(f"{rel}:1: not a text record file") from None
        vals = []
        for i, line in enumerate(lines, start=1):
            s = line.strip()
            if len(s) != 8 or any(ch not in "0123456789abcdefABCDEF" for ch in s):
                raise AccelscopeError(f"{rel}:{i}: bad record {line[:40]!r} (expected 8 hex digits)")
            vals.append(int(s, 16))
        cols.append(vals)
    if len(cols[0]) != len(cols[1]):
        raise AccelscopeError(f"{pre}{PROG_D}: {len(cols[1])} records but {pre}{PROG_A} has {len(cols[0])}")
    for i, a in enumerate(cols[0], start=1):
        if a % 4:
            raise AccelscopeError(f"{pre}{PROG_A}:{i}: misaligned address {a:#010x}")
    return list(zip(cols[0], cols[1]))


# --------------------------------------------------------------------------
# loading and validation
# --------------------------------------------------------------------------

def _need(obj: dict[str, Any], key: str, typ: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(obj, dict):
        raise AccelscopeError(f"{where}: expected a JSON object, got {type(obj).__name__} {obj!r:.40}")
    if key not in obj:
        raise AccelscopeError(f"{where}: missing field {key!r}")
    val = obj[key]
    if not isinstance(val, typ) or isinstance(val, bool):
        raise AccelscopeError(f"{where}: field {key!r} has the wrong type ({type(val).__name__})")
    return val


def _validate_layout(regions: list[Region], memories: list[MemorySpec], registers: list[RegisterWrite],
                     where: str) -> None:
    for g in regions:
        if g.base % 4 or g.size <= 0 or g.kind not in ("memory", "registers"):
            raise AccelscopeError(f"{where}: map region {g.name}: base must be 4-aligned, size > 0, "
                                  f"kind memory/registers")
    ordered = sorted(regions, key=lambda r: r.base)
    for a, b in itertools.pairwise(ordered):
        if a.base + a.size > b.base:
            raise AccelscopeError(f"{where}: map regions {a.name} and {b.name} overlap")
    by_name = {r.name: r for r in regions}
    seen: set[str] = set()
    for m in memories:
        if m.name in seen:
            raise AccelscopeError(f"{where}: memory {m.name} is listed twice")
        seen.add(m.name)
    mem_sorted = sorted(memories, key=lambda m: m.base)
    for m1, m2 in itertools.pairwise(mem_sorted):
        if m1.end() > m2.base:
            raise AccelscopeError(f"{where}: memories {m1.name} and {m2.name} overlap")
    for m in memories:
        w = f"{where}: memory {m.name}"
        if m.base % 4:
            raise AccelscopeError(f"{w}: misaligned base address {m.base:#x}")
        if not 1 <= m.width <= 1024 or m.stride % 4 or m.stride < 4 * m.chunks:
            raise AccelscopeError(f"{w}: width {m.width} / stride {m.stride} invalid (stride >= 4*chunks, 4-aligned)")
        if m.depth > m.capacity:
            raise AccelscopeError(f"{w}: memory overflows: {m.depth} words > capacity {m.capacity}")
        region = by_name.get(m.name)
        if region is None or region.kind != "memory" or m.base < region.base or m.end() > region.base + region.size:
            raise AccelscopeError(f"{w}: [{m.base:#x}, {m.end():#x}) is outside the map")
    for r in registers:
        if r.addr % 4:
            raise AccelscopeError(f"{where}: register {r.name}: misaligned address {r.addr:#x}")
        if not any(g.kind == "registers" and g.contains(r.addr) for g in regions):
            raise AccelscopeError(f"{where}: register {r.name}: address {r.addr:#x} is outside the map")
        if not 0 <= r.value < (1 << 32):
            raise AccelscopeError(f"{where}: register {r.name}: value {r.value} is not a 32-bit word")


def _validate_files(memories: list[MemorySpec], where: str) -> None:
    files: set[str] = set()
    for m in memories:
        if not m.file or "/" in m.file or "\\" in m.file or m.file.startswith(".") or m.file in (MANIFEST, PROG_DIR):
            raise AccelscopeError(f"{where}: memory {m.name}: file {m.file!r} must be a plain name in the bundle "
                                  f"(non-empty, not {MANIFEST} or {PROG_DIR})")
        if m.file in files:
            raise AccelscopeError(f"{where}: memory {m.name}: file {m.file!r} is used by two memories")
        files.add(m.file)


def load_bundle(path: Path, check_prog: bool = True) -> Bundle:
    """Load and validate a whole bundle; raises AccelscopeError naming the file (and line)."""
    path = Path(path)
    mf = path / MANIFEST
    meta = fileio.read_json(mf, "file", "no such file (not a bundle directory?)", where=MANIFEST)
    if not isinstance(meta, dict) or meta.get("schema") != SCHEMA:
        got = meta.get("schema") if isinstance(meta, dict) else None
        raise AccelscopeError(f"{MANIFEST}: unknown schema {got!r} (expected {SCHEMA!r})")

    validate(meta, manifest_schema(), MANIFEST)  # types, ranges, allowed keys at every level
    regions = [Region(_need(r, "name", str, f"{MANIFEST} map[{i}]"), _need(r, "base", int, f"{MANIFEST} map[{i}]"),
                      _need(r, "size", int, f"{MANIFEST} map[{i}]"), _need(r, "kind", str, f"{MANIFEST} map[{i}]"))
               for i, r in enumerate(_need(meta, "map", list, MANIFEST))]
    memories = []
    for i, m in enumerate(_need(meta, "memories", list, MANIFEST)):
        w = f"{MANIFEST} memories[{i}]"
        memories.append(MemorySpec(*(_need(m, k, str if k in ("name", "file") else int, w)
                                     for k in ("name", "base", "width", "depth", "capacity", "stride", "file"))))
    registers = [RegisterWrite(_need(r, "name", str, f"{MANIFEST} registers[{i}]"),
                               _need(r, "addr", int, f"{MANIFEST} registers[{i}]"),
                               _need(r, "value", int, f"{MANIFEST} registers[{i}]"))
                 for i, r in enumerate(_need(meta, "registers", list, MANIFEST))]
    _validate_layout(regions, memories, registers, MANIFEST)
    _validate_files(memories, MANIFEST)
    hardware = _need(meta, "hardware", dict, MANIFEST)

    TopConfig.from_hardware(hardware, MANIFEST)  # cross-field: a buildable accel_top (e.g. K and N divide)
    sums = meta.get(SHA256, {})
    files = [m.file for m in memories] + list(PROG_FILES)
    for rel in sums:
        if rel not in files:
            raise AccelscopeError(f"{MANIFEST} {SHA256}: {rel!r} is not a file of this bundle "
                                  f"(its memories' files, {', '.join(PROG_FILES)})")
    # each file: its syntax first (file:line errors), then its checksum, then what it means
    images, digests = {}, {}
    for m in memories:
        img = read_image(path / m.file, m.width, m.file)
        if img.shape[0] != m.depth:
            raise AccelscopeError(f"{m.file}: {img.shape[0]} words, but {MANIFEST} says depth {m.depth}")
        digests[m.file] = verify_checksum(path, m.file, sums)
        images[m.name] = img
    known = {"schema", "hardware", "map", "memories", "registers", "plan", SHA256}
    bundle = Bundle(path, hardware, regions, memories, registers, images,
                    meta.get("plan", {}), {k: v for k, v in meta.items() if k not in known}, digests)
    if check_prog:
        records = read_prog(path)
        for rel in PROG_FILES:
            digests[rel] = verify_checksum(path, rel, sums)
        check_records(bundle, records)
    return bundle


def check_records(bundle: Bundle, records: list[tuple[int, int]]) -> None:
    """The PROG records must be exactly the ones the images and registers give."""
    want = bundle.records()
    for i, (got_r, want_r) in enumerate(zip(records, want), start=1):
        if got_r != want_r:
            m = bundle.memory_at(got_r[0])
            if m is None and got_r[0] not in {r.addr for r in bundle.registers}:
                raise AccelscopeError(f"{PROG_DIR}/{PROG_A}:{i}: address {got_r[0]:#010x} is outside the bundle's map")
            if m is not None:
                word, chunk = divmod(got_r[0] - m.base, m.stride)
                if word >= m.depth or chunk // 4 >= m.chunks:
                    raise AccelscopeError(f"{PROG_DIR}/{PROG_A}:{i}: address {got_r[0]:#010x} is out of range: "
                                          f"{m.name} word {word} chunk {chunk // 4}, but the image has {m.depth} "
                                          f"words of {m.chunks} chunks")
            raise AccelscopeError(f"{PROG_DIR}/{PROG_A}:{i}: record ({got_r[0]:#010x}, {got_r[1]:#010x}) differs "
                                  f"from the images: expected ({want_r[0]:#010x}, {want_r[1]:#010x})")
    if len(records) != len(want):
        raise AccelscopeError(f"{PROG_DIR}/{PROG_A}: {len(records)} records, the images give {len(want)}")
