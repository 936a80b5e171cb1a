"""The tap model (pymodel/top/tapmodel.py) and the tap-rate analysis (pymodel/top/taprate.py) on
hand-worked examples; the regressions check both against the RTL (the stored rows, TAP_MAXFILL and
the fill bound of every streamed and bundle case: tb/top/stream.py, pymodel/top/result.py)."""

from __future__ import annotations

import numpy as np
import pytest

from pymodel.errors import AccelscopeError
from pymodel.top.tapmodel import TapLog, batch_backlog, parse_tap_log, tap_intake
from pymodel.top.taprate import TapRate


def test_intake_by_hand() -> None:
    """Rows at cycles 0..5 into a 2-row FIFO, LeBug with a 1-vector buffer and 2 chains, worked cycle by
    cycle from the RTL's rules (docs/top.md "Tap"): r0 is in the FIFO from cycle 1, in the input buffer
    from 2, taken at 2; r1 enters the buffer at 3 (in_ready low at 2: the buffer full), taken at 4 (the
    last chain of r0); r3 and r5 find the FIFO full (2 rows) and are dropped."""
    got = tap_intake(np.arange(6), tap_depth=2, vectors_per_row=1, ib_depth=1, chains=2)
    assert got.accepted.tolist() == [True, True, True, False, True, False]
    assert got.taken.tolist() == [2, 4, 6, 8]
    assert got.maxfill == 2 and got.drops == 2


def test_intake_split_rows_and_idle_gaps() -> None:
    """Two vectors a row, one chain: each row needs two free buffer slots; with the rows 10 cycles
    apart nothing waits: a row arriving at c is taken at c+2 (vector 0) and c+3 (vector 1)."""
    got = tap_intake(np.array([5, 15, 25]), tap_depth=4, vectors_per_row=2, ib_depth=4, chains=1)
    assert got.accepted.all() and got.maxfill == 1
    assert got.taken.tolist() == [7, 8, 17, 18, 27, 28]


def test_intake_rejects_unordered_arrivals() -> None:
    with pytest.raises(AccelscopeError, match="increase strictly"):
        tap_intake(np.array([3, 3]), 4, 1, 2, 1)


def test_rate_by_hand() -> None:
    """Two descriptors (8 rows in 20 cycles, 4 rows in 10), 2 LeBug cycles a row. One batch at a time:
    backlog 16 after the first (X = max(16, 0 + 16 - 20)); during the second at most (16 + 8) / 2 = 12 rows.
    Overlapped: LeBug's 24 cycles a batch fit the array's 30, the backlog at a batch start settles at
    max(8, 16 + 8 - 10) = 14 cycles, so the FIFO holds at most (14 + 16) / 2 = 15 rows."""
    r = TapRate(rows=(8, 4), cycles=(20, 10), vectors_per_row=1, chains=2, tap_depth=15)
    assert (r.lebug_cycles, r.array_cycles, r.keeps_up) == (24, 30, True)
    assert r.fill_bound(False) == 12 and r.fill_bound(True) == 15
    assert r.overlap_ok and r.one_at_a_time_ok
    tight = TapRate(rows=(8, 4), cycles=(20, 10), vectors_per_row=1, chains=2, tap_depth=14)
    assert not tight.overlap_ok and tight.one_at_a_time_ok
    slow = TapRate(rows=(8, 4), cycles=(20, 10), vectors_per_row=2, chains=2, tap_depth=1024)
    assert not slow.keeps_up and slow.fill_bound(True) is None and not slow.overlap_ok
    assert "one at a time" in slow.describe()


def test_tap_log_and_backlog() -> None:
    """tap.txt parsing; the backlog bins: batch 0's last vector is taken before the accelerator goes
    idle (none), batch 1's after it but before batch 2 starts (some), batch 2's while batch 3 runs
    (beyond), the last batch's after the end (some)."""
    log = parse_tap_log("b 0\nr 1 1\nr 2 1\ne 5\nb 10\nr 11 1\ne 12\nb 20\nr 21 1\ne 22\nb 24\nr 25 0\ne 30\n", "t")
    assert log.arrivals.tolist() == [1, 2, 11, 21, 25] and log.drops == 1
    intake = tap_intake(log.arrivals, 8, 1, 4, 1)
    assert intake.taken.tolist() == [3, 4, 13, 23, 27]
    slow = TapLog(log.arrivals, log.accepted, log.busy_rise, log.busy_fall)
    late = type(intake)(intake.accepted, np.array([3, 4, 15, 26, 31]), intake.maxfill)
    assert batch_backlog(late, slow, [2, 1, 1, 1], 1) == ["none", "some", "beyond", "some"]
    with pytest.raises(AccelscopeError, match="t:2: not a tap log line"):
        parse_tap_log("r 1 1\nr 2 x\n", "t")
