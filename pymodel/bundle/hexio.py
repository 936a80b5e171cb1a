"""$readmemh-compatible hex images: one word per line, fixed width, no addresses.

Images are held as (depth, chunks) uint32 arrays, chunk 0 = bits 31:0 (low first),
so wide words split into 32-bit APB writes without Python big integers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pymodel.errors import AccelscopeError


def chunks_for(width: int) -> int:
    return (width + 31) // 32


def words_to_chunks(words: np.ndarray, width: int) -> np.ndarray:
    """Unsigned or signed integer words (each < 2^width in two's complement) -> (n, chunks) uint32."""
    w = np.asarray(words)
    n_chunks = chunks_for(width)
    if width > 64:
        raise AccelscopeError(f"words_to_chunks: width {width} > 64; build chunk arrays directly")
    u = w.astype(np.int64).view(np.uint64) if w.dtype.kind == "i" else w.astype(np.uint64)
    if width < 64:
        u = u & np.uint64((1 << width) - 1)
    out = np.zeros((len(u), n_chunks), dtype=np.uint32)
    for c in range(n_chunks):
        out[:, c] = ((u >> np.uint64(32 * c)) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    return out


def lanes_to_chunks(lanes: np.ndarray, lane_bits: int) -> np.ndarray:
    """(n, L) signed lanes of lane_bits each (lane 0 in the low bits) -> (n, chunks) uint32 words."""
    arr = np.asarray(lanes, dtype=np.int64)
    n, L = arr.shape
    width = L * lane_bits
    if 32 % lane_bits == 0:
        per = 32 // lane_bits
        padded = np.zeros((n, chunks_for(width) * per), dtype=np.uint64)
        padded[:, :L] = arr.view(np.uint64) & np.uint64((1 << lane_bits) - 1)
        shaped = padded.reshape(n, -1, per)
        shifts = (np.arange(per, dtype=np.uint64) * np.uint64(lane_bits))
        return np.bitwise_or.reduce(shaped << shifts, axis=2).astype(np.uint32)
    if lane_bits % 32 == 0:
        return words_to_chunks(arr.reshape(-1), lane_bits).reshape(n, -1)
    raise AccelscopeError(f"lane width {lane_bits} must divide 32 or be a multiple of 32")


def chunks_to_lanes(chunks: np.ndarray, lane_bits: int, lanes: int) -> np.ndarray:
    """Inverse of lanes_to_chunks: (n, chunks) uint32 -> (n, lanes) signed int64."""
    c = np.asarray(chunks, dtype=np.uint64)
    n = c.shape[0]
    if 32 % lane_bits == 0:
        per = 32 // lane_bits
        shifts = np.arange(per, dtype=np.uint64) * np.uint64(lane_bits)
        vals = ((c[:, :, None] >> shifts) & np.uint64((1 << lane_bits) - 1)).reshape(n, -1)[:, :lanes]
    elif lane_bits % 32 == 0:
        k = lane_bits // 32
        parts = c.reshape(n, -1, k)[:, :lanes, :]
        vals = np.zeros((n, lanes), dtype=np.uint64)
        for j in range(k):  # lane_bits <= 64 in practice
            vals |= parts[:, :, j] << np.uint64(32 * j)
    else:
        raise AccelscopeError(f"lane width {lane_bits} must divide 32 or be a multiple of 32")
    signed = vals.astype(np.int64)
    if lane_bits < 64:
        half = np.int64(1 << (lane_bits - 1))
        signed = ((signed + half) & np.int64((1 << lane_bits) - 1)) - half
    return signed


def format_image(chunks: np.ndarray, width: int) -> str:
    """Hex text: ceil(width/4) digits a line, most significant chunk first."""
    digits = (width + 3) // 4
    n_chunks = chunks_for(width)
    lines = []
    for row in np.asarray(chunks, dtype=np.uint32).tolist():
        text = "".join(f"{row[c]:08x}" for c in reversed(range(n_chunks)))
        lines.append(text[-digits:])
    return "\n".join(lines) + ("\n" if lines else "")


def parse_image(text: str, width: int, where: str) -> np.ndarray:
    """Parse hex text strictly; errors name `where` and the line."""
    n_chunks = chunks_for(width)
    digits = (width + 3) // 4
    rows: list[list[int]] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if len(line) != digits or any(ch not in "0123456789abcdefABCDEF" for ch in line):
            raise AccelscopeError(f"{where}:{lineno}: bad hex word {line[:40]!r} "
                                  f"(expected exactly {digits} hex digits)")
        value = int(line, 16)
        if value >> width:
            raise AccelscopeError(f"{where}:{lineno}: value {line} does not fit {width} bits")
        rows.append([(value >> (32 * c)) & 0xFFFFFFFF for c in range(n_chunks)])
    return np.array(rows, dtype=np.uint32).reshape(len(rows), n_chunks)


def read_image(path: Path, width: int, where: str | None = None) -> np.ndarray:
    try:
        text = path.read_text()
    except IsADirectoryError:
        raise AccelscopeError(f"{where or path}: is a directory, not a hex image") from None
    except OSError as e:
        raise AccelscopeError(f"{where or path}: cannot read ({e.strerror})") from None
    except UnicodeDecodeError:
        raise AccelscopeError(f"{where or path}:1: not a text hex image") from None
    return parse_image(text, width, where or str(path))
