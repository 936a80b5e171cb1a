"""A compiled network streamed through accel_top in one simulation (docs/bundle.md,
"Streaming batches"): one harness job of rounds (tb/job.py). Each batch runs the descriptor
list of its bank (NUM_DESC, then CTRL.start: `start_records`).

- Without overlap (one-bank bundles, or `overlap=False`): round i writes (round 0: the
  bundle's PROG records first) batch i's input and NUM_DESC, starts, runs until the
  accelerator, the tap and LeBug are done, and reads batch i's logits back over APB (with
  `debug`: then its new LeBug trace rows, the systolic counters, tap registers and LeBug
  status).
- With overlap (two banks, and LeBug fast enough: pymodel.top.taprate): round 0 programs;
  round k starts batch k-1, writes batch k's input and reads batch k-2's logits while batch k-1
  runs, then waits until it is no longer busy; a last round waits for the tap and LeBug and
  reads the last batch's logits, trace rows and the status registers. LeBug may still be working
  on batch k-2 when round k reads it, so its trace rows are read only once they are final: a
  poll of LeBug's ROWS until it reaches the count the model gives for the end of batch k-2, then
  the rows. The ACT and OUT scratchpads hold APB transfers while the sequencer uses their ports
  (docs/systolic.md, "APB while busy").

The whole run is compared with pymodel.top.stream.stream_expected: every batch's logits and
LeBug trace rows, the counters, the whole output stream, the last batch's scratchpad words.

Cycle accounting (`StreamRun.cycles`, `account`): the job engine times each round's WRITE,
RUN and READ phases; the program's writes are separated from what the batches cost."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pymodel.bitfields import signed32
from pymodel.bundle import Bundle
from pymodel.bundle.inputs import InputBatch
from pymodel.compare import MismatchError, assert_equal, assert_same_counters
from pymodel.errors import AccelscopeError
from pymodel.lebug import regmap as lb
from pymodel.systolic import regmap as sy
from pymodel.top import regmap as tr
from pymodel.top.config import TopConfig
from pymodel.top.model import descriptors_of, lebug_program, written_words
from pymodel.top.network import (
    batch_bank,
    embed_input,
    host_logits,
    input_banks,
    logit_chunks,
    network_efficiency,
    network_meta,
    read_logits,
    start_records,
)
from pymodel.top.stream import StreamExpected, layer_histograms, stream_expected
from pymodel.top.tapmodel import Intake, TapLog, tap_intake
from pymodel.top.taprate import check_tap_rate, tap_rate
from tb.job import Job, JobResult
from tb.runner import run_job
from tb.systolic.jobs import read_dump, read_stream, spad_block
from tb.top.jobs import BLOCK, START, backdoor_parts, check_mode, dump_counts, job_timeout, read_tap_log


def logit_addrs(bundle: Bundle, bank: int = 0) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Bank `bank`'s logits: the OUT words and 32-bit chunks that hold them (in address order:
    pymodel.top.network.logit_chunks; an int32 logit is a chunk, four int8 ones share one) and
    the APB addresses reading them."""
    cfg = TopConfig.from_hardware(bundle.hardware)
    assert sy.chunks(cfg.sys, "out") == cfg.sys.K
    words, chunks = logit_chunks(bundle, bank).T
    return words, chunks, [tr.SYS_BASE + sy.word_addr(cfg.sys, "out", int(w), int(c)) for w, c in zip(words, chunks)]


@dataclass
class StreamJob:
    job: Job
    n_program: int  # APB writes that program the bundle (before batch 0's input)
    n_input: int  # APB writes of one batch's input
    n_start: int  # APB writes that start one batch (NUM_DESC with its bank's list, CTRL.start)
    n_logits: int  # APB reads of one batch's logits
    reads: list[tuple[int, int, int, str]]  # per read block, in job order: (batch, first read, reads, what)
    overlap: bool  # batch i+1's input and batch i-1's logits go over APB while batch i runs


