"""`make mutate`: generate mutants of every rtl/ module, build each configuration's mutant design
once, run every mutant through the kill set, prove surviving ones equivalent where yosys can, and
report per block (docs/verification.md, "Mutation").

Deterministic: the same seed and counts give the same mutants (yosys `mutate -list -seed`), and
the kill set's cases and fault tests run fixed seeds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from pymodel.errors import AccelscopeError
from tb.mutate import design, equiv, killset, report
from tb.mutate.design import Mutant, Unit
from tb.runner import TB_DIR, rtl_root, sim_build_root

DEFAULT_OUT = TB_DIR.parent / "bench" / "results" / "mutation.json"
BLOCK_DIRS = ("common", "lebug", "systolic", "top")


@dataclass
class Options:
    mutants: int = 560  # about this many in all (every module at least `min_per_module`)
    min_per_module: int = 8
    seed: int = 1
    blocks: Sequence[str] = BLOCK_DIRS  # rtl/ directories whose modules are mutated
    jobs: int = 1
    out: Path | None = DEFAULT_OUT
    label: str = "run"  # the run's name in the JSON (e.g. before / after new stimulus)
    equivalence: bool = True
    baseline: bool = True  # the original design (MUTSEL=0) through the whole kill set first
    cut: bool = True  # try the registers-cut proof (equiv.cut_check) on unproven survivors
    only: Sequence[tuple[str, int]] = ()  # (unit, mutsel) to run; empty: all
    reprove: str | None = None  # only redo the proofs and arguments of this label of `out`
    reuse: str | None = None  # take the kills of this label of `out` (same mutants) and only redo the proofs
    progress: bool = True
    work: Path = field(default_factory=lambda: sim_build_root() / "mutate")


def lines_of(module: str) -> int:
    return len((rtl_root() / design.rtl_dir_of(module) / f"{module}.v").read_text().splitlines())


def allocate(opts: Options) -> dict[str, dict[str, int]]:
    """Mutants per unit and module: each module's share of `mutants` by its source lines (at
    least min_per_module), split evenly over the units it is mutated in."""
    homes: dict[str, list[Unit]] = {}
    for u in design.units():
        for m in u.modules:
            if design.rtl_dir_of(m) in opts.blocks:
                homes.setdefault(m, []).append(u)
    total_lines = sum(lines_of(m) for m in homes)
    plan: dict[str, dict[str, int]] = {}
    for m, us in homes.items():
        n = max(opts.min_per_module, round(opts.mutants * lines_of(m) / total_lines))
        for i, u in enumerate(us):
            plan.setdefault(u.name, {})[m] = n // len(us) + (1 if i < n % len(us) else 0)
    return plan


def generate(opts: Options) -> list[tuple[Unit, list[Mutant]]]:
    """Elaborate, draw and build the netlist of every unit with mutants; netlists under
    work/netlists/<block>/<tag>.v (tb.runner's ACCELSCOPE_MUTANTS layout)."""
    plan = allocate(opts)
    out = []
    for u in design.units():
        if u.name not in plan:
            continue
        work = opts.work / u.name
        design.elaborate(u, work)
        mutants = design.draw(u, work, plan[u.name], opts.seed)
        design.netlist(u, work, mutants, netlist_path(opts, u))
        out.append((u, mutants))
    return out


def netlist_path(opts: Options, u: Unit) -> Path:
    return opts.work / "netlists" / u.block / f"{u.cfg().tag()}.v"


def _worker_init(netlists: str, root: str) -> None:
    os.environ["ACCELSCOPE_SIM_BUILD"] = root
    killset.use_netlists(Path(netlists))


def _run_one(block: str, config: str, mutsel: int) -> dict[str, str]:
    k = killset.run_mutant(block, config, mutsel)
    return {"by": k.by, "what": k.what, "error": k.error}


def baseline(units: Sequence[Unit]) -> dict[str, Any]:
    """The original design (MUTSEL=0) through the whole kill set: it must pass, or every kill
    would mean nothing."""
    res = {}
    for u in units:
        t0 = time.perf_counter()
        k = killset.run_mutant(u.block, u.config, 0)
        res[u.name] = {"passed": not k.killed, "error": k.error, "what": k.what,
                       "cases": len(killset.sweep_seeds(u.block, u.config)),
                       "fault_tests": killset.faults_on(u.block, u.config),
                       "wall_s": round(time.perf_counter() - t0, 1)}
        if k.killed:
            raise AccelscopeError(f"the original design ({u.name}, MUTSEL=0) fails the kill set: {k.what}: {k.error}")
    return res


def run(opts: Options) -> dict[str, Any]:
    from tqdm import tqdm

    t0 = time.perf_counter()
    generated = generate(opts)
    t_gen = time.perf_counter() - t0
    netlists = opts.work / "netlists"
    killset.use_netlists(netlists)
    t1 = time.perf_counter()
    for u, _ in generated:
        killset.build(u.block, u.config, faults=killset.faults_on(u.block, u.config))
    t_build = time.perf_counter() - t1
    t2 = time.perf_counter()
    base = baseline([u for u, _ in generated]) if opts.baseline else {}
    t_base = time.perf_counter() - t2
    todo = [(u, m) for u, ms in generated for m in ms if not opts.only or (u.name, m.mutsel) in set(opts.only)]
    results: dict[tuple[str, int], dict[str, str]] = {}
    if opts.reuse:
        todo, results = _reused(opts, todo)
    t3 = time.perf_counter()
    with tqdm(total=len(todo) - len(results), desc="mutants", unit="mutant", disable=not opts.progress,
              file=sys.stderr) as bar:
        if opts.jobs <= 1:
            for u, m in todo:
                if (u.name, m.mutsel) not in results:
                    results[(u.name, m.mutsel)] = _run_one(u.block, u.config, m.mutsel)
                    bar.update(1)
        else:
            with ProcessPoolExecutor(opts.jobs, mp_context=get_context("spawn"), initializer=_worker_init,
                                     initargs=(str(netlists), str(sim_build_root()))) as ex:
                futs = {ex.submit(_run_one, u.block, u.config, m.mutsel): (u.name, m.mutsel) for u, m in todo
                        if (u.name, m.mutsel) not in results}
                for f in as_completed(futs):
                    results[futs[f]] = f.result()
                    bar.update(1)
    t_run = time.perf_counter() - t3
    t4 = time.perf_counter()
    proofs: dict[tuple[str, int], equiv.Proof] = {}
    survivors = [(u, m) for u, m in todo if not results[(u.name, m.mutsel)]["by"]]
    if opts.equivalence:
        known = _known_proofs(opts)

        def prove(um: tuple[Unit, Mutant]) -> equiv.Proof:
            u, m = um
            return known.get((u.name, report.relative(m.command))) or equiv.check(m, opts.work / u.name, opts.cut)

        # yosys runs as a subprocess: threads keep --jobs proofs going at once
        with ThreadPoolExecutor(max(1, opts.jobs)) as tex:
            for (u, m), proof in tqdm(zip(survivors, tex.map(prove, survivors)), total=len(survivors),
                                      desc="equivalence", unit="mutant", disable=not opts.progress, file=sys.stderr):
                proofs[(u.name, m.mutsel)] = proof
    t_eq = time.perf_counter() - t4
    doc = report.document(opts, todo, results, proofs, base, {
        "generate_s": round(t_gen, 1), "build_s": round(t_build, 1), "baseline_s": round(t_base, 1),
        "kill_s": round(t_run, 1), "equivalence_s": round(t_eq, 1), "total_s": round(time.perf_counter() - t0, 1),
        "jobs": opts.jobs, "load_before": os.getloadavg()[0]})
    if opts.out is not None:
        report.write(doc, opts.out, opts.label)
    return doc


def _known_proofs(opts: Options) -> dict[tuple[str, str], equiv.Proof]:
    """Proofs already in `out` for the same mutation of the same unit (a proof depends on the RTL
    and the mutation only, not on the kill set): taken when the RTL files are those they were made
    on (the same rtl_digest)."""
    if opts.out is None or not Path(opts.out).exists():
        return {}
    known = {}
    for run in json.loads(Path(opts.out).read_text()).get("runs", {}).values():
        if run.get("rtl_digest") != report.rtl_digest():
            continue
        for e in run.get("mutants", []):
            if "proof" in e and e["proof"]["how"].endswith(equiv.CURRENT):
                known[(e["unit"], e["mutation"])] = equiv.Proof(e["proof"]["status"], e["proof"]["how"])
    return known


def _reused(opts: Options, todo: list[tuple[Unit, Mutant]]) -> tuple[list[tuple[Unit, Mutant]], dict]:
    """The kills recorded under label `opts.reuse` for the same mutants (same unit, selector and
    mutation); the survivors there and mutants not recorded run the kill set again, except those a
    yosys proof showed equivalent (their proof is taken again from `out`)."""
    if opts.out is None or not Path(opts.out).exists():
        raise AccelscopeError(f"--reuse {opts.reuse}: no {opts.out} to take the kills from")
    old = json.loads(Path(opts.out).read_text()).get("runs", {}).get(opts.reuse)
    if old is None:
        raise AccelscopeError(f"--reuse {opts.reuse}: {opts.out} has no run of that label")
    rec = {(e["unit"], e["mutsel"], e["mutation"]): e for e in old["mutants"]}
    results = {}
    for u, m in todo:
        e = rec.get((u.name, m.mutsel, report.relative(m.command)))
        if e is not None and e.get("by"):  # a recorded kill; survivors run the kill set again
            results[(u.name, m.mutsel)] = {k: e.get(k, "") for k in ("by", "what", "error")}
        elif e is not None and _proven(e):  # a yosys proof of equivalence: no stimulus can kill it
            results[(u.name, m.mutsel)] = {"by": "", "what": "", "error": ""}
    return todo, results


def _proven(e: dict[str, Any]) -> bool:
    p = e.get("proof") or {}
    return p.get("status") == "equivalent" and p.get("how", "").endswith(equiv.CURRENT)


def reprove(opts: Options, label: str) -> dict[str, Any]:
    """Check again every equivalence of run `label` of `out` that an earlier version of the check
    proved (it assumed an all-zero start) and every survivor the JSON checks (equiv.quick) show
    equivalent, apply the arguments, and recount; the kills and the other proofs stay as recorded."""
    if opts.out is None or not Path(opts.out).exists():
        raise AccelscopeError(f"--reprove {label}: no {opts.out}")
    doc = json.loads(Path(opts.out).read_text()).get("runs", {}).get(label)
    if doc is None:
        raise AccelscopeError(f"--reprove {label}: {opts.out} has no run of that label")
    def redo(e: dict[str, Any]) -> equiv.Proof:
        p = e.get("proof")
        proof = equiv.Proof(p["status"], p["how"]) if p else None
        m = Mutant(e["unit"], e["mutsel"], e["module"], e["mode"], e["src"], report.absolute(e["mutation"]))
        if proof is not None and proof.status != "equivalent":  # the checks added since the run
            proof = (equiv.quick(m, opts.work / e["unit"])
                     or (equiv.cut_check(m, opts.work / e["unit"]) if opts.cut else None) or proof)
        if proof is None or (proof.status == "equivalent" and not proof.how.endswith(equiv.CURRENT)):
            proof = equiv.check(m, opts.work / e["unit"], opts.cut)
        return proof

    from tqdm import tqdm
    todo = [e for e in doc["mutants"] if not e.get("by")]
    with ThreadPoolExecutor(max(1, opts.jobs)) as tex:  # yosys runs as a subprocess
        for e, proof in tqdm(zip(todo, tex.map(redo, todo)), total=len(todo), desc="equivalence", unit="mutant",
                             disable=not opts.progress, file=sys.stderr):
            report.classify(e, proof)
    doc["blocks"] = report.blocks_of(doc["mutants"])
    report.write(doc, opts.out, label)
    return doc


def parse_args(argv: Sequence[str] | None = None) -> Options:
    ap = argparse.ArgumentParser(prog="python -m tb.mutate", description="mutation score per block (make mutate)")
    ap.add_argument("--mutants", type=int, default=Options.mutants, help="about this many mutants in all")
    ap.add_argument("--min-per-module", type=int, default=Options.min_per_module)
    ap.add_argument("--seed", type=int, default=Options.seed, help="yosys mutate -list -seed")
    ap.add_argument("--blocks", nargs="+", choices=BLOCK_DIRS, default=list(BLOCK_DIRS),
                    help="rtl/ directories whose modules are mutated")
    ap.add_argument("--jobs", "-j", type=int, default=1, help="mutants run in parallel (at most 2 here)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the JSON (the run goes under runs.<label>)")
    ap.add_argument("--label", default="run", help="this run's name in the JSON")
    ap.add_argument("--no-equivalence", action="store_true", help="skip the yosys proofs of survivors")
    ap.add_argument("--no-baseline", action="store_true", help="skip the MUTSEL=0 run of the kill set")
    ap.add_argument("--no-cut", action="store_true", help="no registers-cut proofs (minutes each)")
    ap.add_argument("--only", nargs="*", default=[], metavar="UNIT:MUTSEL",
                    help="run only these mutants, e.g. lebug/int_n8m4:12")
    ap.add_argument("--reuse", metavar="LABEL", help="take the kills of run LABEL in --out (the same mutants) "
                    "and run only its survivors through the kill set")
    ap.add_argument("--reprove", metavar="LABEL", help="redo the proofs and arguments of run LABEL in --out "
                    "(kills as recorded) and recount")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    only = []
    for item in a.only:
        unit, _, sel = item.rpartition(":")
        if not unit or not sel.isdigit():
            raise AccelscopeError(f"--only {item}: expected UNIT:MUTSEL, e.g. lebug/int_n8m4:12")
        only.append((unit, int(sel)))
    if a.mutants < 1 or a.min_per_module < 1 or a.jobs < 1:
        raise AccelscopeError("--mutants, --min-per-module and --jobs must be at least 1")
    return Options(mutants=a.mutants, min_per_module=a.min_per_module, seed=a.seed, blocks=a.blocks, jobs=a.jobs,
                   out=a.out, label=a.label, equivalence=not a.no_equivalence, baseline=not a.no_baseline,
                   cut=not a.no_cut, only=only, reuse=a.reuse, reprove=a.reprove, progress=not a.quiet)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        opts = parse_args(argv)
        doc = reprove(opts, opts.reprove) if opts.reprove else run(opts)
    except AccelscopeError as e:
        print(f"accelscope: error: {' '.join(str(e).split())[:600]}", file=sys.stderr)
        return 2
    print(report.table(doc))
    return 0 if all(b["score"] is None or b["score"] >= report.GATE for b in doc["blocks"].values()) else 1
