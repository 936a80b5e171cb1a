"""A compiled network streamed through accel_top in one simulation (docs/bundle.md,
"Streaming batches"): one harness job of rounds (tb/job.py), round 0 writing the bundle's
PROG records and then batch 0's input records, round i > 0 batch i's input records; every
round starts the accelerator, runs until it and the tap and LeBug are done, and reads the
logits back over APB (then, with `debug`, the systolic counters, tap registers, LeBug
status and trace buffer). The whole run is compared with pymodel.top.stream.stream_expected:
every round's logits, counters and LeBug trace rows, the whole output stream, the final
scratchpads.

Cycle accounting (`StreamRun.cycles`, `account`): the job engine times each round's WRITE,
RUN and READ phases; the program's writes are separated from what the batches cost."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from pymodel.bundle import Bundle
from pymodel.bundle.inputs import InputBatch
from pymodel.compare import MismatchError, assert_equal, assert_same_counters
from pymodel.errors import AccelscopeError
from pymodel.lebug import regmap as lb
from pymodel.systolic import regmap as sy
from pymodel.systolic.model import descriptor_counters
from pymodel.top import regmap as tr
from pymodel.top.config import TopConfig
from pymodel.top.model import descriptors_of, lebug_program, written_words
from pymodel.top.network import logit_positions, network_cost, network_meta, read_logits
from pymodel.top.stream import StreamExpected, stream_expected
from tb.job import Job, JobResult
from tb.runner import run_job
from tb.systolic.jobs import read_dump, read_stream, spad_block
from tb.top.jobs import BLOCK, MODES, START, backdoor_parts, dump_counts


def logit_addrs(bundle: Bundle) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """The logits' OUT words and lanes (flattened, row by row: pymodel.top.network.logit_positions)
    and the APB addresses reading them (an OUT chunk is one 32-bit lane)."""
    cfg = TopConfig.from_hardware(bundle.hardware)
    assert sy.chunks(cfg.sys, "out") == cfg.sys.K
    words, lanes = (a.ravel() for a in logit_positions(bundle))
    return words, lanes, [tr.SYS_BASE + sy.word_addr(cfg.sys, "out", int(w), int(c)) for w, c in zip(words, lanes)]


@dataclass
class StreamJob:
    job: Job
    n_program: int  # APB writes that program the bundle (round 0, before batch 0's input)
    n_input: int  # APB writes of one batch's input
    n_logits: int  # APB reads of one batch's logits
    n_debug: list[int]  # APB reads after the logits, per round (debug_reads; none without debug)


def debug_reads(cfg: TopConfig, lo: int, hi: int) -> list[int]:
    """A round's debug read-back: the systolic counters and STATUS, the tap registers, LeBug's
    status registers, then the trace-buffer words of the rows lo..hi-1 LeBug wrote this round."""
    if hi - lo > cfg.lebug.TB_DEPTH:
        raise AccelscopeError(f"stream: a batch writes {hi - lo} LeBug trace rows, more than TB_DEPTH "
                              f"{cfg.lebug.TB_DEPTH}: the trace buffer would overwrite them before they are read")
    slots = np.arange(lo, hi) % cfg.lebug.TB_DEPTH
    trace = [lb.trace_addr(cfg.lebug, int(r), c, tr.LEBUG_BASE) for r in slots for c in range(cfg.lebug.N)]
    return (sy.readback_addrs(cfg.sys, tr.SYS_BASE) + [tr.TAP_REGS[k] for k in tr.TAP_READBACK]
            + [tr.LEBUG_BASE + a for a in lb.STATUS_REGS] + trace)


def decode_debug(cfg: TopConfig, words: np.ndarray) -> tuple[dict[str, int], dict[str, int], dict[str, int],
                                                              np.ndarray]:
    """debug_reads' words -> (systolic counters, tap counters, LeBug status, trace rows)."""
    n_sys, n_tap, n_lb = len(sy.READBACK_REGS), len(tr.TAP_READBACK), len(lb.STATUS_REGS)
    counters, _ = sy.decode_readback(words[:n_sys])
    tap, maxfill = tr.decode_tap(words[n_sys:n_sys + n_tap])
    tap = {**tap, "maxfill": maxfill}
    status = lb.decode_status(words[n_sys + n_tap:n_sys + n_tap + n_lb])
    t = np.asarray(words[n_sys + n_tap + n_lb:], np.int64)
    rows = np.where(t >= 1 << 31, t - (1 << 32), t).reshape(-1, cfg.lebug.N)
    return counters, tap, status, rows