def trace_reads(cfg: TopConfig, lo: int, hi: int) -> list[int]:
    """The trace-buffer words of rows lo..hi-1 (modulo TB_DEPTH): a batch's new LeBug rows."""
    if hi - lo > cfg.lebug.TB_DEPTH:
        raise AccelscopeError(f"stream: a batch writes {hi - lo} LeBug trace rows, more than TB_DEPTH "
                              f"{cfg.lebug.TB_DEPTH}: the trace buffer would overwrite them before they are read")
    slots = np.arange(lo, hi) % cfg.lebug.TB_DEPTH
    return [lb.trace_addr(cfg.lebug, int(r), c, tr.LEBUG_BASE) for r in slots for c in range(cfg.lebug.N)]


def stream_overlap(bundle: Bundle, batches: Sequence[InputBatch], rows_after: Sequence[int] | None) -> bool:
    """The default: overlap batches when the bundle has two banks the batches alternate between, LeBug
    keeps up so the tap cannot drop (pymodel.top.taprate), and two batches' trace rows fit the trace
    buffer (when they are read back batch by batch)."""
    banks = [batch_bank(bundle, b) for b in batches]
    return (len(input_banks(bundle)) > 1 and all(a != b for a, b in itertools.pairwise(banks))
            and tap_rate(bundle).overlap_ok and trace_fits(TopConfig.from_hardware(bundle.hardware), rows_after))


def trace_fits(cfg: TopConfig, rows_after: Sequence[int] | None) -> bool:
    """Overlapped, batch k-2's trace rows are read while LeBug may write batch k-1's: two consecutive
    batches' rows must fit in the trace buffer."""
    if rows_after is None:
        return True
    ends = [0, 0, *rows_after]
    return all(b - a <= cfg.lebug.TB_DEPTH for a, b in zip(ends, ends[2:]))


def status_reads(cfg: TopConfig) -> list[int]:
    """The systolic counters and STATUS, the tap registers, LeBug's status registers."""
    return (sy.readback_addrs(cfg.sys, tr.SYS_BASE) + [tr.TAP_REGS[k] for k in tr.TAP_READBACK]
            + [tr.LEBUG_BASE + a for a in lb.STATUS_REGS])


def decode_status_reads(words: np.ndarray) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """status_reads' words -> (systolic counters, tap counters with maxfill, LeBug status)."""
    n_sys, n_tap, n_lb = len(sy.READBACK_REGS), len(tr.TAP_READBACK), len(lb.STATUS_REGS)
    counters, _ = sy.decode_readback(words[:n_sys])
    tap, maxfill = tr.decode_tap(words[n_sys:n_sys + n_tap])
    return counters, {**tap, "maxfill": maxfill}, lb.decode_status(words[n_sys + n_tap:n_sys + n_tap + n_lb])


def last_written(bundle: Bundle, batches: Sequence[InputBatch]) -> dict[str, np.ndarray]:
    """The words the last batch's descriptor list writes (its bank's logits, the activations)."""
    cfg = TopConfig.from_hardware(bundle.hardware)
    return written_words(cfg.sys.K, descriptors_of(embed_input(bundle, batches[-1])))


