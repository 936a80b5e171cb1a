"""The machine a measurement was taken on, recorded in every results JSON (bench/results/,
`make synth`, `make formal`): CPUs, platform, Python, and the load when it was written
(other processes skew wall times)."""

from __future__ import annotations

import os
import platform
from typing import Any


def machine() -> dict[str, Any]:
    """The machine, and its load when the result was written."""
    try:
        load: list[float] | None = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {"cpu_count": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "processor": platform.processor() or platform.machine(), "loadavg_1_5_15min": load}
