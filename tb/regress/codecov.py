"""Code coverage of rtl/: Verilator's coverage data (coverage.dat) merged, summarized per
file and type, and turned into lcov .info and HTML.

The `verilator-native` coverage build (tb/runner.py, ensure_built(coverage=True): Verilator
5.048 `--coverage-line --coverage-toggle`, the harness excluded) writes one coverage.dat
per run. Points are merged here by their key (a file holds `C '<key>' <count>` lines), so
no tool is needed for that; Debian's `verilator_coverage` (5.006, only this, never for
builds) writes the lcov .info (`--write-info`) and lcov's `genhtml` the HTML report.

Per-file numbers count a point once per code location and object (the instance
hierarchy is dropped: a line is covered when any instance, configuration or test hit it):
`line` (statement blocks), `branch` (if/else and case arms, Verilator's line coverage
also gives them) and `toggle` (every bit of every signal, 0->1 and 1->0).
"""

from __future__ import annotations

import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pymodel.errors import AccelscopeError

TOOLS = {"verilator_coverage": "verilator", "genhtml": "lcov"}  # command -> Debian package
TYPES = ("line", "branch", "toggle")


def check_tools() -> None:
    """One line naming what is missing (regress --coverage needs both)."""
    missing = [(cmd, pkg) for cmd, pkg in TOOLS.items() if shutil.which(cmd) is None]
    if missing:
        raise AccelscopeError(f"--coverage needs {' and '.join(c for c, _ in missing)}; install with: "
                              f"sudo apt-get install {' '.join(p for _, p in missing)} (make bootstrap does this)")


def read(path: Path) -> dict[str, int]:
    """key -> count of one coverage.dat."""
    out: dict[str, int] = {}
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            if not line.startswith("C '"):
                continue
            end = line.rindex("'")
            key, count = line[3:end], int(line[end + 1:])
            out[key] = out.get(key, 0) + count
    return out


def add(total: dict[str, int], counts: dict[str, int]) -> dict[str, int]:
    """Sum `counts` into `total` (point by point); returns total."""
    for key, n in counts.items():
        total[key] = total.get(key, 0) + n
    return total


def write(total: dict[str, int], out: Path) -> int:
    """One coverage.dat in Verilator's own format; returns the points."""
    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write("# SystemC::Coverage-3\n")
        for key, n in total.items():
            f.write(f"C '{key}' {n}\n")
    tmp.replace(out)
    return len(total)


def _fields(key: str) -> dict[str, str]:
    out = {}
    for part in key.split("\x01")[1:]:
        k, _, v = part.partition("\x02")
        out[k] = v
    return out


@dataclass
class FileCoverage:
    path: str  # relative to the rtl/ root's parent when possible
    points: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TYPES, 0))
    hit: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TYPES, 0))
    holes: dict[str, list[str]] = field(default_factory=lambda: {t: [] for t in TYPES})

    def pct(self, t: str) -> float | None:
        return round(100.0 * self.hit[t] / self.points[t], 2) if self.points[t] else None


def summarize(dat: Path, root: Path) -> tuple[dict[str, FileCoverage], dict[str, float | None]]:
    """Per rtl/ file and in total: points, points hit, percentages, holes (uncovered lines,
    branch arms, signal bits). Points outside `root` (none, with the harness excluded) are skipped."""
    merged: dict[tuple[str, str, str, str, str], int] = defaultdict(int)
    for key, n in read(dat).items():
        f = _fields(key)
        typ = f.get("t", "line")
        if typ not in TYPES:
            typ = "line"
        merged[(f.get("f", "?"), typ, f.get("l", "0"), f.get("n", ""), f.get("o", ""))] += n
    files: dict[str, FileCoverage] = {}
    root = root.resolve()
    for (fname, typ, line, _col, obj), n in sorted(merged.items(), key=lambda kv: (kv[0][0], kv[0][1],
                                                                                  int(kv[0][2] or 0), kv[0][4])):
        p = Path(fname)
        try:
            rel = str(p.resolve().relative_to(root.parent))
        except ValueError:
            continue
        fc = files.setdefault(rel, FileCoverage(rel))
        fc.points[typ] += 1
        if n > 0:
            fc.hit[typ] += 1
        else:
            fc.holes[typ].append(f"{line}:{obj}" if typ == "toggle" else f"{line} ({obj})")
    total: dict[str, float | None] = {}
    for t in TYPES:
        pts = sum(fc.points[t] for fc in files.values())
        total[t] = round(100.0 * sum(fc.hit[t] for fc in files.values()) / pts, 2) if pts else None
    return files, total


def toggle_holes(fc: FileCoverage) -> list[str]:
    """Toggle holes per signal: 'name (bits missing / points)' (bits of one signal collapsed)."""
    per: dict[str, int] = defaultdict(int)
    for h in fc.holes["toggle"]:
        line, _, obj = h.partition(":")
        name = obj.split("[")[0].split(":")[0]
        per[f"{name} (line {line})"] += 1
    return [f"{k}: {v} transitions never seen" for k, v in per.items()]


def write_info_and_html(dat: Path, info: Path, html: Path) -> None:
    """lcov .info with Debian's verilator_coverage, HTML with genhtml (check_tools first)."""
    r = subprocess.run(["verilator_coverage", "--write-info", str(info), str(dat)], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL)
    if r.returncode != 0 or not info.exists():
        raise AccelscopeError(f"verilator_coverage --write-info failed: {(r.stderr or r.stdout).strip()[:300]}")
    shutil.rmtree(html, ignore_errors=True)
    r = subprocess.run(["genhtml", "--quiet", "--output-directory", str(html), str(info)], capture_output=True,
                       text=True, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise AccelscopeError(f"genhtml failed: {(r.stderr or r.stdout).strip()[:300]}")