def stream_job(bundle: Bundle, batches: Sequence[InputBatch], rows_after: Sequence[int] | None = None,
               mode: str = "apb", overlap: bool | None = None, final_trace: bool = False) -> StreamJob:
    """Program once, then stream the batches (see the module docstring). With `rows_after` (the
    LeBug trace rows written by the end of each batch, pymodel.top.stream), each batch's new
    trace rows are read back too, and after a batch without overlap (after the last one with
    overlap) the counters and status registers. `overlap` (default: the bundle has two banks and
    consecutive batches alternate between them):
    batch i+1's input is written and batch i-1's logits are read while batch i runs. mode
    "backdoor" loads the systolic scratchpads and command memory by $readmemh before the run and
    writes only LeBug's memories and the registers over APB (tb/top/jobs.py)."""
    if bundle.path is None:
        raise AccelscopeError("stream: the bundle has no directory (write it first)")
    check_mode(mode, "stream:")
    banks = [batch_bank(bundle, b) for b in batches]
    alternate = all(a != b for a, b in itertools.pairwise(banks))  # the next batch never goes where one runs
    cfg = TopConfig.from_hardware(bundle.hardware)
    if overlap is None:
        overlap = stream_overlap(bundle, batches, rows_after)
    if overlap and not alternate:
        raise AccelscopeError("stream: overlapped batches must alternate between the bundle's two input banks "
                              "(as `accelscope inputs` writes them from a two-bank bundle)")
    if overlap and not trace_fits(cfg, rows_after):
        raise AccelscopeError(f"stream: two consecutive batches write more than TB_DEPTH {cfg.lebug.TB_DEPTH} LeBug "
                              f"trace rows: overlapped, a batch's rows could be overwritten before they are read")
    copies: dict[str, Path] = {}
    loads: dict[str, int] = {}
    if mode == "backdoor":
        copies, loads, program = backdoor_parts(bundle)
    else:
        program = [(a, v & 0xFFFFFFFF) for a, v in bundle.records()]
    n = len(batches)
    writes: list[tuple[int, int]] = []
    reads: list[int] = []
    rounds: list[tuple[int, int]] = []
    blocks: list[tuple[int, int, int, str]] = []
    polls: dict[int, int] = {}  # read index -> minimum (tb/job.py Job.polls)

    def read(i: int, what: str, addrs: list[int]) -> int:
        blocks.append((i, len(reads), len(addrs), what))
        reads.extend(addrs)
        return len(addrs)

    def batch_reads(i: int, final: bool) -> int:
        """Batch i's logits, then (debug) its new trace rows (while LeBug may still work on them: after a
        poll of ROWS), then (final) the status registers."""
        got = read(i, "logits", logit_addrs(bundle, batch_bank(bundle, batches[i]))[2])
        if rows_after is not None:
            if not final and rows_after[i]:
                polls[len(reads)] = rows_after[i]
                got += read(i, "poll", [tr.LEBUG_BASE + lb.REG_ROWS])
            got += read(i, "trace", trace_reads(cfg, rows_after[i - 1] if i else 0, rows_after[i]))
            if final:
                got += read(i, "status", status_reads(cfg))
        return got

    def add_round(w: list[tuple[int, int]], n_reads: int) -> None:
        writes.extend(w)
        rounds.append((len(w), n_reads))

    if not overlap:  # per batch: its input and start writes, run, then its reads
        for i, b in enumerate(batches):
            add_round((program if i == 0 else []) + b.records() + start_records(bundle, b)[:1], batch_reads(i, True))
        start = START
    else:  # round 0 programs; round k starts batch k-1, writes batch k, reads batch k-2, waits for batch k-1
        add_round(program, 0)
        for k in range(1, n + 1):
            w = (batches[0].records() if k == 1 else []) + start_records(bundle, batches[k - 1])
            add_round(w + (batches[k].records() if k < n else []), batch_reads(k - 2, False) if k >= 2 else 0)
        add_round([], batch_reads(n - 1, True))  # the last round is not overlapped: it waits, then reads
        start = None
    if final_trace and rows_after is None:  # the whole trace buffer and the status, after everything drained
        n_last = read(n - 1, "trace buffer", [lb.trace_addr(cfg.lebug, r, c, tr.LEBUG_BASE)
                                              for r in range(cfg.lebug.TB_DEPTH) for c in range(cfg.lebug.N)])
        n_last += read(n - 1, "status", status_reads(cfg))
        rounds[-1] = (rounds[-1][0], rounds[-1][1] + n_last)
    dumps = dump_counts(last_written(bundle, batches))
    timeout = job_timeout(cfg, descriptors_of(bundle), len(writes) + len(reads), runs=n)
    job = Job(writes=writes, reads=reads, start=start, rounds=rounds if len(rounds) > 1 else (), overlap=overlap,
              block=spad_block(loads, dumps), copies=copies, timeout=timeout, polls=polls)
    return StreamJob(job, len(program), len(batches[0].records()), len(start_records(bundle, batches[0])),
                     len(logit_addrs(bundle)[2]), blocks, overlap)


