"""The seed sweep: build once per configuration, run the cases (serially, or as Dask tasks
on a LocalCluster or an existing scheduler), sample functional coverage in seed order,
merge code coverage, write results.json, report.md and the coverage plot.

Dask: cases go out in chunks of seeds (`client.submit(run_chunk, ...)`), gathered with
`as_completed` for the progress bar. A worker that dies mid-chunk loses nothing: the
scheduler gives its tasks to another worker (a task is only given up after it killed
`distributed.scheduler.allowed-failures` workers, 3 by default), and every seed is
accounted for before the report is written. Results and code coverage come back to the
client in the task results and are merged there. Each worker makes sure of its builds once
(`run_chunk`): in the client's sim_build/ when it shares the file system, else in its
host's own build directory; workers need the same accelscope installation.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import Any

from pymodel.errors import AccelscopeError
from pymodel.fileio import check_out_dir
from tb.regress import codecov
from tb.regress.cases import BLOCKS, CaseResult, build, rerun_command, run_chunk
from tb.regress.options import Options
from tb.regress.report import write_outputs
from tb.runner import NATIVE_SIMS, sim_build_root


def _chunks(seeds: list[int], size: int) -> list[list[int]]:
    return [seeds[i:i + size] for i in range(0, len(seeds), size)]


def _tasks(opts: Options, n_workers: int) -> list[tuple[str, list[int]]]:
    seeds = list(range(opts.first_seed, opts.first_seed + opts.seeds))
    size = opts.chunk or max(1, min(50, -(-opts.seeds // max(1, 4 * n_workers))))
    return [(b, c) for b in opts.blocks for c in _chunks(seeds, size)]


def _serial(opts: Options, tasks: list[tuple[str, list[int]]], bar: Any,
            cov: dict[str, int]) -> list[CaseResult]:
    out: list[CaseResult] = []
    root = str(sim_build_root())
    for block, seeds in tasks:
        for s in seeds:  # one seed at a time: the bar moves with every case
            cases, counts = run_chunk(block, [s], opts.sim, root, opts.coverage, opts.coverage_every, opts.first_seed)
            out += cases
            if counts:
                codecov.add(cov, counts)
            bar.update(1)
            if opts.on_progress:
                opts.on_progress(len(out), opts.seeds * len(opts.blocks), None)
    return out


def _lost_worker_tasks(keys: list[str], dask_scheduler: Any = None) -> list[str]:
    """On the scheduler: the tasks that were running on a worker that died (and ran again elsewhere)."""
    return [k for k in keys if (ts := dask_scheduler.tasks.get(k)) is not None and ts.suspicious > 0]


def _dask(opts: Options, bar: Any, retries: dict[str, int], cov: dict[str, int]) -> list[CaseResult]:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if opts.scheduler:
        try:
            client = Client(opts.scheduler, timeout="20s")
        except (OSError, TimeoutError) as e:
            raise AccelscopeError(f"--scheduler {opts.scheduler}: cannot connect ({e})") from None
    else:
        n = opts.workers or os.cpu_count() or 1
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR)
        client = Client(cluster)
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        tasks = _tasks(opts, n_workers)
        root = str(sim_build_root())
        futures = [client.submit(run_chunk, block, seeds, opts.sim, root, opts.coverage,
                                 opts.coverage_every, opts.first_seed, pure=False,
                                 key=f"regress-{block}-{seeds[0]}-{seeds[-1]}-{time.monotonic_ns()}")
                   for block, seeds in tasks]
        sizes = {f.key: len(seeds) for f, (_, seeds) in zip(futures, tasks)}
        n_tasks = len(futures)
        lost: list[str] = []
        done: list = []

        def settle() -> None:  # ask the scheduler which finished tasks were rerun, then free them
            lost.extend(client.run_on_scheduler(_lost_worker_tasks, [f.key for f in done]))
            for f in done:
                f.release()
            done.clear()

        out: list[CaseResult] = []
        for fut in as_completed(futures):
            chunk, counts = fut.result()
            out += chunk
            if counts:
                codecov.add(cov, counts)
            done.append(fut)
            bar.update(len(chunk))
            if opts.on_progress:
                opts.on_progress(len(out), opts.seeds * len(opts.blocks), client)
            if len(done) >= 16:
                settle()
        settle()
        futures.clear()
        retries.update(tasks=n_tasks, retried=len(lost), cases=sum(sizes[k] for k in lost))
        return out
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def check_regress_sim(sim: str) -> None:
    """--sim: a simulator of tb.runner's registry with no Python in the loop (NATIVE_SIMS)."""
    if sim in NATIVE_SIMS:
        return
    renamed = {"verilator": "verilator-native", "icarus": "icarus-plain"}
    if sim in renamed:  # the names regress took before it used the registry's
        raise AccelscopeError(f"--sim {sim}: regress takes the registry's names: {', '.join(NATIVE_SIMS)} "
                              f"(for {sim}, --sim {renamed[sim]})")
    raise AccelscopeError(f"--sim {sim!r}: choose one of {', '.join(NATIVE_SIMS)}")


def regress(opts: Options) -> dict:
    """Run the sweep and write the outputs in opts.out; returns results.json's content."""
    from tqdm import tqdm

    for b in opts.blocks:
        if b not in BLOCKS:
            raise AccelscopeError(f"--block {b!r}: choose one of {', '.join(BLOCKS)}, all")
    check_regress_sim(opts.sim)
    if opts.seeds < 1:
        raise AccelscopeError(f"--seeds {opts.seeds}: must be >= 1")
    if opts.coverage_every < 1:
        raise AccelscopeError(f"--coverage-every {opts.coverage_every}: must be >= 1")
    if opts.coverage:
        if opts.sim != "verilator-native":
            raise AccelscopeError("--coverage: code coverage comes from Verilator; use --sim verilator-native")
        codecov.check_tools()

    check_out_dir(opts.out)
    opts.out.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    for b in opts.blocks:  # builds happen here, once; workers only run
        if opts.coverage:
            build(b, opts.sim, True)
        if not opts.coverage or opts.coverage_every > 1:
            build(b, opts.sim, False)
    t_build = time.perf_counter() - t0
    total = opts.seeds * len(opts.blocks)
    cov: dict[str, int] = {}  # code coverage, point -> count, summed over the measured cases
    retries = {"tasks": 0, "retried": 0, "cases": 0}  # Dask tasks, those rerun after a lost worker, their cases
    with tqdm(total=total, desc="regress", unit="case", disable=not opts.progress, file=sys.stderr) as bar:
        if opts.workers == 0 and not opts.scheduler:
            results = _serial(opts, _tasks(opts, 1), bar, cov)
        else:
            results = _dask(opts, bar, retries, cov)
    t_run = time.perf_counter() - t0 - t_build
    want = {(b, s) for b in opts.blocks for s in range(opts.first_seed, opts.first_seed + opts.seeds)}
    got = {(r.block, r.seed) for r in results}
    if got != want or len(results) != len(want):
        raise AccelscopeError(f"the sweep lost cases: {len(want - got)} missing, {len(results) - len(got)} duplicated")
    results.sort(key=lambda r: (BLOCKS.index(r.block), r.seed))
    if opts.coverage:  # merged here, on the client, from what the workers sent back
        (opts.out / "code_coverage").mkdir(exist_ok=True)
        codecov.write(cov, opts.out / "code_coverage" / "merged.dat")
    return write_outputs(opts, results, {"build_s": round(t_build, 2), "run_s": round(t_run, 2)}, retries)


__all__ = ["Options", "regress", "rerun_command"]
