"""Cycle-exact model of accel_top's tap and LeBug's intake (docs/top.md, "Tap"): given the
cycles at which the accelerator's output rows arrive, which rows the tap FIFO drops, when
LeBug takes each vector, and the FIFO's high-water mark.

Per clock cycle, as rtl/top/tap_fifo.v, tap_adapter.v and rtl/lebug (input buffer, chain
sequencer) compute it from the registered state:
- a row arriving while the FIFO holds TAP_DEPTH rows is dropped, else pushed;
- the adapter presents the FIFO head's next vector when LeBug's input buffer is not full
  (in_ready); the row leaves the FIFO with its last vector (`vectors_per_row` a row);
- the input buffer (IB_DEPTH vectors) shows a vector pushed in cycle c from cycle c+1;
- the chain sequencer takes the buffer's head when it is idle or issuing its last chain, then
  issues NUM_CHAINS chains on consecutive cycles;
- TAP_MAXFILL is the largest FIFO count of any cycle.
LeBug is enabled, not clearing, and holds nothing when the first row arrives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pymodel.errors import AccelscopeError


@dataclass(frozen=True)
class Intake:
    accepted: np.ndarray  # bool per arriving row: stored in the FIFO (False: dropped)
    taken: np.ndarray  # per vector LeBug received (accepted rows x vectors_per_row): the cycle its chains start
    maxfill: int  # the FIFO's highest count

    @property
    def drops(self) -> int:
        return int((~self.accepted).sum())


def tap_intake(arrivals: np.ndarray, tap_depth: int, vectors_per_row: int, ib_depth: int, chains: int) -> Intake:
    """Simulate the tap and LeBug's intake for rows arriving at `arrivals` (strictly increasing
    clock cycles, one row a cycle at most), until every accepted vector is taken (or, with no
    chain, until nothing moves any more)."""
    arr = np.asarray(arrivals, dtype=np.int64)
    if arr.size and np.any(np.diff(arr) <= 0):
        raise AccelscopeError("tap model: row arrival cycles must increase strictly")
    n = len(arr)
    accepted = np.zeros(n, dtype=bool)
    taken: list[int] = []
    fifo = part = ib = idx = 0
    busy = False  # the chain sequencer holds a vector
    maxfill = 0
    i = 0  # next arrival
    c = int(arr[0]) if n else 0
    while True:
        # nothing moves until the next row: all drained, or (no chain to run) LeBug's buffer full
        still = (fifo == 0 and ib == 0 and not busy) or (chains == 0 and (fifo == 0 or ib == ib_depth))
        if still:
            if i >= n:
                break
            c = max(c, int(arr[i]))
        maxfill = max(maxfill, fifo)
        arrive = i < n and arr[i] == c
        push = arrive and fifo < tap_depth
        if arrive:
            accepted[i] = push
            i += 1
        vec = fifo > 0 and ib < ib_depth
        last_part = part == vectors_per_row - 1
        row_pop = vec and last_part
        last_chain = busy and idx + 1 >= chains
        pop = (not busy or last_chain) and ib > 0 and chains > 0
        if pop:
            taken.append(c)
        fifo += int(push) - int(row_pop)
        if vec:
            part = 0 if last_part else part + 1
        ib += int(vec) - int(pop)
        if pop:
            busy, idx = True, 0
        elif last_chain:
            busy = False
        elif busy:
            idx += 1
        c += 1
    return Intake(accepted, np.asarray(taken, dtype=np.int64), maxfill)


@dataclass(frozen=True)
class TapLog:
    """What the top harness logs of the tap (tb/top/top_harness.v, tap.txt)."""

    arrivals: np.ndarray  # the cycle of each output row at the tap, in stream order
    accepted: np.ndarray  # bool: the RTL stored it (False: dropped, FIFO full)
    busy_rise: np.ndarray  # cycles the accelerator became busy (one a run)
    busy_fall: np.ndarray  # cycles it became idle again

    @property
    def drops(self) -> int:
        return int((~self.accepted).sum())


def parse_tap_log(text: str, where: str) -> TapLog:
    """tap.txt: `r <cycle> <1|0>`, `b <cycle>`, `e <cycle>` lines."""
    rows: list[tuple[int, int]] = []
    edges: dict[str, list[int]] = {"b": [], "e": []}
    for i, line in enumerate(text.splitlines(), start=1):
        f = line.split()
        try:
            if f and f[0] == "r" and len(f) == 3 and f[2] in ("0", "1"):
                rows.append((int(f[1]), int(f[2])))
            elif f and f[0] in edges and len(f) == 2:
                edges[f[0]].append(int(f[1]))
            else:
                raise ValueError
        except ValueError:
            raise AccelscopeError(f"{where}:{i}: not a tap log line: {line[:60]!r}") from None
    r = np.asarray(rows, dtype=np.int64).reshape(-1, 2)
    return TapLog(r[:, 0], r[:, 1].astype(bool), np.asarray(edges["b"], np.int64), np.asarray(edges["e"], np.int64))


def batch_backlog(intake: Intake, log: TapLog, batch_rows: list[int], vectors_per_row: int) -> list[str]:
    """Per batch of a stream (one accelerator run each, `batch_rows` output rows each): how far behind
    LeBug was when the batch ended. "none": it had taken the batch's last vector by the time the
    accelerator was no longer busy; "some": later, but before the next batch started; "beyond": the
    next batch was running (its rows arriving) while LeBug still worked on this one's."""
    if len(log.busy_rise) != len(batch_rows) or len(log.busy_fall) != len(batch_rows):
        raise AccelscopeError(f"tap log: {len(log.busy_rise)} runs started and {len(log.busy_fall)} ended, "
                              f"the stream has {len(batch_rows)} batches")
    ends = np.cumsum(batch_rows)
    stored = np.concatenate([[0], np.cumsum(intake.accepted)])[ends] * vectors_per_row  # vectors by each batch end
    out = []
    for k, v in enumerate(stored.tolist()):
        if v == 0 or (k and v == stored[k - 1]):
            out.append("none")  # nothing of this batch reached LeBug
            continue
        last = int(intake.taken[v - 1])
        nxt = int(log.busy_rise[k + 1]) if k + 1 < len(batch_rows) else None
        out.append("none" if last <= log.busy_fall[k] else "some" if nxt is None or last <= nxt else "beyond")
    return out