@dataclass
class StreamRun:
    """A streamed run on a simulator, checked against the model."""

    expected: StreamExpected
    logits: np.ndarray  # (images, classes) int32 or int8 values, every batch's real images
    trace_rows: np.ndarray  # every LeBug trace row of the run, in write order (read round by round)
    result: JobResult
    tap_max_fill: int  # the tap FIFO's highest fill over the run (0 without debug)
    cycles: dict[str, Any] = field(default_factory=dict)
    intake: Intake | None = None  # the tap model on the run's row arrivals
    tap_log: TapLog | None = None
    per_batch: bool = False  # LeBug's trace was read back batch by batch (else at the end, or not)


def account(sj: StreamJob, res: JobResult, n_batches: int) -> dict[str, Any]:
    """Cycle accounting of a streamed run, from the job engine's per-round phase cycles. Without
    overlap a round writes (round 0: the program, then the input; then the start write), runs,
    reads; rounds after the first write the same number of words, so the program's cycles are
    round 0's writes minus round 1's. With overlap, round 0 is the program alone. `inference` is
    every cycle after the program: from the first input write to the last logit read (with
    `trace`/`status` reads, the debug read-back included)."""
    rounds = res.rounds or [{"prog": res.prog_cycles, "run": res.run_cycles, "read": res.read_cycles}]
    if sj.overlap:
        program = sum(rounds[0].values())
        rounds = rounds[1:]
    else:
        program = rounds[0]["prog"] - rounds[1]["prog"] if len(rounds) > 1 else 0
        rounds = [{**r, "prog": r["prog"] - (program if i == 0 else 0)} for i, r in enumerate(rounds)]
    per_round = [{"write": r["prog"], "run": r["run"], "read": r["read"]} for r in rounds]
    inference = sum(r["write"] + r["run"] + r["read"] for r in per_round)
    debug = sum(n for _, _, n, what in sj.reads if what != "logits")
    return {"program": program, "rounds": per_round, "inference": inference, "per_batch": inference / n_batches,
            "run": sum(r["run"] for r in per_round), "debug_reads": debug > 0, "overlap": sj.overlap,
            "job": res.job_cycles,
            "apb_words": {"program": sj.n_program, "input_per_batch": sj.n_input, "start_per_batch": sj.n_start,
                          "logits_per_batch": sj.n_logits, "debug_per_batch": debug / n_batches}}


