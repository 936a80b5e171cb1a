"""Code coverage sweep (minutes: coverage builds, then every case 10-25x slower), kept out of
make test: `accelscope regress --coverage` on every block, checked and summarised into
bench/results/code_coverage.json.

    .venv/bin/python -m bench.code_coverage [--seeds 20]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from tb.regress.engine import regress
from tb.regress.options import Options

RESULTS = Path(__file__).resolve().parent / "results" / "code_coverage.json"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        res = regress(Options(blocks=["lebug", "systolic", "top"], seeds=a.seeds, out=out, coverage=True))
        code = res["code_coverage"]
        report = (out / "report.md").read_text()
        ok = (res["passed"] and Path(code["info"]).exists() and Path(code["html"]).exists()
              and f"line {code['total']['line']:.2f} %" in report and "## Code coverage" in report)
        summary = {"seeds": a.seeds, "passed": bool(res["passed"]), "total": code["total"], "ok": ok}
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
