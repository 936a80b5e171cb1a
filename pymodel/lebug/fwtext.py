"""LeBug firmware as text: one instruction per line (docs/lebug.md, "Firmware text format").

    # distribution, 8 bins with M=4
    begin_chain
    vv_filter 0
    m_reduce M
    vv_add 0 notfirst
    v_cache 0
    v_commit 4 last
    end_chain

- `#` starts a comment; blank lines are ignored.
- A line is `NAME ARG ARG ...` (arguments separated by spaces or commas) or the
  Python call `NAME(ARG, ARG, ...)`, with an optional `cp.` prefix and quotes
  around strings, so lines of LeBug's Python firmware can be pasted as they are.
- Arguments are positional in the order of the compiler's methods, or
  `KEY=VALUE`: `vv_max 1 cond2=notfirst`. LeBug's keyword names are accepted too
  (`condition1`, `condition2`; `addr` for vv_filter, `cache_addr` for v_cache).
- Instructions and their arguments (defaults in brackets):
      begin_chain / end_chain
      vv_filter ROW                 m_reduce [N]|M          v_reduce
      v_mc_load                     v_mc_save
      vv_add|vv_sub|vv_mul|vv_max ADDR [COND1 [COND2]]
      v_cache ADDR [COND1 [COND2]]
      v_commit [SIZE [COND1 [COND2]]]   SIZE: 1, M, N or the number; default N
  A condition is first, last, notfirst, notlast or none.
- `threshold_row ROW V0 V1 ... VM` loads filter row ROW with M+1 raw words (the
  firmware carries them, like a library program's own thresholds; rows share their
  boundary value, later lines win). Values no line sets are 0, 1, 2, ... (real values).
  Without any, the firmware carries no thresholds and the memory keeps its contents.

Every error is an AccelscopeError "FILE:LINE: <rule broken>".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pymodel.errors import AccelscopeError
from pymodel.lebug.compiler import Compiler
from pymodel.lebug.config import LebugConfig
from pymodel.lebug.fixed import default_thresholds
from pymodel.lebug.isa import ALWAYS, COND_NAMES, Chain, Cond, Firmware


@dataclass(frozen=True)
class _Param:
    name: str  # the Compiler method's parameter name
    kind: str  # int, size, axis, cond
    required: bool = False
    aliases: tuple[str, ...] = ()


_COND = (_Param("cond1", "cond", aliases=("condition1",)), _Param("cond2", "cond", aliases=("condition2",)))
_ADDR = _Param("addr", "int", True)

SIGNATURES: dict[str, tuple[_Param, ...]] = {
    "begin_chain": (),
    "end_chain": (),
    "vv_filter": (_Param("row", "int", True, ("addr",)),),
    "m_reduce": (_Param("axis", "axis"),),
    "v_reduce": (),
    "v_mc_load": (),
    "v_mc_save": (),
    "vv_add": (_ADDR, *_COND),
    "vv_sub": (_ADDR, *_COND),
    "vv_mul": (_ADDR, *_COND),
    "vv_max": (_ADDR, *_COND),
    "v_cache": (_Param("addr", "int", True, ("cache_addr",)), *_COND),
    "v_commit": (_Param("size", "size"), *_COND),
}
THRESHOLD_DIRECTIVES = ("threshold_row", "set_threshold_row")

_CALL = re.compile(r"(?:cp\.)?([A-Za-z_]\w*)\s*\((.*)\)\s*;?")
_NAME = re.compile(r"(?:cp\.)?([A-Za-z_]\w*)")


class _LineError(Exception):
    """A rule broken on the current line (message without the FILE:LINE prefix)."""


def _split(line: str) -> tuple[str, list[str]]:
    """Instruction name and argument tokens of one (comment-free, stripped) line."""
    m = _CALL.fullmatch(line)
    if m:
        name, argtext = m.group(1), m.group(2)
        tokens = [t.strip() for t in argtext.split(",")] if argtext.strip() else []
        if any(not t for t in tokens):
            raise _LineError(f"{name}: empty argument in {line!r}")
    else:
        parts = line.split(None, 1)
        head, rest = parts[0], (parts[1] if len(parts) > 1 else "")
        m = _NAME.fullmatch(head)
        if not m:
            raise _LineError(f"unknown instruction {head!r}")
        name = m.group(1)
        rest = re.sub(r"\s*=\s*", "=", rest)
        tokens = [t for t in re.split(r"[\s,]+", rest) if t]
    return name, [t.strip("[]").strip().strip("'\"") for t in tokens]


def _int(tok: str, what: str) -> int:
    try:
        return int(tok, 0)
    except ValueError:
        raise _LineError(f"{what} must be an integer, got {tok!r}") from None


def _value(p: _Param, tok: str, instr: str, cfg: LebugConfig) -> Any:
    if p.kind == "int":
        return _int(tok, f"{instr}: {p.name}")
    if p.kind == "size":
        if tok in ("N", "M"):
            return cfg.N if tok == "N" else cfg.M
        return _int(tok, f"{instr}: size")
    if p.kind == "cond":
        return None if tok.lower() in ("none", "-") else tok
    return tok  # axis: the compiler checks it


def _bind(instr: str, tokens: list[str], cfg: LebugConfig) -> dict[str, Any]:
    """Arguments of one instruction, by the compiler method's parameter names."""
    params = SIGNATURES[instr]
    by_key = {k: p for p in params for k in (p.name, *p.aliases)}
    out: dict[str, Any] = {}
    npos = 0
    keyword_seen = False
    for tok in tokens:
        if "=" in tok:
            keyword_seen = True
            key, _, val = tok.partition("=")
            key, val = key.strip(), val.strip().strip("'\"")
            if key not in by_key:
                known = ", ".join(p.name for p in params) or "none"
                raise _LineError(f"{instr}: unknown argument {key!r} (arguments: {known})")
            p = by_key[key]
        else:
            if keyword_seen:
                raise _LineError(f"{instr}: positional argument {tok!r} after a KEY=VALUE argument")
            if npos >= len(params):
                raise _LineError(f"{instr}: takes {_arity(params)} argument(s), got {len(tokens)}")
            p, val = params[npos], tok
            npos += 1
        if p.name in out:
            raise _LineError(f"{instr}: argument {p.name} given twice")
        out[p.name] = _value(p, val, instr, cfg)
    for p in params:
        if p.required and p.name not in out:
            raise _LineError(f"{instr}: missing argument {p.name} (takes {_arity(params)} argument(s), "
                             f"got {len(tokens)})")
    return out