def run_stream(bundle: Bundle, batches: Sequence[InputBatch], sim: str, debug: bool | None = True,
               waves: bool = False, work: Path | None = None, mode: str = "apb", progress: bool = False,
               overlap: bool | None = None, final_trace: bool = False, coverage: Path | None = None) -> StreamRun:
    """Stream the batches through the RTL on `sim` and compare everything with the model
    (AccelscopeError naming the first difference). `progress`: a tqdm bar of the rounds run.
    `final_trace` (without `debug`): read the whole trace buffer and the status registers once, at
    the end; the tap may then drop rows (the tap model predicts which, from the tap log), where the
    per-batch read-back of `debug` needs a stream that cannot drop (pymodel.top.taprate) and whose
    batches' trace rows fit the trace buffer. `debug=None`: per batch when that holds, else
    `final_trace`. `coverage`: the verilator-native coverage build's data file."""
    rate = tap_rate(bundle)
    exp = stream_expected(bundle, batches, per_batch=debug is not False)
    if overlap is None:
        overlap = stream_overlap(bundle, batches, exp.rows_after if debug is not False else None)
    if debug is None:
        bound = rate.fill_bound(overlap)
        debug = (bound is not None and bound <= rate.tap_depth and trace_fits(exp.cfg, exp.rows_after)
                 and all(b - a <= exp.cfg.lebug.TB_DEPTH for a, b in zip([0, *exp.rows_after], exp.rows_after)))
        final_trace = not debug
    sj = stream_job(bundle, batches, exp.rows_after if debug else None, mode, overlap, final_trace=final_trace)
    cfg = exp.cfg
    written = last_written(bundle, batches)

    def files(r: JobResult) -> tuple[JobResult, tuple[np.ndarray, np.ndarray], dict[str, np.ndarray], TapLog]:
        dumps = {mem: read_dump(r.dir, mem, cfg.sys.K, addrs) for mem, addrs in written.items() if addrs.size}
        return r, read_stream(r.dir, cfg.sys.K), dumps, read_tap_log(r.dir)

    from tqdm import tqdm

    n_rounds = max(1, len(sj.job.rounds))
    with tqdm(total=n_rounds, unit="round", desc=f"stream on {sim}", disable=not progress, leave=False) as bar:
        res, (stream, eof), dumps, log = run_job(BLOCK, cfg.params(), cfg.tag(), sj.job, sim, waves=waves,
                                                 work=work, decode=files, progress=lambda n: bar.update(n - bar.n),
                                                 coverage=coverage)
    logits: list[np.ndarray] = [np.zeros(0)] * len(batches)
    rows: list[np.ndarray] = [np.zeros((0, cfg.lebug.N), np.int64)] * len(batches)
    maxfill = 0
    try:
        assert_equal("output stream (every batch)", exp.stream, stream)
        assert_equal("output stream eof bits", exp.eof, eof)
        fw, _ = lebug_program(bundle, cfg)
        if len(log.arrivals) != len(stream):
            raise MismatchError(f"tap log: {len(log.arrivals)} rows reached the tap, the stream has {len(stream)}")
        intake = tap_intake(log.arrivals, cfg.TAP_DEPTH, cfg.vectors_per_row, cfg.lebug.IB_DEPTH, len(fw.chains))
        assert_equal("tap: rows stored (1) or dropped (0), in arrival order", intake.accepted, log.accepted)
        bound = rate.fill_bound(sj.overlap)
        if bound is not None and intake.maxfill > bound:
            raise MismatchError(f"the tap FIFO held {intake.maxfill} rows, more than the tap-rate bound {bound} "
                                f"(pymodel.top.taprate)")
        if intake.drops:
            if debug:
                raise MismatchError(f"the tap dropped {intake.drops} rows of a stream read back batch by batch "
                                    f"(pymodel.top.taprate said it could not)")
            exp = stream_expected(bundle, batches, per_batch=False, stored=intake.accepted)
        for i, lo, cnt, what in sj.reads:
            got = np.asarray(res.reads[lo:lo + cnt], np.int64)
            b = batches[i]
            if what == "logits":
                words, lanes, _ = logit_addrs(bundle, batch_bank(bundle, b))
                out = np.zeros((int(words.max()) + 1, cfg.sys.K), np.int64)
                out[words, lanes] = signed32(got)  # 32-bit chunks
                logits[i] = read_logits(bundle, out, b.images, batch_bank(bundle, b))
                assert_equal(f"batch {i}: logits", exp.logits[i], logits[i])
            elif what == "poll":  # the engine repeated it until it reached rows_after[i]
                if int(got[0]) < exp.rows_after[i]:
                    raise MismatchError(f"batch {i}: LeBug ROWS poll returned {int(got[0])} < {exp.rows_after[i]}")
            elif what == "trace":
                rows[i] = signed32(got).reshape(-1, cfg.lebug.N)
                lo_row = exp.rows_after[i - 1] if i else 0
                assert_equal(f"batch {i}: LeBug trace rows {lo_row}..{exp.rows_after[i] - 1}", exp.round_rows(i),
                             rows[i])
            elif what == "trace buffer":
                assert_equal("LeBug trace buffer (end of the stream)", exp.lebug.tb_mem,
                             signed32(got).reshape(-1, cfg.lebug.N))
            else:
                counters, tap, status = decode_status_reads(got)
                assert_same_counters(f"batch {i}: systolic counters", exp.runs[i].counters.as_dict(), counters)
                maxfill = tap.pop("maxfill")
                assert_same_counters(f"batch {i}: tap counters (cumulative)", exp.tap_after[i], tap)
                assert_same_counters(f"batch {i}: LeBug status (cumulative)",
                                     exp.lebug_after[i] if debug else exp.lebug.status.as_dict(), status)
        if any(what == "status" for _, _, _, what in sj.reads) and maxfill != intake.maxfill:
            raise MismatchError(f"TAP_MAXFILL at the end of the stream: expected {intake.maxfill}, actual {maxfill}")
        for mem, got_mem in dumps.items():
            assert_equal(f"last batch: {mem} scratchpad", exp.runs[-1].mems[mem][written[mem]], got_mem)
    except (MismatchError, AssertionError) as e:
        raise AccelscopeError(f"{sim} disagrees with the model: {e}") from None
    return StreamRun(exp, np.concatenate(logits), np.concatenate(rows), res, maxfill,
                     account(sj, res, len(batches)), intake, log, bool(debug))


