"""Long fuzzing run of the CLI's bad-input properties: the properties of tests/fuzz_targets.py (the ones `make test`
runs with a few examples, tests/test_fuzz.py) on many more inputs per target.

Usage: .venv/bin/python -m bench.fuzz [--examples 2000] [--targets bundle npy ...] [--seed N]

Writes bench/results/fuzz.json: per target the inputs tried (every input hypothesis ran,
shrinking included), per command the runs, exits 0 and 2, simulator stubs reached, and
tracebacks (must be 0), the wall time, and the falsifying example if the property failed.
Exit status 1 if any target failed. docs/verification.md ("Fuzzing") describes the properties.
"""

from __future__ import annotations

import argparse
import time
import traceback

from bench.common import write
from tests.fuzz_targets import SEED, STATS, TARGETS


def fuzz(name: str, examples: int, seed: int) -> dict:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as fixed_seed

    target = TARGETS[name]

    @fixed_seed(seed)
    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=target.strategy())
    def prop(case: object) -> None:
        target.check(case)

    t0 = time.perf_counter()
    failure = None
    try:
        prop()
    except Exception as e:  # the property failed: hypothesis shrank it and attached the example
        failure = "".join(traceback.format_exception(e))[-6000:]
    c = STATS[name]
    per_command = {}
    for key, n in sorted(c.items()):
        cmd, sep, what = key.partition(": ")
        if sep:
            per_command.setdefault(cmd, {})[what] = n
    return {"what": target.what, "inputs_tried": c["inputs"], "tracebacks": c["tracebacks"],
            "exit_0": sum(v.get("exit 0", 0) for v in per_command.values()),
            "exit_2": sum(v.get("exit 2", 0) for v in per_command.values()),
            "simulator_reached": sum(v.get("simulator reached", 0) for v in per_command.values()),
            "commands": per_command, "wall_s": round(time.perf_counter() - t0, 1), "passed": failure is None,
            "failure": failure}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=int, default=2000, help="hypothesis examples per target (default 2000)")
    ap.add_argument("--targets", nargs="+", choices=list(TARGETS), default=list(TARGETS))
    ap.add_argument("--seed", type=int, default=SEED, help=f"hypothesis seed (default {SEED})")
    args = ap.parse_args()
    print(f"fuzz seed {args.seed}, {args.examples} examples per target", flush=True)
    results = {}
    for name in args.targets:
        r = results[name] = fuzz(name, args.examples, args.seed)
        print(f"{name:9s} {r['inputs_tried']:6d} inputs: {r['exit_0']:6d} exit 0, {r['exit_2']:6d} exit 2, "
              f"{r['simulator_reached']:5d} simulator reached, {r['tracebacks']} tracebacks, {r['wall_s']:7.1f} s"
              + ("" if r["passed"] else "  PROPERTY FAILED"), flush=True)
        if r["failure"]:
            print(r["failure"], flush=True)
    out = write("fuzz", {"seed": args.seed, "examples_per_target": args.examples, "targets": results,
                         "inputs_tried": sum(r["inputs_tried"] for r in results.values()),
                         "tracebacks": sum(r["tracebacks"] for r in results.values()),
                         "passed": all(r["passed"] for r in results.values())})
    print(f"wrote {out}")
    if not all(r["passed"] for r in results.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