def _arity(params: tuple[_Param, ...]) -> str:
    lo = sum(p.required for p in params)
    return str(lo) if lo == len(params) else f"{lo} to {len(params)}"


def _threshold_row(cp: Compiler, tokens: list[str], cfg: LebugConfig) -> None:
    if len(tokens) != cfg.M + 2:
        raise _LineError(f"threshold_row: takes a row and M+1={cfg.M + 1} raw values, got {len(tokens)} argument(s)")
    row = _int(tokens[0], "threshold_row: row")
    if not 0 <= row < cfg.FU_ROWS:
        raise _LineError(f"threshold_row: filter row {row} out of range 0..{cfg.FU_ROWS - 1}")
    vals = [_int(t, "threshold_row: value") for t in tokens[1:]]
    lo, hi = -(1 << (cfg.DATA_W - 1)), (1 << (cfg.DATA_W - 1)) - 1
    for v in vals:
        if not lo <= v <= hi:
            raise _LineError(f"threshold_row: value {v} does not fit DATA_W={cfg.DATA_W} ({lo}..{hi})")
    cp.set_threshold_row(row, vals)


def compile_text(text: str, cfg: LebugConfig, filename: str = "<firmware>") -> Firmware:
    """Compile firmware text for `cfg`; errors are AccelscopeError("FILE:LINE: rule")."""
    name = Path(filename).stem or "firmware"
    cp = Compiler(cfg, name)
    prefix = f"{name}: "
    open_line: int | None = None
    closed = 0
    lines = text.splitlines()
    for lineno, raw in enumerate(lines, 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            instr, tokens = _split(line)
            if instr in THRESHOLD_DIRECTIVES:
                _threshold_row(cp, tokens, cfg)
                continue
            if instr not in SIGNATURES:
                raise _LineError(f"unknown instruction {instr!r}")
            args = _bind(instr, tokens, cfg)
            getattr(cp, instr)(**args)
        except _LineError as e:
            raise AccelscopeError(f"{filename}:{lineno}: {e}") from None
        except AccelscopeError as e:
            msg = str(e)
            msg = msg[len(prefix):] if msg.startswith(prefix) else msg
            raise AccelscopeError(f"{filename}:{lineno}: {msg}") from None
        if instr == "begin_chain":
            open_line = lineno
        elif instr == "end_chain":
            open_line = None
            closed += 1
    if open_line is not None:
        raise AccelscopeError(f"{filename}:{open_line}: begin_chain without end_chain "
                              f"(chain {closed} still open at the end of the file: missing end_chain)")
    if closed == 0:
        raise AccelscopeError(f"{filename}:{max(len(lines), 1)}: firmware has no chains "
                              "(write begin_chain ... end_chain)")
    return cp.compile()


def load_firmware_file(path: str | Path, cfg: LebugConfig) -> Firmware:
    """Read and compile a firmware text file; errors name the file and line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise AccelscopeError(f"{path}: cannot read firmware file: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise AccelscopeError(f"{path}: firmware file is not UTF-8 text ({e.reason} at byte {e.start})") from None
    return compile_text(text, cfg, str(path))


# --------------------------------------------------------------------------
# disassembler
# --------------------------------------------------------------------------

def _conds(c: Cond) -> str:
    c1, c2 = (COND_NAMES[x] for x in c)
    if c2 is None:
        return f" {c1}" if c1 else ""
    return f" {c1} {c2}" if c1 else f" cond2={c2}"


def _chain_lines(ch: Chain, cfg: LebugConfig, idx: int) -> list[str]:
    for unit, op, cond in (("VVALU op", ch.alu_op, ch.alu_cond), ("v_cache", ch.cache_addr, ch.cache_cond),
                           ("v_commit", ch.commit_size, ch.commit_cond)):
        if op is None and cond != ALWAYS:
            raise AccelscopeError(f"chain {idx}: a {unit} condition without the instruction cannot be written "
                                  "as firmware text")
    if (ch.filt_row is None) != (ch.mred is None):
        raise AccelscopeError(f"chain {idx}: vv_filter and m_reduce must come together")
    out = []
    if ch.filt_row is not None:
        out += [f"vv_filter {ch.filt_row}", f"m_reduce {ch.mred}"]
    if cfg.VSRU_FIRST and ch.vsru:
        out.append("v_reduce")
    if ch.mc_load:
        out.append("v_mc_load")
    if ch.alu_op is not None:
        out.append(f"vv_{ch.alu_op} {ch.alu_addr}{_conds(ch.alu_cond)}")
    if ch.cache_addr is not None:
        out.append(f"v_cache {ch.cache_addr}{_conds(ch.cache_cond)}")
    if ch.mc_save:
        out.append("v_mc_save")
    if not cfg.VSRU_FIRST and ch.vsru:
        out.append("v_reduce")
    if ch.commit_size is not None:
        out.append(f"v_commit {ch.commit_size}{_conds(ch.commit_cond)}")
    return out


def _threshold_lines(thr: np.ndarray | None, cfg: LebugConfig) -> list[str]:
    """threshold_row lines that turn the default memory into `thr` (rows that differ, in order)."""
    if thr is None:
        return []
    want = np.asarray(thr, dtype=np.int64)
    if want.shape != (cfg.n_thresholds,):
        raise AccelscopeError(f"firmware thresholds: expected {cfg.n_thresholds} values, got {want.shape}")
    mem = default_thresholds(cfg)
    out = []
    for r in range(cfg.FU_ROWS):
        sl = slice(r * cfg.M, r * cfg.M + cfg.M + 1)
        if not np.array_equal(mem[sl], want[sl]):
            mem[sl] = want[sl]
            out.append(f"threshold_row {r} " + " ".join(str(int(v)) for v in want[sl]))
    return out


def disassemble(fw: Firmware, cfg: LebugConfig) -> str:
    """`fw` as firmware text; compile_text of the result gives the same words and thresholds."""
    params = " ".join(f"{k}={v}" for k, v in cfg.params().items())
    lines = [f"# {fw.name}: {fw.num_chains} chain(s), for {params}"]
    thr = _threshold_lines(fw.thresholds, cfg)
    if thr:
        lines += ["# filter thresholds (raw words) this firmware carries"] + thr
    for i, ch in enumerate(fw.chains):
        lines.append(f"begin_chain  # chain {i}")
        lines += ["    " + s for s in _chain_lines(ch, cfg, i)]
        lines.append("end_chain")
    return "\n".join(lines) + "\n"