def stream_job(bundle: Bundle, batches: Sequence[InputBatch], rows_after: Sequence[int] | None = None,
               mode: str = "apb") -> StreamJob:
    """Program once, then one round per batch (see the module docstring). With `rows_after` (the
    LeBug trace rows written by the end of each batch, pymodel.top.stream), every round also reads
    debug_reads after the logits. mode "backdoor" loads the systolic scratchpads and command
    memory by $readmemh before the run and writes only LeBug's memories and the registers over
    APB (tb/top/jobs.py); the batches go over APB either way."""
    if bundle.path is None:
        raise AccelscopeError("stream: the bundle has no directory (write it first)")
    if mode not in MODES:
        raise AccelscopeError(f"stream: mode {mode!r}: use {' or '.join(MODES)}")
    cfg = TopConfig.from_hardware(bundle.hardware)
    copies: dict[str, Path] = {}
    loads: dict[str, int] = {}
    if mode == "backdoor":
        copies, loads, program = backdoor_parts(bundle)
    else:
        program = [(a, v & 0xFFFFFFFF) for a, v in bundle.records()]
    _, _, logit_reads = logit_addrs(bundle)
    writes: list[tuple[int, int]] = []
    reads: list[int] = []
    rounds, n_debug = [], []
    for i, b in enumerate(batches):
        w = (program if i == 0 else []) + b.records()
        d = debug_reads(cfg, rows_after[i - 1] if i else 0, rows_after[i]) if rows_after is not None else []
        writes += w
        reads += logit_reads + d
        rounds.append((len(w), len(logit_reads) + len(d)))
        n_debug.append(len(d))
    descs = descriptors_of(bundle)
    dumps = dump_counts(written_words(cfg.sys.K, descs))
    sys_cycles = sum(descriptor_counters(cfg.sys, d).cycles for d in descs)
    rows = sum(d.rows * d.nt(cfg.sys.K) for d in descs)
    lebug_cycles = 64 * rows * cfg.vectors_per_row * cfg.lebug.MAX_CHAINS
    timeout = len(batches) * (4 * sys_cycles + lebug_cycles) + 8 * (len(writes) + len(reads)) + 200_000
    job = Job(writes=writes, reads=reads, start=START, rounds=rounds if len(batches) > 1 else (),
              block=spad_block(loads, dumps), copies=copies, timeout=timeout)
    return StreamJob(job, len(program), len(batches[0].records()), len(logit_reads), n_debug)


@dataclass
class StreamRun:
    """A streamed run on a simulator, checked against the model."""

    expected: StreamExpected
    logits: np.ndarray  # (images, classes) int32, every batch's real images
    trace_rows: np.ndarray  # every LeBug trace row of the run, in write order (read round by round)
    result: JobResult
    tap_max_fill: int  # the tap FIFO's highest fill over the run (0 without debug)
    cycles: dict[str, Any] = field(default_factory=dict)


def account(sj: StreamJob, res: JobResult, n_rounds: int) -> dict[str, Any]:
    """Cycle accounting of a streamed run, from the job engine's per-round phase cycles: a round
    writes (round 0: the program, then the input; then the start write), runs, reads. Rounds after
    the first write the same number of words, so the program's cycles are round 0's writes minus
    round 1's. `inference` is every round's input writes, run and reads, the program excluded;
    with `debug_reads` the reads include the debug read-back after the logits."""
    rounds = res.rounds or [{"prog": res.prog_cycles, "run": res.run_cycles, "read": res.read_cycles}]
    program = rounds[0]["prog"] - rounds[1]["prog"] if len(rounds) > 1 else 0
    per_round = [{"write": r["prog"] - (program if i == 0 else 0), "run": r["run"], "read": r["read"]}
                 for i, r in enumerate(rounds)]
    inference = sum(r["write"] + r["run"] + r["read"] for r in per_round)
    return {"program": program, "rounds": per_round, "inference": inference, "per_batch": inference / n_rounds,
            "run": sum(r["run"] for r in per_round), "debug_reads": sum(sj.n_debug) > 0, "job": res.job_cycles,
            "apb_words": {"program": sj.n_program, "input_per_batch": sj.n_input, "start_per_batch": 1,
                          "logits_per_batch": sj.n_logits, "debug_per_batch": sum(sj.n_debug) / n_rounds}}


