"""Functional coverage on cocotb-coverage 2.0, sampled from plain Python values.

The models (tb/<block>/coverage.py) are CoverPoint/CoverCross decorators on sampling
functions, registered in cocotb-coverage's one database (`coverage_db`) under the block's
name. Nothing here needs a simulator: a regression case returns what it ran (firmware,
descriptors, bundle) and what the model computed as plain values (`Sample`s, picklable,
so Dask workers can send them), and the parent process samples them in seed order.

Every item is named after what it means: `<block>.<group>.<item>`. Items whose name ends
in `_x_...` or that are CoverCross are crosses; the sign-off gate (docs/verification.md,
"Testplan") wants every coverpoint at 100 % and crosses at >= 75 %.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cocotb_coverage.coverage import CoverCross, CoverPoint, coverage_db

Sample = dict[str, Any]  # one case's sampled values (block-specific keys)


def reset(root: str) -> None:
    """Forget every item under `root` (a fresh model; cocotb-coverage keeps one global database)."""
    for name in [n for n in coverage_db if n == root or n.startswith(root + ".")]:
        del coverage_db[name]


def point(name: str, bins: list, labels: list[str] | None = None, multi: bool = False,
          rel: Callable[[Any, Any], bool] | None = None) -> CoverPoint:
    """A CoverPoint that samples its function's single argument (bin b is hit when
    rel(argument, b), default ==). `multi`: several bins may be hit by one sample (the
    default rel is then membership: the argument is a collection of bins)."""
    if multi:
        return CoverPoint(name, bins=bins, bins_labels=labels, rel=rel or (lambda value, b: b in value), inj=False)
    return CoverPoint(name, bins=bins, bins_labels=labels, rel=rel)


def cross(name: str, items: list[str], ignore: list[tuple] | None = None) -> CoverCross:
    return CoverCross(name, items=items, ign_bins=ignore or [])


@dataclass
class ItemSummary:
    name: str
    kind: str  # "point" or "cross"
    size: int
    covered: int
    holes: list[str]

    @property
    def pct(self) -> float:
        return 100.0 * self.covered / self.size if self.size else 100.0


def _label(b: Any) -> str:
    if isinstance(b, tuple):
        return "(" + ", ".join(str(x) for x in b) + ")"
    return str(b)


def summary(root: str) -> list[ItemSummary]:
    """Every coverpoint and cross under `root`, with the bins never hit (the holes)."""
    out = []
    for name in sorted(n for n in coverage_db if n.startswith(root + ".")):
        item = coverage_db[name]
        if not isinstance(item, (CoverPoint, CoverCross)):
            continue
        hits = item.detailed_coverage
        holes = [_label(b) for b, n in hits.items() if n < item.at_least]
        out.append(ItemSummary(name, "cross" if isinstance(item, CoverCross) else "point", item.size,
                               item.coverage, holes))
    return out


def totals(root: str) -> dict[str, float]:
    """Percentages: all bins, coverpoints only, crosses only (as the sign-off gates count them)."""
    items = summary(root)
    res = {}
    for key, sel in (("all", items), ("points", [i for i in items if i.kind == "point"]),
                     ("crosses", [i for i in items if i.kind == "cross"])):
        size = sum(i.size for i in sel)
        res[key] = round(100.0 * sum(i.covered for i in sel) / size, 2) if size else 100.0
    return res


def export(path: Path) -> None:
    """The whole database as YAML (cocotb_coverage.coverage.merge_coverage merges such files)."""
    coverage_db.export_to_yaml(str(path))
