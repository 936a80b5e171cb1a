"""Static memory plan of a compiled network (docs/bundle.md, "Memory plan").

Activation tensors (the host-written input and every int8 layer output) share the ACT
scratchpad by liveness: a tensor is live from the descriptor that writes it (the host's
write, before descriptor 0, for the input) to its last reader, and two tensors may share
words only if their lifetimes are disjoint. Placement is greedy first-fit, largest first
(the static planner of TVM's graph executor): each tensor goes to the lowest word address
where it overlaps no placed tensor that is live at the same time. For a chain of layers
this is ping-pong between two regions. A few orders are tried and the smallest extent
wins. Weights, bias/quant words and the logits are live for the whole run and are laid out
one after another (the same planner with whole-run lifetimes).

Every shortfall is one AccelscopeError naming the layer and the bytes missing, e.g.
`layer 3 (Conv2d): activations need 40960 bytes of ACT at peak, ACT has 16384: 24576 bytes short`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pymodel.errors import AccelscopeError

HOST = -1  # producer index of a tensor the host writes before the run


@dataclass(frozen=True)
class Tensor:
    """A buffer to place: `words` words, live from descriptor `producer` (HOST: before the run)
    through descriptor `last_use` (inclusive)."""

    name: str
    layer: str  # the producing layer (for reports and errors), "host" for the input
    producer: int
    last_use: int
    words: int

    def __post_init__(self) -> None:
        if self.words < 0 or self.last_use < self.producer:
            raise AccelscopeError(f"memory plan: tensor {self.name}: {self.words} words live "
                                  f"{self.producer}..{self.last_use}")

    def overlaps_in_time(self, other: Tensor) -> bool:
        return self.producer <= other.last_use and other.producer <= self.last_use


@dataclass(frozen=True)
class Placement:
    tensor: Tensor
    base: int  # word address

    @property
    def end(self) -> int:
        return self.base + self.tensor.words


@dataclass(frozen=True)
class ScratchpadPlan:
    """Where each tensor of one scratchpad lives; `extent` words used of `capacity`."""

    memory: str  # bundle memory name, e.g. "sys_act"
    label: str  # hardware name for messages, e.g. "ACT"
    capacity: int  # words
    word_bytes: int
    placements: tuple[Placement, ...]
    peak_words: int  # most words live at one time (a lower bound of any placement)
    peak_at: int  # descriptor index where the peak occurs

    @property
    def extent(self) -> int:
        return max((p.end for p in self.placements), default=0)

    def base_of(self, name: str) -> int:
        return next(p.base for p in self.placements if p.tensor.name == name)

    def report(self) -> dict[str, Any]:
        return {"words": self.extent, "capacity": self.capacity, "bytes": self.extent * self.word_bytes,
                "capacity_bytes": self.capacity * self.word_bytes, "peak_words": self.peak_words,
                "peak_bytes": self.peak_words * self.word_bytes}

    def tensors(self) -> list[dict[str, Any]]:
        return [{"tensor": p.tensor.name, "memory": self.memory, "producer": p.tensor.layer,
                 "live": [p.tensor.producer, p.tensor.last_use], "base": p.base, "words": p.tensor.words,
                 "end": p.end, "byte_base": p.base * self.word_bytes, "byte_end": p.end * self.word_bytes}
                for p in sorted(self.placements, key=lambda p: (p.tensor.producer, p.base))]


def live_words(tensors: Sequence[Tensor], at: int) -> int:
    return sum(t.words for t in tensors if t.producer <= at <= t.last_use)


def first_fit(tensors: Sequence[Tensor], order: Callable[[Tensor], Any]) -> list[Placement]:
    """Place tensors in `order`, each at the lowest address clear of every placed tensor live
    at the same time."""
    placed: list[Placement] = []
    for t in sorted(tensors, key=order):
        if t.words == 0:
            placed.append(Placement(t, 0))
            continue
        busy = sorted((p.base, p.end) for p in placed if p.tensor.words and p.tensor.overlaps_in_time(t))
        base = 0
        for lo, hi in busy:
            if base + t.words <= lo:
                break
            base = max(base, hi)
        placed.append(Placement(t, base))
    return placed


ORDERS: tuple[Callable[[Tensor], Any], ...] = (
    lambda t: (-t.words, t.producer),  # largest first (TVM's greedy-by-size)
    lambda t: (t.producer, -t.words),  # program order
    lambda t: (-(t.last_use - t.producer), -t.words),  # longest-lived first
)


def plan_scratchpad(memory: str, label: str, tensors: Sequence[Tensor], capacity: int, word_bytes: int,
                    what: str, layers: Sequence[str]) -> ScratchpadPlan:
    """Place `tensors` (words) in a scratchpad of `capacity` words; `layers[i]` names descriptor i
    for the error. Raises AccelscopeError if no tried order fits."""
    steps = sorted({t.producer for t in tensors} | {t.last_use for t in tensors}) or [0]
    peak_at = max(steps, key=lambda s: (live_words(tensors, s), -s))
    peak = live_words(tensors, peak_at)
    where = layers[peak_at] if 0 <= peak_at < len(layers) else "the network input"

    def short(need: int, how: str) -> AccelscopeError:
        nb, cb = need * word_bytes, capacity * word_bytes
        return AccelscopeError(f"{where}: {what} need {nb} bytes of {label} {how}, {label} has {cb}: "
                               f"{nb - cb} bytes short")

    if peak > capacity:
        raise short(peak, "at peak")
    best = min((first_fit(tensors, o) for o in ORDERS), key=lambda ps: max((p.end for p in ps), default=0))
    plan = ScratchpadPlan(memory, label, capacity, word_bytes, tuple(best), peak, peak_at)
    if plan.extent > capacity:
        raise short(plan.extent, f"with the best placement found (peak live {peak * word_bytes} bytes)")
    return plan


def plan_static(memory: str, label: str, items: Sequence[tuple[str, str, int]], capacity: int, word_bytes: int,
                what: str) -> ScratchpadPlan:
    """Buffers live for the whole run (weights, bias/quant, logits), one after another;
    items are (tensor name, layer, words). The error names the first layer that does not fit."""
    tensors = [Tensor(name, layer, HOST, HOST, words) for name, layer, words in items]
    placed, base = [], 0
    for t in tensors:
        placed.append(Placement(t, base))
        base += t.words
    if base > capacity:
        first = next(p for p in placed if p.end > capacity)
        nb, cb = base * word_bytes, capacity * word_bytes
        raise AccelscopeError(f"{first.tensor.layer}: {what} need {nb} bytes of {label} in total, {label} has {cb}: "
                              f"{nb - cb} bytes short")
    return ScratchpadPlan(memory, label, capacity, word_bytes, tuple(placed), base, HOST)