def run_stream(bundle: Bundle, batches: Sequence[InputBatch], sim: str, debug: bool = True,
               waves: bool = False, work: Path | None = None, mode: str = "apb", progress: bool = False) -> StreamRun:
    """Stream the batches through the RTL on `sim` and compare everything with the model
    (AccelscopeError naming the first difference). `progress`: a tqdm bar of the batches run."""
    exp = stream_expected(bundle, batches, per_batch=debug)
    sj = stream_job(bundle, batches, exp.rows_after if debug else None, mode)
    cfg = exp.cfg
    written = written_words(cfg.sys.K, descriptors_of(bundle))

    def files(r: JobResult) -> tuple[JobResult, tuple[np.ndarray, np.ndarray], dict[str, np.ndarray]]:
        dumps = {mem: read_dump(r.dir, mem, cfg.sys.K, addrs) for mem, addrs in written.items() if addrs.size}
        return r, read_stream(r.dir, cfg.sys.K), dumps

    from tqdm import tqdm

    with tqdm(total=len(batches), unit="batch", desc=f"stream on {sim}", disable=not progress, leave=False) as bar:
        res, (stream, eof), dumps = run_job(BLOCK, cfg.params(), cfg.tag(), sj.job, sim, waves=waves, work=work,
                                            decode=files, progress=lambda n: bar.update(n - bar.n))
    words, lanes, _ = logit_addrs(bundle)
    ends = np.cumsum([sj.n_logits + d for d in sj.n_debug])
    logits, rows, maxfill = [], [], 0
    try:
        for i, b in enumerate(batches):
            got = np.asarray(res.reads[(ends[i - 1] if i else 0):ends[i]], np.int64)
            out = np.zeros((int(words.max()) + 1, cfg.sys.K), np.int64)
            v = got[:sj.n_logits]
            out[words, lanes] = np.where(v >= 1 << 31, v - (1 << 32), v)  # 32-bit lanes, two's complement
            lg = read_logits(bundle, out, b.images)
            assert_equal(f"batch {i}: logits", exp.logits[i], lg)
            logits.append(lg)
            if debug:
                counters, tap, status, trace = decode_debug(cfg, got[sj.n_logits:])
                assert_same_counters(f"batch {i}: systolic counters", exp.runs[i].counters.as_dict(), counters)
                maxfill = max(maxfill, tap.pop("maxfill"))
                assert_same_counters(f"batch {i}: tap counters (cumulative)", exp.tap_after[i], tap)
                assert_same_counters(f"batch {i}: LeBug status (cumulative)", exp.lebug_after[i], status)
                lo = exp.rows_after[i - 1] if i else 0
                assert_equal(f"batch {i}: LeBug trace rows {lo}..{exp.rows_after[i] - 1}", exp.round_rows(i), trace)
                rows.append(trace)
        assert_equal("output stream (every batch)", exp.stream, stream)
        assert_equal("output stream eof bits", exp.eof, eof)
        for mem, got_mem in dumps.items():
            assert_equal(f"last batch: {mem} scratchpad", exp.runs[-1].mems[mem][written[mem]], got_mem)
    except (MismatchError, AssertionError) as e:
        raise AccelscopeError(f"{sim} disagrees with the model: {e}") from None
    trace_rows = np.concatenate(rows) if rows else np.zeros((0, cfg.lebug.N), np.int64)
    return StreamRun(exp, np.concatenate(logits), trace_rows, res, maxfill, account(sj, res, len(batches)))


