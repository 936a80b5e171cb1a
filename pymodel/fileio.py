"""Atomic file output: every file accelscope writes goes through here.

A file is written to a temporary name in its own directory and renamed into place
(os.replace is atomic on POSIX), so a crash or Ctrl-C leaves the old file or the new
one, never a mix. A directory (a bundle, a report) is built in a temporary directory
beside the target and renamed into place the same way.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
import tokenize
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from pymodel.errors import AccelscopeError

# what np.load raises on a damaged .npy/.npz: besides OSError and ValueError, a header numpy's
# tokenizer cannot parse (SyntaxError, TokenError), an empty file (EOFError), a damaged zip
# archive (BadZipFile) or compressed member (zlib.error)
NPY_ERRORS = (OSError, ValueError, EOFError, SyntaxError, tokenize.TokenError, zipfile.BadZipFile, zlib.error)


@contextlib.contextmanager
def quiet_npy_headers() -> Iterator[None]:
    """np.load without NumPy's "created on Python 2" UserWarning: a header it had to re-parse is
    still parsed and checked in full, and the one error line stays the only output."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Reading `.npy` or `.npz` file required additional header",
                                category=UserWarning)
        yield


def check_out_file(path: str | Path, flag: str = "--out") -> Path:
    """Validate an output file path before any work: its directory exists, is writable, and
    the path is not a directory."""
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        raise AccelscopeError(f"{flag} {p}: is a directory")
    if not parent.is_dir():
        raise AccelscopeError(f"{flag} {p}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise AccelscopeError(f"{flag} {p}: directory {parent} is not writable")
    return p


def check_out_dir(path: str | Path, flag: str = "--out") -> Path:
    """Validate an output directory before any work: absent or empty, parent exists and is writable."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise AccelscopeError(f"{flag} {p}: exists and is not a directory")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise AccelscopeError(f"{flag} {p}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise AccelscopeError(f"{flag} {p}: directory {parent} is not writable")
    return p


def stage(path: Path, data: bytes) -> Path:
    """Write `data` to a new temporary file beside `path` (fsynced); return its name."""
    if path.is_dir():
        raise AccelscopeError(f"{path}: is a directory, cannot write a file there")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent if str(path.parent) else ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return Path(tmp)


def write_files(files: dict[Path, bytes]) -> None:
    """Write several files together: all are staged under temporary names first (any error
    leaves every target as it was), then each is renamed into place."""
    for p in files:
        if Path(p).is_dir():
            raise AccelscopeError(f"{p}: is a directory, cannot write a file there")
    staged: list[tuple[Path, Path]] = []
    try:
        for p, data in files.items():
            staged.append((stage(Path(p), data), Path(p)))
        for tmp, p in staged:
            os.replace(tmp, p)
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise


def write_bytes(path: str | Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path` and rename it onto `path`."""
    write_files({Path(path): data})


def write_text(path: str | Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def save_npy(path: str | Path, arr: np.ndarray) -> None:
    """np.save of a plain array (allow_pickle=False), atomically."""
    buf = io.BytesIO()
    np.save(buf, np.asarray(arr), allow_pickle=False)
    write_bytes(path, buf.getvalue())


@contextlib.contextmanager
def atomic_dir(path: str | Path, replace: bool = False) -> Iterator[Path]:
    """Yield a temporary directory beside `path`; on success it is renamed to `path`.

    `path` must be absent or an empty directory unless `replace` (then an existing
    directory is swapped out and removed only after the new one is in place). On any
    exception the temporary directory is removed and `path` is untouched."""
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{p.name}.", suffix=".tmp", dir=parent))
    try:
        yield tmp
        os.chmod(tmp, 0o755)
        if p.exists() and not replace:
            p.rmdir()  # empty (checked by the caller); raises otherwise
            os.replace(tmp, p)
        elif p.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{p.name}.", suffix=".old", dir=parent))
            os.replace(p, old / "x")
            os.replace(tmp, p)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, p)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def read_json(path: Path, what: str = "file", missing: str = "no such file", where: str | None = None) -> object:
    """A UTF-8 JSON document; every failure is one AccelscopeError naming the file (`where`
    for the JSON line number, default the path) and the reason."""
    try:
        import json

        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AccelscopeError(f"{path}: {missing}") from None
    except IsADirectoryError:
        raise AccelscopeError(f"{path}: is a directory, not a {what}") from None
    except OSError as e:
        raise AccelscopeError(f"{path}: cannot read ({e.strerror})") from None
    except UnicodeDecodeError as e:
        raise AccelscopeError(f"{path}: not UTF-8 text (byte {e.start})") from None
    except ValueError as e:  # json.JSONDecodeError
        lineno = getattr(e, "lineno", 1)
        raise AccelscopeError(f"{where or path}:{lineno}: not valid JSON ({getattr(e, 'msg', e)})") from None
    except RecursionError:
        raise AccelscopeError(f"{where or path}: JSON nested too deeply") from None
