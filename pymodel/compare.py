"""Whole-array bit-exact comparison with a useful first-mismatch message."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


class MismatchError(AssertionError):
    """The model and the hardware disagree."""


def first_mismatch(expected: np.ndarray, actual: np.ndarray | None) -> str | None:
    """None if equal; else a message with the first mismatching index and both values."""
    exp, act = np.asarray(expected), np.asarray(actual)
    if exp.shape != act.shape:
        return f"shape differs: expected {exp.shape}, actual {act.shape}"
    diff = np.argwhere(exp != act)
    if not diff.size:
        return None
    idx = tuple(int(i) for i in diff[0])
    return (f"{len(diff)} of {exp.size} values differ; first at index {idx}: "
            f"expected {exp[idx]}, actual {act[idx]}")


def assert_equal(name: str, expected: np.ndarray, actual: np.ndarray | None) -> None:
    msg = first_mismatch(expected, actual)
    if msg:
        raise MismatchError(f"{name}: {msg}")


def assert_same_counters(name: str, expected: Mapping[str, int], actual: Mapping[str, int]) -> None:
    bad = [f"{k}: expected {expected[k]}, actual {actual.get(k)}" for k in expected if expected[k] != actual.get(k)]
    if bad:
        raise MismatchError(f"{name}: " + "; ".join(bad))