# --------------------------------------------------------------------------
# accelscope eval BUNDLE / replay BUNDLE --inputs DIR
# --------------------------------------------------------------------------

def stream_results(bundle: Bundle, batches: Sequence[InputBatch], sim: str, labels: np.ndarray | None = None,
                   debug: bool = True, mode: str = "apb", progress: bool = False) -> dict[str, Any]:
    """Run the batches through one programmed chip on `sim` ("model": the model alone) and
    summarize: logits (bit-exact with the model, or the run raises), accuracy against `labels`,
    cycles and APB words per batch and per image, the memory plan, the per-layer LeBug
    histograms of the run (summed over batches) next to the model's."""
    res_fill = 0
    rate = tap_rate(bundle)
    check_tap_rate(rate, str(bundle.path))
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
    edges = [int(v) for v in signed32(thr)]
    images = int(sum(b.images for b in batches))
    pred = host_logits(bundle, logits).argmax(axis=1) if logits.ndim == 2 else None  # the host's dequantization
    res: dict[str, Any] = {
        "kind": "stream", "bundle": str(bundle.path), "sim": sim, "mode": mode, "images": images,
        "batch": int(net["batch"]),
        "batches": len(batches), "bit_exact": True, "logits": logits.tolist(),
        "argmax": pred.tolist() if pred is not None else None,
        "cost": net.get("cost"), "memory_plan": bundle.plan, "layers": exp.layers, "tap_max_fill": res_fill,
        "histograms": {"edges": edges, "model": layer_histograms(exp, exp.lebug.rows, bins)["layers"]},
        "tap_rate": rate.as_dict(), "tap_rate_note": rate.describe(),
    }
    if labels is not None and pred is not None:
        res["accuracy"] = float(np.mean(pred == np.asarray(labels)[:images]))
    if cycles is not None:
        res["cycles"] = cycles
        res["cycles_per_image"] = cycles["inference"] / images
        # the network efficiency (docs/performance.md): the images' shape-limited cycles over every cycle of the batches
        # (program excluded)
        res["efficiency"] = network_efficiency(bundle, images, cycles["inference"])
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
    if "tap_rate_note" in res:
        lines.append(res["tap_rate_note"] + ("" if c is None else
                                            f" (this run: {'overlapped' if c['overlap'] else 'one batch at a time'})"))
    hist = res["histograms"]
    src = "rtl" if "rtl" in hist else "model"
    lines.append(f"LeBug per-layer histograms ({'from the RTL run, equal to the model' if src == 'rtl' else 'model'};"
                 f" bins (T[j], T[j+1]], T = {hist['edges'][0]}..{hist['edges'][-1]}):")
    for name, h in hist[src].items():
        lines.append(f"  {name:<24} {h}")
    return "\n".join(lines)
