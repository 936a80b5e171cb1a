"""Bit-exact numpy emulator of the LeBug RTL (semantics: docs/lebug.md).

Two engines compute the same function:

- `reference`: the sequential definition, one vector and one chain at a time
  (numpy across the N lanes). Small, obviously right, used as the oracle.
- `vectorized`: evaluates each chain for the whole stream at once. Chains are
  ordered by their data dependencies through the cache and minicache; a read
  returns the most recent earlier write (a searchsorted forward fill); a chain
  that reads and writes the same state (an accumulator) is a segmented scan:
  affine (add, sub, integer mul, restart, hold) or max. Firmware outside those
  forms (a dependency cycle between chains, fixed-point multiply accumulators)
  falls back to `reference`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from pymodel.errors import AccelscopeError
from pymodel.lebug.config import LebugConfig
from pymodel.lebug.fixed import default_thresholds, wrap
from pymodel.lebug.isa import COND_NAMES, Chain, Cond, Firmware

Method = Literal["auto", "vectorized", "reference"]
_PACK_CHUNK = 1 << 16


@dataclass(frozen=True)
class LebugStatus:
    """The status registers (docs/lebug.md register map)."""

    rows: int
    drops: int
    cycles: int
    vectors: int
    wrap: int
    pack_fill: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class EmulationResult:
    rows: np.ndarray  # (rows_written, N) every row written, in write order
    tb_mem: np.ndarray  # (TB_DEPTH, N) trace-buffer memory as the hardware holds it
    status: LebugStatus
    accepted: np.ndarray  # (n,) bool: which input vectors were accepted
    method: str = field(default="vectorized")

    @property
    def trace(self) -> np.ndarray:
        """The surviving trace rows in write order (what a host reads out)."""
        depth = self.tb_mem.shape[0]
        return self.rows[-depth:] if len(self.rows) > depth else self.rows


# --------------------------------------------------------------------------
# unit datapaths, shared by both engines (leading dimensions are free)
# --------------------------------------------------------------------------

def _fru(ch: Chain, x: np.ndarray, thr: np.ndarray, cfg: LebugConfig) -> np.ndarray:
    if ch.filt_row is None:
        return x
    base = ch.filt_row * cfg.M
    # one vectorized pass per bin (M is small); bin j = T[base+j] < x <= T[base+j+1]
    bins = [((x > thr[base + j]) & (x <= thr[base + j + 1])).view(np.uint8) for j in range(cfg.M)]
    if ch.mred == "N":
        cnt = np.asarray(np.sum(bins, axis=0, dtype=np.int64))
    else:
        cnt = np.zeros(x.shape, dtype=np.int64)
        for j, b in enumerate(bins):
            cnt[..., j] = b.sum(axis=-1, dtype=np.int64)
    if (cfg.N << cfg.FRAC_W) < (1 << (cfg.DATA_W - 1)):
        return cnt << cfg.FRAC_W  # counts cannot wrap in this configuration
    return wrap(cnt << cfg.FRAC_W, cfg.DATA_W)


def _vsru(v: np.ndarray, cfg: LebugConfig) -> np.ndarray:
    out = np.zeros_like(v)
    out[..., 0] = wrap(v.sum(axis=-1), cfg.DATA_W)
    return out


def alu(op: str, a: np.ndarray, b: np.ndarray, cfg: LebugConfig) -> np.ndarray:
    """VVALU operation `a OP b` on raw words."""
    if op == "add":
        return wrap(a + b, cfg.DATA_W)
    if op == "sub":
        return wrap(a - b, cfg.DATA_W)
    if op == "mul":
        return wrap((a * b) >> cfg.FRAC_W, cfg.DATA_W)
    if op == "max":
        return np.maximum(a, b)
    raise AccelscopeError(f"unknown ALU op {op!r}")


class _Flags:
    """first/last per EOF level for every accepted vector."""

    def __init__(self, eof: np.ndarray) -> None:
        self.last = eof.astype(bool).T  # (2, T)
        self.first = np.ones_like(self.last)
        self.first[:, 1:] = self.last[:, :-1]

    def holds(self, cond: Cond) -> np.ndarray:
        out = np.ones(self.last.shape[1], dtype=bool)
        for level, code in enumerate(cond):
            name = COND_NAMES[code]
            if name == "first":
                out &= self.first[level]
            elif name == "last":
                out &= self.last[level]
            elif name == "notfirst":
                out &= ~self.first[level]
            elif name == "notlast":
                out &= ~self.last[level]
        return out


# --------------------------------------------------------------------------
# reference engine
# --------------------------------------------------------------------------

def _run_reference(cfg: LebugConfig, fw: Firmware, x: np.ndarray, flags: _Flags,
                   thr: np.ndarray) -> list[np.ndarray]:
    cache = np.zeros((cfg.CACHE_DEPTH, cfg.N), dtype=np.int64)
    mc = np.zeros(cfg.N, dtype=np.int64)
    conds = [(flags.holds(ch.alu_cond), flags.holds(ch.cache_cond), flags.holds(ch.commit_cond))
             for ch in fw.chains]
    stream: list[np.ndarray] = []
    for t in range(x.shape[0]):
        for ch, (g_alu, g_cache, g_commit) in zip(fw.chains, conds):
            v = _fru(ch, x[t], thr, cfg)
            if cfg.VSRU_FIRST and ch.vsru:
                v = _vsru(v, cfg)
            y = mc if ch.mc_load else v
            r = alu(ch.alu_op, y, cache[ch.alu_addr], cfg) if ch.alu_op and g_alu[t] else y
            if ch.cache_addr is not None and g_cache[t]:
                cache[ch.cache_addr] = r
            if ch.mc_save:
                mc = r
            v = r
            if not cfg.VSRU_FIRST and ch.vsru:
                v = _vsru(v, cfg)
            if ch.commit_size is not None and g_commit[t]:
                stream.append(v[: ch.commit_size].copy())
    return stream


# --------------------------------------------------------------------------
# vectorized engine
# --------------------------------------------------------------------------

_MC = ("mc", 0)


def _reads(ch: Chain) -> set[tuple[str, int]]:
    out = set()
    if ch.mc_load:
        out.add(_MC)
    if ch.alu_op:
        out.add(("cache", ch.alu_addr))
    return out


def _writes(ch: Chain) -> set[tuple[str, int]]:
    out = set()
    if ch.cache_addr is not None:
        out.add(("cache", ch.cache_addr))
    if ch.mc_save:
        out.add(_MC)
    return out


def plan(fw: Firmware, cfg: LebugConfig) -> list[int] | None:
    """Evaluation order for the vectorized engine, or None if it must fall back."""
    chains = fw.chains
    writers: dict[tuple[str, int], set[int]] = {}
    for c, ch in enumerate(chains):
        for key in _writes(ch):
            writers.setdefault(key, set()).add(c)
    deps: list[set[int]] = []
    for c, ch in enumerate(chains):
        rd = _reads(ch)
        own = rd & _writes(ch)
        if own:
            if len(own) != 1:
                return None
            key = next(iter(own))
            if writers[key] != {c}:
                return None
            if ch.alu_op == "mul" and cfg.FRAC_W:
                return None
            if key != _MC and not (ch.alu_op and ch.alu_addr == key[1] == ch.cache_addr):
                return None
        deps.append({w for key in rd for w in writers.get(key, ()) if w != c})
    order: list[int] = []
    done: set[int] = set()
    while len(order) < len(chains):
        ready = [c for c in range(len(chains)) if c not in done and deps[c] <= done]
        if not ready:
            return None  # a dependency cycle between chains
        order.append(ready[0])
        done.add(ready[0])
    return order


def _affine_scan(a: np.ndarray, b: np.ndarray, cfg: LebugConfig) -> np.ndarray:
    """S_t = a_t * S_{t-1} + b_t (mod 2^DATA_W), S_{-1} = 0. a is (T,) or (T, N)."""
    T = b.shape[0]
    if a.ndim == 1 and np.isin(a, (0, 1)).all():
        cs = np.cumsum(b, axis=0)
        idx = np.arange(T)
        start = np.maximum.accumulate(np.where(a == 0, idx, -1))
        base = np.where((start >= 1)[:, None], cs[np.maximum(start - 1, 0)], 0)
        return wrap(cs - base, cfg.DATA_W)
    A = np.broadcast_to(a.reshape(T, -1), b.shape).astype(np.uint64)
    B = b.astype(np.uint64)  # two's complement view; arithmetic is mod 2^64
    d = 1
    while d < T:
        B[d:] = A[d:] * B[:-d] + B[d:]
        A[d:] = A[d:] * A[:-d]
        d *= 2
    return wrap(B.view(np.int64), cfg.DATA_W)


def _max_scan(reset: np.ndarray, v: np.ndarray) -> np.ndarray:
    """S_t = v_t if reset_t else max(S_{t-1}, v_t), S_{-1} = 0 (values fit 33 bits)."""
    seg = np.cumsum(reset.astype(np.int64))[:, None]
    span = np.int64(1) << np.int64(34)
    off = np.int64(1) << np.int64(33)
    s = np.maximum.accumulate(seg * span + (v + off), axis=0) - seg * span - off
    return np.where(seg == 0, np.maximum(s, 0), s)


class _Vectorized:
    def __init__(self, cfg: LebugConfig, fw: Firmware, x: np.ndarray, flags: _Flags,
                 thr: np.ndarray) -> None:
        self.cfg, self.fw, self.x, self.flags, self.thr = cfg, fw, x, flags, thr
        self.T = x.shape[0]
        self.nc = fw.num_chains
        self.events: dict[tuple[str, int], list[tuple[int, np.ndarray, np.ndarray]]] = {}
        self.commits: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def read(self, key: tuple[str, int], c: int) -> np.ndarray:
        """Value of `key` seen by chain c of every vector: the latest earlier write."""
        evs = self.events.get(key)
        out = np.zeros((self.T, self.cfg.N), dtype=np.int64)
        if not evs:
            return out
        when = np.concatenate([np.flatnonzero(m) * self.nc + cc for cc, m, _ in evs])
        vals = np.concatenate([v[m] for _, m, v in evs])
        order = np.argsort(when, kind="stable")
        when, vals = when[order], vals[order]
        idx = np.searchsorted(when, np.arange(self.T) * self.nc + c, side="left") - 1
        hit = idx >= 0
        out[hit] = vals[idx[hit]]
        return out

    def _write(self, key: tuple[str, int], c: int, mask: np.ndarray, vals: np.ndarray) -> None:
        self.events.setdefault(key, []).append((c, mask, vals))

    def _accumulate(self, c: int, ch: Chain, y: np.ndarray, g: np.ndarray) -> np.ndarray:
        """A chain that reads and writes the same state S; returns r for every vector."""
        cfg, T = self.cfg, self.T
        if ch.mc_load and ch.mc_save:  # operator is S (the minicache), operand external
            o = self.read(("cache", ch.alu_addr), c) if ch.alu_op else np.zeros_like(y)
            act = g if ch.alu_op else np.zeros(T, dtype=bool)
            if ch.alu_op == "max":
                lo = np.int64(-(1 << (cfg.DATA_W - 1)))
                s = _max_scan(np.zeros(T, dtype=bool), np.where(act[:, None], o, lo))
            elif ch.alu_op == "mul":
                s = _affine_scan(np.where(act[:, None], o, 1), np.zeros_like(o), cfg)
            else:  # add, sub, or no op (hold)
                sign = -1 if ch.alu_op == "sub" else 1
                s = _affine_scan(np.ones(T, dtype=np.int64), np.where(act[:, None], sign * o, 0), cfg)
            return s  # the minicache is written every slot: r_t = S_t
        else:  # accumulator in cache[a]: r = g ? y OP S : y, S <- r where the write holds
            assert ch.alu_op is not None  # an accumulating chain has its ALU op (the compiler checks)
            w = self.flags.holds(ch.cache_cond)
            lo = np.int64(-(1 << (cfg.DATA_W - 1)))
            if ch.alu_op == "max":
                s = _max_scan(w & ~g, np.where(w[:, None], y, lo))
            else:
                a_lane = {"add": 1, "sub": -1}
                if ch.alu_op == "mul":
                    a = np.where((w & g)[:, None], y, np.where(w, 0, 1)[:, None])
                    b = np.where((w & ~g)[:, None], y, 0)
                else:
                    a = np.where(w, np.where(g, a_lane[ch.alu_op], 0), 1)
                    b = np.where(w[:, None], y, 0)
                s = _affine_scan(a, b, cfg)
            if w.all():
                return s  # written every slot: r_t = S_t
            prev = np.vstack([np.zeros((1, cfg.N), np.int64), s[:-1]])
            return np.where(g[:, None], alu(ch.alu_op, y, prev, cfg), y)

    def run(self, order: list[int]) -> list[np.ndarray]:
        cfg, T = self.cfg, self.T
        ones = np.ones(T, dtype=bool)
        for c in order:
            ch = self.fw.chains[c]
            v = _fru(ch, self.x, self.thr, cfg)
            if cfg.VSRU_FIRST and ch.vsru:
                v = _vsru(v, cfg)
            g = self.flags.holds(ch.alu_cond)
            if _reads(ch) & _writes(ch):
                y = v
                if ch.mc_load and not ch.mc_save:
                    y = self.read(_MC, c)
                r = self._accumulate(c, ch, y, g)
            else:
                y = self.read(_MC, c) if ch.mc_load else v
                if ch.alu_op:
                    operand = self.read(("cache", ch.alu_addr), c)
                    r = np.where(g[:, None], alu(ch.alu_op, y, operand, cfg), y)
                else:
                    r = y
            if ch.cache_addr is not None:
                self._write(("cache", ch.cache_addr), c, self.flags.holds(ch.cache_cond), r)
            if ch.mc_save:
                self._write(_MC, c, ones, r)
            v = r
            if not cfg.VSRU_FIRST and ch.vsru:
                v = _vsru(v, cfg)
            if ch.commit_size is not None:
                self.commits[c] = (self.flags.holds(ch.commit_cond), v[:, : ch.commit_size])
        return self._pack()

    def _pack(self) -> list[np.ndarray]:
        """Committed values in (vector, chain) order, as one flat chunk list."""
        if not self.commits:
            return []
        smax = max(v.shape[1] for _, v in self.commits.values())
        out = []
        for t0 in range(0, self.T, _PACK_CHUNK):
            t1 = min(self.T, t0 + _PACK_CHUNK)
            blk = np.zeros((t1 - t0, self.nc, smax), dtype=np.int64)
            ok = np.zeros(blk.shape, dtype=bool)
            for c, (m, v) in self.commits.items():
                blk[:, c, : v.shape[1]] = v[t0:t1]
                ok[:, c, : v.shape[1]] = m[t0:t1, None]
            out.append(blk[ok])
        return out


# --------------------------------------------------------------------------
# input buffer timing and the public entry point
# --------------------------------------------------------------------------

def accept_schedule(push_cycles: np.ndarray, cfg: LebugConfig, num_chains: int) -> np.ndarray:
    """Which vectors the input buffer accepts when vector i arrives in cycle push_cycles[i].

    A scalar recurrence over arrivals (docs/lebug.md "Emulator timing model").
    """
    p = np.asarray(push_cycles, dtype=np.int64)
    if p.ndim != 1 or (p.size > 1 and np.any(np.diff(p) <= 0)) or (p.size and p[0] < 0):
        raise AccelscopeError("push_cycles must be a 1-D strictly increasing array of cycles >= 0")
    accepted = np.zeros(p.size, dtype=bool)
    pops: deque[int] = deque()  # pop cycles of accepted vectors still counted at their push
    last_pop = -(1 << 62)
    for i, k in enumerate(p.tolist()):
        while pops and pops[0] < k:  # popped in a cycle before k: gone at the start of k
            pops.popleft()
        if len(pops) < cfg.IB_DEPTH:
            accepted[i] = True
            last_pop = max(k + 1, last_pop + num_chains)
            pops.append(last_pop)
    return accepted


def _check_inputs(cfg: LebugConfig, x: np.ndarray, eof: np.ndarray | None,
                  thresholds: np.ndarray | None, fw: Firmware) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != cfg.N:
        raise AccelscopeError(f"input vectors: expected shape (n, N={cfg.N}), got {x.shape}")
    if not np.issubdtype(x.dtype, np.integer):
        raise AccelscopeError(f"input vectors: raw words must be integers, got {x.dtype} (convert with fixed.to_raw)")
    x = x.astype(np.int64)
    lo, hi = -(1 << (cfg.DATA_W - 1)), (1 << (cfg.DATA_W - 1)) - 1
    bad = np.argwhere((x < lo) | (x > hi))
    if bad.size:
        i, j = bad[0]
        raise AccelscopeError(f"input vector {i} lane {j}: {x[i, j]} does not fit DATA_W={cfg.DATA_W}")
    if eof is None:
        eof = np.zeros((x.shape[0], 2), dtype=np.int64)
    eof = np.asarray(eof)
    if eof.shape != (x.shape[0], 2) or not np.isin(eof, (0, 1)).all():
        raise AccelscopeError(f"EOF: expected an ({x.shape[0]}, 2) array of 0/1, got shape {eof.shape}")
    thr = default_thresholds(cfg) if thresholds is None else np.asarray(thresholds)
    if thr.shape != (cfg.n_thresholds,) or not np.issubdtype(thr.dtype, np.integer):
        raise AccelscopeError(f"thresholds: expected {cfg.n_thresholds} raw integers (FU_ROWS*M+1), got {thr.shape} "
                              f"{thr.dtype}")
    if fw.num_chains > cfg.MAX_CHAINS:
        raise AccelscopeError(f"firmware has {fw.num_chains} chains; MAX_CHAINS={cfg.MAX_CHAINS}")
    return x, eof.astype(np.int64), wrap(thr, cfg.DATA_W)


def emulate(cfg: LebugConfig, fw: Firmware, x: np.ndarray, eof: np.ndarray | None = None,
            thresholds: np.ndarray | None = None, push_cycles: np.ndarray | None = None,
            method: Method = "auto") -> EmulationResult:
    """Run a whole input stream (raw words) through the firmware.

    thresholds: raw threshold memory; default: the firmware's own, else 0, 1, 2, ...
    push_cycles: arrival cycle of each vector (predicts drops); None = all accepted.
    """
    if thresholds is None:
        thresholds = fw.thresholds
    x, eof, thr = _check_inputs(cfg, x, eof, thresholds, fw)
    if push_cycles is None:
        accepted = np.ones(x.shape[0], dtype=bool)
    else:
        if len(push_cycles) != x.shape[0]:
            raise AccelscopeError(f"push_cycles: {len(push_cycles)} entries for {x.shape[0]} vectors")
        accepted = accept_schedule(push_cycles, cfg, fw.num_chains)
    xa, flags = x[accepted], _Flags(eof[accepted])
    order = plan(fw, cfg) if method != "reference" else None
    if method == "vectorized" and order is None:
        raise AccelscopeError(f"{fw.name}: firmware is outside the vectorized engine's forms")
    if order is not None and xa.shape[0]:
        chunks, used = _Vectorized(cfg, fw, xa, flags, thr).run(order), "vectorized"
    else:
        chunks, used = _run_reference(cfg, fw, xa, flags, thr), "reference"
    flat = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
    nrows = flat.size // cfg.N
    rows = flat[: nrows * cfg.N].reshape(nrows, cfg.N)
    tb_mem = np.zeros((cfg.TB_DEPTH, cfg.N), dtype=np.int64)
    keep = min(nrows, cfg.TB_DEPTH)
    if keep:
        slots = np.arange(nrows - keep, nrows) % cfg.TB_DEPTH
        tb_mem[slots] = rows[nrows - keep:]
    n_acc = int(accepted.sum())
    status = LebugStatus(rows=nrows, drops=int(x.shape[0] - n_acc), cycles=n_acc * fw.num_chains,
                         vectors=n_acc, wrap=int(nrows > cfg.TB_DEPTH), pack_fill=int(flat.size % cfg.N))
    return EmulationResult(rows=rows, tb_mem=tb_mem, status=status, accepted=accepted, method=used)
