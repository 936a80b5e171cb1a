"""The kill set a mutant runs against, in this order, stopping at the first kill:

1. the regress CI sweep (tests/test_regress.py's seeds: 200 LeBug cases, 100 GEMM jobs, 50 top
   bundles), the cases of the mutant's configuration, on the verilator-native mutant build
   (tb.regress.cases.run_case, bit-exact against the models);
2. the block's directed fault tests (tb/<block>/test_<block>_faults.py on the cocotb Verilator
   mutant build of the mutant's configuration; fixed seed).

An assertion firing in the mutant build (rtl/ assertions, read by yosys with -formal) fails the
case or the test that runs into it: the kill is then counted as "assertion".
"""

from __future__ import annotations

import fcntl
import os
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tb.regress.cases import block_of, config_of, configs, run_case
from tb.runner import MUTANTS_ENV, MUTSEL_ENV, build_dir, ensure_built, param_text, run_regression, sim_build_root

CI_SEEDS = {"lebug": 200, "systolic": 100, "top": 50}  # tests/test_regress.py's CI sweep
# the configurations whose kill set has the fault tests (make test runs them on the first of each): both
# LeBug builds (the fault tests size their histogram to the build), systolic K=8, every top build
FAULT_CONFIGS = {"lebug": ("int_n8m4", "fix_n4m2_vsru"), "systolic": ("k8",),
                 "top": ("k8_n8", "k8_eval", "k2_n2", "k4_eval", "k16_n4")}
CFG_VARS = {"lebug": "LEBUG_CFG", "systolic": "SYSTOLIC_CFG", "top": "TOP_HW"}  # the fault modules' configuration
FAULT_SEED = "1"  # the fault tests' seed in the kill set (LEBUG_SEED, SYSTOLIC_SEED, TOP_SEED)
SEED_VARS = {"lebug": "LEBUG_SEED", "systolic": "SYSTOLIC_SEED", "top": "TOP_SEED"}
# a failing assert: Verilator's own line, or tb.runner's first line for an RTL assertion that fired
ASSERTION = re.compile(r"Assertion failed|^\w+_A in \S+ at cycle \d+: ")


@dataclass
class Kill:
    by: str  # "sweep", "fault test", "assertion" or "" (survived)
    what: str  # the case (kind, seed) or the fault test(s)
    error: str  # the first line of the failure

    @property
    def killed(self) -> bool:
        return bool(self.by)


def sweep_seeds(block: str, config: str) -> list[int]:
    """The CI sweep's seeds that run `config` (cases rotate configurations by seed)."""
    return [s for s in range(1, CI_SEEDS[block] + 1) if config_of(block, s)[0] == config]


def use_netlists(netlists: Path) -> None:
    """Every later build and run in this process uses the mutant netlists under `netlists`."""
    os.environ[MUTANTS_ENV] = str(Path(netlists).resolve())


def select(mutsel: int) -> None:
    os.environ[MUTSEL_ENV] = str(mutsel)


def build(block: str, config: str, faults: bool) -> None:
    """The mutant builds of one configuration: verilator-native, and cocotb Verilator for the
    fault tests."""
    cfg = configs(block)[config]
    ensure_built(block_of(block), cfg.params(), "verilator-native", cfg.tag())
    if faults:
        ensure_built(block_of(block), cfg.params(), "verilator", cfg.tag())


def run_sweep(block: str, seeds: list[int]) -> Kill:
    for s in seeds:
        r = run_case(block, s, "verilator-native")
        if not r.ok:
            by = "assertion" if ASSERTION.search(r.error) else "sweep"
            return Kill(by, f"{block} seed {s} ({r.kind or 'case'})", r.error[:240])
    return Kill("", "", "")


@contextmanager
def _quiet(log: Path) -> Iterator[None]:
    """cocotb's console output to `log` (file descriptors 1 and 2), not the progress bar's terminal."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log, "w") as f:
        os.dup2(f.fileno(), 1)
        os.dup2(f.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def _failed_tests(results: Path) -> list[str]:
    if not results.exists():
        return []
    root = ET.parse(results).getroot()
    return [tc.get("name", "?") for tc in root.iter("testcase") if tc.find("failure") is not None]


def fault_env(block: str, config: str) -> dict[str, str]:
    """The fault module's environment for `config` (as tb/<block>/test_<block>_faults.py's pytest
    function sets it for its one configuration; the modules read any configuration)."""
    import json

    cfg = configs(block)[config]
    value = json.dumps(cfg.hardware()) if block == "top" else param_text(cfg.params())
    return {CFG_VARS[block]: value, SEED_VARS[block]: FAULT_SEED}


def run_faults(block: str, config: str) -> Kill:
    """The block's fault tests on `config` (one cocotb run of the module on the mutant build; a
    lock keeps two workers from sharing its work directory)."""
    cfg = configs(block)[config]
    work = build_dir(block_of(block), cfg.tag(), "verilator") / "faults"
    lock_path = sim_build_root() / "mutate" / f"faults_{block}_{config}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        log = lock_path.with_suffix(f".{os.getpid()}.log")
        try:
            with _quiet(log):
                run_regression(block_of(block), cfg.params(), cfg.tag(), "verilator", fault_env(block, config),
                               min_tests=3, test_module=f"tb.{block}.test_{block}_faults", work_name="faults")
        except AssertionError as e:
            names = _failed_tests(work / "results.xml")
            text = log.read_text(errors="replace")
            fail = next((ln.strip() for ln in text.splitlines() if ASSERTION.search(ln)), None) or \
                next((ln.strip() for ln in text.splitlines() if re.search(r"\w+Error: ", ln)), str(e).splitlines()[0])
            by = "assertion" if ASSERTION.search(fail) else "fault test"
            return Kill(by, f"test_{block}_faults ({config}): {', '.join(names) or 'the module'}",
                        " ".join(fail.split())[:240])
        finally:
            log.unlink(missing_ok=True)
    return Kill("", "", "")


def run_mutant(block: str, config: str, mutsel: int) -> Kill:
    """One mutant through the kill set: the sweep's cases of its configuration, then (if it
    survived them) the fault tests when they run on this configuration."""
    select(mutsel)
    kill = run_sweep(block, sweep_seeds(block, config))
    if not kill.killed and faults_on(block, config):
        kill = run_faults(block, config)
    return kill


def faults_on(block: str, config: str) -> bool:
    """Whether the fault tests are in this configuration's kill set (FAULT_CONFIGS)."""
    return config in FAULT_CONFIGS[block]
