"""Can LeBug keep up with the accelerator's output stream? (docs/top.md, "Tap rate")

LeBug takes one vector every NUM_CHAINS cycles (docs/lebug.md) and the tap hands it
`vectors_per_row` vectors an output row, so a row costs LeBug exactly `cycles_per_row`
cycles of work. The accelerator cannot be stalled: what LeBug has not taken waits in the tap
FIFO (TAP_DEPTH rows); a row that finds it full is dropped.

The bound. Descriptor d of a batch emits its R_d rows within its own C_d cycles (the CYCLES
counter's share, drain included; the next descriptor starts after it), so LeBug receives
A_d = R_d x cycles_per_row cycles of work in a window of at least C_d cycles. LeBug works
whenever it has work, so its backlog X_d at the end of descriptor d obeys
    X_d <= max(A_d, X_(d-1) + A_d - C_d)
(if it idled during d, only d's work can remain; otherwise it worked all C_d cycles), and the
FIFO never holds more rows than (X_(d-1) + A_d) / cycles_per_row during d. One batch at a time
(each waits for the tap and LeBug to drain) starts from X = 0. Overlapped batches start the next
batch right after the accelerator's last descriptor, so the recursion runs on across batches; it
stays bounded iff LeBug's work a batch is at most the batch's cycles (`keeps_up`), and then its
fixed point bounds every batch. A stream is safe when the bound fits TAP_DEPTH.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pymodel.bundle import Bundle
from pymodel.errors import AccelscopeError
from pymodel.systolic.model import descriptor_counters
from pymodel.top.config import TopConfig
from pymodel.top.model import descriptors_of, lebug_program


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True)
class TapRate:
    """One batch of a compiled network against LeBug's pace."""

    rows: tuple[int, ...]  # output rows of each descriptor of a batch
    cycles: tuple[int, ...]  # each descriptor's cycles (the model's CYCLES share, drain included)
    vectors_per_row: int  # LeBug vectors the tap makes of a row
    chains: int  # the tap firmware's chains: LeBug cycles a vector
    tap_depth: int  # tap FIFO rows

    @property
    def cycles_per_row(self) -> int:
        return self.vectors_per_row * self.chains

    @property
    def stream_rows(self) -> int:
        return sum(self.rows)

    @property
    def array_cycles(self) -> int:
        return sum(self.cycles)

    @property
    def lebug_cycles(self) -> int:
        """LeBug's cycles of work a batch."""
        return self.stream_rows * self.cycles_per_row

    @property
    def keeps_up(self) -> bool:
        """LeBug's work a batch fits in the batch's accelerator cycles (on average it keeps up)."""
        return self.lebug_cycles <= self.array_cycles

    def _pass(self, backlog: int) -> tuple[int, int]:
        """One batch from a backlog (LeBug cycles of work): (most FIFO rows, backlog at its end)."""
        most = 0
        for r, c in zip(self.rows, self.cycles):
            work = r * self.cycles_per_row
            most = max(most, ceil_div(backlog + work, self.cycles_per_row))
            backlog = max(work, backlog + work - c)
        return most, backlog

    def fill_bound(self, overlap: bool) -> int | None:
        """The most rows the tap FIFO can hold (None: unbounded, overlapped batches LeBug cannot keep up
        with)."""
        if not overlap:
            return self._pass(0)[0]
        if not self.keeps_up:
            return None
        start = self._pass(0)[1]  # the backlog after a first batch; with keeps_up the next ones end no higher
        most, end = self._pass(start)
        assert end <= start, (start, end)
        return most

    @property
    def one_at_a_time_ok(self) -> bool:
        """No drop can happen when each batch waits for the tap and LeBug to drain."""
        bound = self.fill_bound(False)  # without overlap it is always a number
        return bound is not None and bound <= self.tap_depth

    @property
    def overlap_ok(self) -> bool:
        """No drop can happen with overlapped batches."""
        bound = self.fill_bound(True)
        return bound is not None and bound <= self.tap_depth

    def describe(self) -> str:
        """One line for compile and eval."""
        pace = (f"LeBug needs {self.lebug_cycles} cycles a batch ({self.stream_rows} rows x {self.vectors_per_row} "
                f"vector{'s' if self.vectors_per_row > 1 else ''} x {self.chains} chain"
                f"{'s' if self.chains > 1 else ''}), the array {self.array_cycles}")
        if self.overlap_ok:
            how = f"batches may overlap (tap FIFO fill at most {self.fill_bound(True)} of {self.tap_depth} rows)"
        elif self.one_at_a_time_ok:
            why = ("LeBug is slower than the array" if not self.keeps_up else
                   f"overlapped, the tap FIFO could need {self.fill_bound(True)} of its {self.tap_depth} rows")
            how = (f"{why}: batches run one at a time, each waiting for the tap and LeBug to drain "
                   f"(fill at most {self.fill_bound(False)} rows)")
        else:
            how = f"the tap FIFO could need {self.fill_bound(False)} of its {self.tap_depth} rows: LeBug may drop rows"
        return f"tap: {pace}; {how}"

    def as_dict(self) -> dict[str, Any]:
        return {"stream_rows": self.stream_rows, "vectors_per_row": self.vectors_per_row, "chains": self.chains,
                "lebug_cycles": self.lebug_cycles, "array_cycles": self.array_cycles, "tap_depth": self.tap_depth,
                "keeps_up": self.keeps_up, "fill_bound": self.fill_bound(False),
                "fill_bound_overlapped": self.fill_bound(True), "overlap_ok": self.overlap_ok,
                "one_at_a_time_ok": self.one_at_a_time_ok}


def rate_of(cfg: TopConfig, descs: Sequence[Any], chains: int) -> TapRate:
    """The analysis of one descriptor list (they must pass CHECK) with `chains`-chain tap firmware."""
    counters = [descriptor_counters(cfg.sys, d) for d in descs]
    return TapRate(tuple(c.rows for c in counters), tuple(c.cycles for c in counters), cfg.vectors_per_row,
                   chains, cfg.TAP_DEPTH)


def tap_rate(bundle: Bundle) -> TapRate:
    """The analysis of a compiled network's batch (bank 0's descriptor list, the tap firmware)."""
    cfg = TopConfig.from_hardware(bundle.hardware)
    fw, _ = lebug_program(bundle, cfg)
    return rate_of(cfg, descriptors_of(bundle), len(fw.chains))


def check_tap_rate(rate: TapRate, where: str) -> None:
    """Refuse a network whose batches could overflow the tap FIFO even one at a time."""
    if not rate.one_at_a_time_ok:
        raise AccelscopeError(f"{where}: the tap FIFO could need {rate.fill_bound(False)} rows of its "
                              f"{rate.tap_depth} (TAP_DEPTH) while LeBug, at {rate.cycles_per_row} cycles a row, "
                              f"catches up with a batch's {rate.stream_rows} rows: it could drop some; compile with a "
                              f"smaller --batch or a larger --tap-depth")
