"""A harness job on disk: what tb/common/job_engine.v reads and writes (one format for
every block and every simulator; docs/verification.md, "One testbench").

A `Job` is APB write records (the bundle's 0PROG_A/0PROG_D format), an optional start
write, a RUN phase, read-back addresses, the block's header words and extra files (the
block's stimulus or backdoor images). With `rounds`, WRITE, START, RUN and READ repeat per
round on consecutive slices of the records and reads (program once, then per batch: write
its inputs, start, run, read its results). With `overlap`, each round but the last is WRITE,
START, READ, then RUN (wait for the block's run_done): records after one that starts the block
(a record may be the start write itself) and the round's reads are APB transfers while it
runs. `write_job` lays it out in a directory; `read_result` parses what the engine wrote back.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pymodel.bundle.bundle import write_prog
from pymodel.errors import AccelscopeError

MAGIC = 0x4A4F4201
HDR_WORDS = 32
BLOCK_WORDS = HDR_WORDS - 8
FLAG_START = 1 << 0
FLAG_RUN = 1 << 1
FLAG_OVERLAP = 1 << 2  # per round WRITE, START, READ, RUN (tb/common/job_engine.v)
FLAG_POLL = 1 << 3  # some reads are polls (rd_p.hex: their minimum values)
POLL_BIT = 1 << 31  # rd_a.hex: this read is a poll
OUT_WORDS = 8
PROG_DEPTH = READ_DEPTH = 1 << 16  # tb/common/harness_core.vh: most records and reads per job
MAX_ROUNDS = 4096  # tb/common/job_engine.v MAX_ROUNDS
ERRORS = ("bad job header", "PSLVERR on a write record", "PSLVERR on a read", "record address beyond the APB bus",
          "job timeout")
CLK_NS = 10  # the harness clock period (tb/common/harness.py, tb/common/job_main.v)


@dataclass
class Job:
    writes: Sequence[tuple[int, int]] = ()
    reads: Sequence[int] = ()
    start: tuple[int, int] | None = None  # one write after the records (e.g. CTRL.start)
    run: bool = True
    timeout: int = 0  # cycle limit from go to the end of READ (0: none)
    block: Sequence[int] = ()  # header words 8.. (the harness's own)
    files: dict[str, str] = field(default_factory=dict)  # extra files: name -> text
    copies: dict[str, Path] = field(default_factory=dict)  # extra files: name -> file to copy
    prog_dir: Path | None = None  # use this bundle's prog/0PROG_A and 0PROG_D as the writes
    rounds: Sequence[tuple[int, int]] = ()  # (records, reads) of each round, in order; () = one round
    overlap: bool = False  # per round WRITE, START, READ, then RUN: reads (and late records) while the block runs
    polls: Mapping[int, int] = field(default_factory=dict)  # read index -> minimum: repeat that read until its
    # data (unsigned) reaches the minimum; the reads after it wait (a trace read after LeBug's ROWS count)


@dataclass
class JobResult:
    dir: Path
    reads: np.ndarray  # uint32 read data, in Job.reads order
    prog_cycles: int  # WRITE + START phases
    run_cycles: int
    read_cycles: int
    job_cycles: int  # go .. END
    run_window: tuple[int, int]  # clock cycles since time 0 at the start of the first and the end of the last RUN
    wall_s: float = 0.0  # wall time of the simulation run (builds excluded)
    rounds: list[dict[str, int]] = field(default_factory=list)  # per round: prog, run, read cycles (rounds > 1)

    def cycles(self) -> dict[str, int]:
        return {"prog": self.prog_cycles, "run": self.run_cycles, "read": self.read_cycles, "job": self.job_cycles}


def write_job(path: Path, job: Job) -> None:
    """Lay `job` out in `path` (files the engine reads; stale results removed)."""
    path.mkdir(parents=True, exist_ok=True)
    # a reused directory: the previous job's outputs (the engine's, and the harness's capture and dumps)
    for stale in [path / "rd_d.hex", path / "job_out.hex", path / "stream.txt", path / "tap.txt", path / "rounds.hex",
                  path / "rd_p.hex",
                  path / "rounds_out.hex", path / "apb_waits.txt", *path.glob("dump_*.hex")]:
        stale.unlink(missing_ok=True)
    if job.prog_dir is not None:
        n_writes = 0
        for name in ("0PROG_A", "0PROG_D"):
            shutil.copyfile(job.prog_dir / name, path / name)
        with open(path / "0PROG_A") as f:
            n_writes = sum(1 for line in f if line.strip())
    else:
        write_prog(path, job.writes, subdir=False)
        n_writes = len(job.writes)
    if n_writes > PROG_DEPTH:
        raise AccelscopeError(f"{n_writes} APB write records exceed the harness's PROG_DEPTH {PROG_DEPTH}")
    if len(job.reads) > READ_DEPTH:
        raise AccelscopeError(f"{len(job.reads)} read-back addresses exceed the harness's READ_DEPTH {READ_DEPTH}")
    if len(job.block) > BLOCK_WORDS:
        raise AccelscopeError(f"{len(job.block)} block header words: at most {BLOCK_WORDS}")
    rounds = list(job.rounds)
    if rounds:
        if len(rounds) > MAX_ROUNDS:
            raise AccelscopeError(f"{len(rounds)} rounds exceed the harness's MAX_ROUNDS {MAX_ROUNDS}")
        if sum(w for w, _ in rounds) != n_writes or sum(r for _, r in rounds) != len(job.reads) or \
                min(min(w, r) for w, r in rounds) < 0:
            raise AccelscopeError(f"job rounds {rounds[:4]}...: the records and reads per round must add up to "
                                  f"{n_writes} and {len(job.reads)}")
        ends = np.cumsum(np.array(rounds, dtype=np.int64), axis=0)
        (path / "rounds.hex").write_text("".join(f"{w:08x}\n{r:08x}\n" for w, r in ends.tolist()))
    start = job.start or (0, 0)
    bad = [i for i in job.polls if not 0 <= i < len(job.reads)]
    if any(a & POLL_BIT for a in job.reads):
        raise AccelscopeError("a read address with bit 31 set: the job engine reads that bit as the poll flag")
    if bad:
        raise AccelscopeError(f"job polls {bad[:4]}: not read indices (0..{len(job.reads) - 1})")
    flags = (FLAG_START if job.start else 0) | (FLAG_RUN if job.run else 0) | (FLAG_OVERLAP if job.overlap else 0) | \
        (FLAG_POLL if job.polls else 0)
    hdr = [MAGIC, n_writes, len(job.reads), flags, start[0], start[1], job.timeout, len(rounds), *job.block]
    hdr += [0] * (HDR_WORDS - len(hdr))
    (path / "job.hex").write_text("".join(f"{w & 0xFFFFFFFF:08x}\n" for w in hdr))
    (path / "rd_a.hex").write_text("".join(f"{(a & 0xFFFFFFFF) | (POLL_BIT if i in job.polls else 0):08x}\n"
                                           for i, a in enumerate(job.reads)))
    if job.polls:
        (path / "rd_p.hex").write_text("".join(f"{job.polls.get(i, 0) & 0xFFFFFFFF:08x}\n"
                                               for i in range(len(job.reads))))
    for name, text in job.files.items():
        (path / name).write_text(text)
    for name, src in job.copies.items():
        shutil.copyfile(src, path / name)


def read_output(path: Path) -> str:
    """A file the simulation writes (engine results, the harness's capture and dumps)."""
    try:
        return path.read_text()
    except OSError as e:
        raise AccelscopeError(f"the simulation wrote no {path.name} in {path.parent}: {e.strerror}") from None


def _words(path: Path, count: int) -> list[int]:
    text = read_output(path)
    out = []
    for i, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        if not s or s.startswith(("//", "@")):
            continue
        try:
            out.append(int(s, 16))
        except ValueError:
            raise AccelscopeError(f"{path}:{i}: not hex (X or Z bits?): {s[:40]!r}") from None
    if len(out) != count:
        raise AccelscopeError(f"{path}: {len(out)} words, expected {count}")
    return out


def read_result(path: Path, job: Job) -> JobResult:
    """Parse job_out.hex and rd_d.hex; a job the engine failed raises with the reason."""
    out = _words(path / "job_out.hex", OUT_WORDS)
    if out[0]:
        why = ", ".join(e for i, e in enumerate(ERRORS) if out[0] >> i & 1)
        which = f" (record or read {out[1]})" if out[1] else ""
        raise AccelscopeError(f"harness job in {path} failed: {why}{which}")
    reads = np.array(_words(path / "rd_d.hex", len(job.reads)) if job.reads else [], dtype=np.uint32)
    rounds = []
    if len(job.rounds) > 1:
        r = _words(path / "rounds_out.hex", 3 * len(job.rounds))
        rounds = [{"prog": r[3 * i], "run": r[3 * i + 1], "read": r[3 * i + 2]} for i in range(len(job.rounds))]
    return JobResult(path, reads, out[2], out[3], out[4], out[5], (out[6], out[7]), rounds=rounds)

