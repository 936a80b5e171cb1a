"""Functional coverage of a finished sweep: every passing case's sample fed, in seed order,
into a fresh model of its block (tb/<block>/coverage.py), and the coverage curve."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from tb.lebug import coverage as lebug_coverage
from tb.regress import funcov
from tb.regress.cases import CaseResult
from tb.systolic import coverage as systolic_coverage
from tb.top import coverage as top_coverage

CoverageModel = lebug_coverage.Model | systolic_coverage.Model | top_coverage.Model
MODELS: dict[str, Callable[[], CoverageModel]] = {
    "lebug": lebug_coverage.Model, "systolic": systolic_coverage.Model, "top": top_coverage.Model}


def coverage_model(block: str) -> CoverageModel:
    """A fresh coverage model of `block` (its items reset in cocotb-coverage's database)."""
    return MODELS[block]()


def sample_functional(blocks: Iterable[str], results: list[CaseResult]) -> dict[str, list[tuple[int, float]]]:
    """Sample every passing case into fresh models, in seed order; returns the coverage curve
    (cases so far, % of all bins) per block."""
    curves: dict[str, list[tuple[int, float]]] = {}
    for b in blocks:
        model = coverage_model(b)
        rs = [r for r in results if r.block == b]
        curve = []
        step = max(1, len(rs) // 200)
        for i, r in enumerate(rs, start=1):
            if r.ok and r.sample:
                model.sample(r.sample)
            if i % step == 0 or i == len(rs):
                curve.append((i, funcov.totals(b)["all"]))
        curves[b] = curve
    return curves