# --------------------------------------------------------------------------
# accelscope eval BUNDLE / replay BUNDLE --inputs DIR
# --------------------------------------------------------------------------

def stream_results(bundle: Bundle, batches: Sequence[InputBatch], sim: str, labels: np.ndarray | None = None,
                   debug: bool = True, mode: str = "apb", progress: bool = False) -> dict[str, Any]:
    """Run the batches through one programmed chip on `sim` ("model": the model alone) and
    summarize: logits (bit-exact with the model, or the run raises), accuracy against `labels`,
    cycles and APB words per batch and per image, the memory plan, the per-layer LeBug
    histograms of the run (summed over batches) next to the model's."""
    from pymodel.top.stream import layer_histograms

    res_fill = 0
    if sim == "model":
        exp = stream_expected(bundle, batches, per_batch=False)
        logits, rows, cycles = exp.all_logits, exp.lebug.rows, None
    else:
        r = run_stream(bundle, batches, sim, debug=debug, mode=mode, progress=progress)
        exp, logits, rows, cycles = r.expected, r.logits, r.trace_rows, r.cycles
        res_fill = r.tap_max_fill
    net = network_meta(bundle)
    thr = lebug_program(bundle, exp.cfg)[1]
    bins = len(thr) - 1
    edges = [int(v) for v in np.where(thr >= 1 << 31, thr - (1 << 32), thr)]  # 32-bit two's complement
    images = int(sum(b.images for b in batches))
    pred = logits.argmax(axis=1) if logits.ndim == 2 else None
    res: dict[str, Any] = {
        "kind": "stream", "bundle": str(bundle.path), "sim": sim, "mode": mode, "images": images, "batch": int(net["batch"]),
        "batches": len(batches), "bit_exact": True, "logits": logits.tolist(),
        "argmax": pred.tolist() if pred is not None else None,
        "cost": net.get("cost"), "memory_plan": bundle.plan, "layers": exp.layers, "tap_max_fill": res_fill,
        "histograms": {"edges": edges, "model": layer_histograms(exp, exp.lebug.rows, bins)["layers"]},
    }
    if labels is not None and pred is not None:
        res["accuracy"] = float(np.mean(pred == np.asarray(labels)[:images]))
    if cycles is not None:
        res["cycles"] = cycles
        res["cycles_per_image"] = cycles["inference"] / images
        # issue 14's network efficiency: shape-limited cycles over every cycle of the batches (program excluded)
        res["efficiency"] = network_cost(bundle).min_cycles * len(batches) / cycles["inference"]
        if debug:
            res["histograms"]["rtl"] = layer_histograms(exp, rows, bins)["layers"]
            res["histograms"]["match"] = res["histograms"]["rtl"] == res["histograms"]["model"]
    return res


def format_results(res: dict[str, Any]) -> str:
    """The stream summary printed by eval / replay --inputs."""
    lines = [f"{res['images']} images in {res['batches']} batches of {res['batch']} through one programmed chip "
             f"on {res['sim']}: logits bit-exact with the model"
             + (f"; accuracy {res['accuracy']:.2%}" if "accuracy" in res else "")]
    c = res.get("cycles")
    if c:
        w = c["apb_words"]
        lines.append(f"cycles: program {c['program']} once; per batch {c['per_batch']:.0f} (writes + run + reads"
                     f"{', debug read-back included' if c['debug_reads'] else ''}), "
                     f"{res['cycles_per_image']:.1f} an image, network efficiency {res['efficiency']:.3f}; APB words: "
                     f"{w['program']} to program, per batch {w['input_per_batch']} input + {w['start_per_batch']} "
                     f"start + {w['logits_per_batch']} logits")
    hist = res["histograms"]
    src = "rtl" if "rtl" in hist else "model"
    lines.append(f"LeBug per-layer histograms ({'from the RTL run, equal to the model' if src == 'rtl' else 'model'};"
                 f" bins (T[j], T[j+1]], T = {hist['edges'][0]}..{hist['edges'][-1]}):")
    for name, h in hist[src].items():
        lines.append(f"  {name:<24} {h}")
    return "\n".join(lines)
