"""Packing named fields into words and back, from a generated layout (field -> (lsb, width)):
the registers, LeBug's chain word and the systolic descriptor (tb/regs.py writes the layouts
into pymodel/<block>/regs.py from rtl/<block>/<block>.rdl)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from pymodel.errors import AccelscopeError

Layout = Mapping[str, tuple[int, int]]


def pack(layout: Layout, values: Mapping[str, int], where: str = "word") -> int:
    """The word holding `values` (fields not named are 0); a value that does not fit is an error."""
    word = 0
    for name, v in values.items():
        lsb, width = layout[name]
        if not 0 <= int(v) < 1 << width:
            raise AccelscopeError(f"{where}: field {name}={v} does not fit in {width} bits")
        word |= int(v) << lsb
    return word


def unpack(layout: Layout, word: int) -> dict[str, int]:
    """Every field of the layout, from the word."""
    return {name: (int(word) >> lsb) & ((1 << width) - 1) for name, (lsb, width) in layout.items()}


def signed32(words: np.ndarray) -> np.ndarray:
    """32-bit words (0 .. 2^32-1, as read over APB) as two's-complement int64 values."""
    w = np.asarray(words, dtype=np.int64)
    return np.where(w >= 1 << 31, w - (1 << 32), w)


def used_bits(layout: Layout) -> int:
    """Bits below the first reserved bit (one past the highest field)."""
    return max(lsb + width for lsb, width in layout.values())


def mask(layout: Layout, name: str) -> int:
    lsb, width = layout[name]
    return ((1 << width) - 1) << lsb
