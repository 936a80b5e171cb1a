"""LeBug firmware: chain records and their 64-bit encoding (docs/lebug.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pymodel.bitfields import pack, unpack, used_bits
from pymodel.errors import AccelscopeError
from pymodel.lebug import regs
from pymodel.lebug.config import LebugConfig

# codes of the chain word's fields (rtl/lebug/lebug.rdl, enumerations)
_COND, _ALU, _MRED = regs.ENUMS["COND"], regs.ENUMS["ALU"], regs.ENUMS["MRED"]
COND_CODES: dict[str | None, int] = {None: _COND["ALWAYS"], "first": _COND["FIRST"], "last": _COND["LAST"],
                                     "notfirst": _COND["NOTFIRST"], "notlast": _COND["NOTLAST"]}
COND_NAMES: dict[int, str | None] = {v: k for k, v in COND_CODES.items()}
ALU_CODES: dict[str | None, int] = {None: _ALU["NONE"], "add": _ALU["ADD"], "sub": _ALU["SUB"], "mul": _ALU["MUL"],
                                    "max": _ALU["MAX"]}
ALU_NAMES: dict[int, str | None] = {v: k for k, v in ALU_CODES.items()}
MRED_CODES: dict[str | None, int] = {None: _MRED["NONE"], "N": _MRED["N"], "M": _MRED["M"]}
MRED_NAMES: dict[int, str | None] = {v: k for k, v in MRED_CODES.items()}
SIZE_CODES: dict[str, int] = regs.ENUMS["SIZE"]  # ONE, M, N

Cond = tuple[int, int]  # (code for EOF level 0, code for EOF level 1)
ALWAYS: Cond = (COND_CODES[None], COND_CODES[None])


@dataclass(frozen=True)
class Chain:
    """One configuration of every unit. None/False means the unit passes data through."""

    filt_row: int | None = None
    mred: str | None = None  # 'N' or 'M'; present iff filt_row is not None
    vsru: bool = False
    mc_load: bool = False
    alu_op: str | None = None  # add, sub, mul, max
    alu_addr: int = 0
    alu_cond: Cond = ALWAYS
    cache_addr: int | None = None
    cache_cond: Cond = ALWAYS
    mc_save: bool = False
    commit_size: int | None = None  # 1, M or N
    commit_cond: Cond = ALWAYS


@dataclass(frozen=True)
class Firmware:
    """A compiled firmware: its chains and, when it needs them, its own thresholds (raw)."""

    chains: tuple[Chain, ...]
    thresholds: np.ndarray | None = field(default=None, compare=False)
    name: str = "firmware"

    @property
    def num_chains(self) -> int:
        return len(self.chains)


# field layout: name -> (lsb, width) (rtl/lebug/lebug.rdl, the chain word)
FIELDS: dict[str, tuple[int, int]] = regs.ENTRIES["CHAIN"]
RESERVED_LSB = used_bits(FIELDS)
WORD_BITS = regs.ENTRY_BITS["CHAIN"]


def _size_code(size: int, cfg: LebugConfig) -> int:
    # the order matters when M == N or M == 1: prefer the smallest code
    for code, val in ((SIZE_CODES["ONE"], 1), (SIZE_CODES["M"], cfg.M), (SIZE_CODES["N"], cfg.N)):
        if size == val:
            return code
    raise AccelscopeError(f"commit size {size} not in {{1, M={cfg.M}, N={cfg.N}}}")


def _size_value(code: int, cfg: LebugConfig) -> int:
    return {SIZE_CODES["ONE"]: 1, SIZE_CODES["M"]: cfg.M, SIZE_CODES["N"]: cfg.N}[code]


def encode_chain(ch: Chain, cfg: LebugConfig) -> int:
    vals = {
        "filt_en": int(ch.filt_row is not None),
        "filt_row": ch.filt_row or 0,
        "mred": MRED_CODES[ch.mred],
        "vsru_en": int(ch.vsru),
        "mc_load": int(ch.mc_load),
        "alu_op": ALU_CODES[ch.alu_op],
        "alu_addr": ch.alu_addr if ch.alu_op else 0,
        "alu_c1": ch.alu_cond[0],
        "alu_c2": ch.alu_cond[1],
        "cache_en": int(ch.cache_addr is not None),
        "cache_addr": ch.cache_addr or 0,
        "cache_c1": ch.cache_cond[0],
        "cache_c2": ch.cache_cond[1],
        "mc_save": int(ch.mc_save),
        "commit_en": int(ch.commit_size is not None),
        "commit_size": _size_code(ch.commit_size, cfg) if ch.commit_size is not None else 0,
        "commit_c1": ch.commit_cond[0],
        "commit_c2": ch.commit_cond[1],
    }
    return pack(FIELDS, vals, "chain word")


def encode_firmware(fw: Firmware, cfg: LebugConfig) -> list[int]:
    """One 64-bit word per chain."""
    return [encode_chain(ch, cfg) for ch in fw.chains]


def decode_chain(word: int, cfg: LebugConfig, where: str = "chain word") -> Chain:
    """Decode one word; reserved bits, unknown codes and out-of-range fields are errors."""
    if not 0 <= word < (1 << WORD_BITS):
        raise AccelscopeError(f"{where}: {word:#x} is not a 64-bit word")
    if word >> RESERVED_LSB:
        raise AccelscopeError(f"{where}: reserved bits 63:{RESERVED_LSB} are not zero ({word:#018x})")
    f = unpack(FIELDS, word)

    def cond(prefix: str) -> Cond:
        c = (f[prefix + "_c1"], f[prefix + "_c2"])
        for code in c:
            if code not in COND_NAMES:
                raise AccelscopeError(f"{where}: unknown condition code {code} in {prefix}")
        return c

    if f["alu_op"] not in ALU_NAMES:
        raise AccelscopeError(f"{where}: unknown alu_op code {f['alu_op']}")
    if f["mred"] not in MRED_NAMES:
        raise AccelscopeError(f"{where}: unknown m_reduce code {f['mred']}")
    if f["commit_size"] not in SIZE_CODES.values():
        raise AccelscopeError(f"{where}: unknown commit size code {f['commit_size']}")
    if f["filt_en"] != int(f["mred"] != 0):
        raise AccelscopeError(f"{where}: vv_filter and m_reduce must come together")
    ch = Chain(
        filt_row=f["filt_row"] if f["filt_en"] else None,
        mred=MRED_NAMES[f["mred"]],
        vsru=bool(f["vsru_en"]),
        mc_load=bool(f["mc_load"]),
        alu_op=ALU_NAMES[f["alu_op"]],
        alu_addr=f["alu_addr"],
        alu_cond=cond("alu"),
        cache_addr=f["cache_addr"] if f["cache_en"] else None,
        cache_cond=cond("cache"),
        mc_save=bool(f["mc_save"]),
        commit_size=_size_value(f["commit_size"], cfg) if f["commit_en"] else None,
        commit_cond=cond("commit"),
    )
    check_chain(ch, cfg, where)
    return ch


def decode_firmware(words: list[int], cfg: LebugConfig) -> Firmware:
    if not 1 <= len(words) <= cfg.MAX_CHAINS:
        raise AccelscopeError(f"firmware has {len(words)} chains; MAX_CHAINS={cfg.MAX_CHAINS}")
    return Firmware(tuple(decode_chain(w, cfg, f"chain {i}") for i, w in enumerate(words)))


def check_chain(ch: Chain, cfg: LebugConfig, where: str) -> None:
    """Range checks shared by the compiler and the decoder."""
    if ch.filt_row is not None and not 0 <= ch.filt_row < cfg.FU_ROWS:
        raise AccelscopeError(f"{where}: filter row {ch.filt_row} out of range 0..{cfg.FU_ROWS - 1}")
    if ch.alu_op is not None and not 0 <= ch.alu_addr < cfg.CACHE_DEPTH:
        raise AccelscopeError(f"{where}: cache address {ch.alu_addr} out of range 0..{cfg.CACHE_DEPTH - 1}")
    if ch.cache_addr is not None and not 0 <= ch.cache_addr < cfg.CACHE_DEPTH:
        raise AccelscopeError(f"{where}: cache address {ch.cache_addr} out of range 0..{cfg.CACHE_DEPTH - 1}")
