"""The job engine's rounds (tb/common/job_engine.v, tb/job.py): program once, then per round
write new inputs over APB, start, run, read the results: what a batch stream does. Checked
on the systolic harness (K=8, the regression build) on the native simulators, every round's
results and counters against the model."""

from __future__ import annotations

import os

import numpy as np
import pytest

from pymodel.errors import AccelscopeError
from pymodel.systolic import regmap as R
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.descriptor import Descriptor
from pymodel.systolic.model import run
from tb.job import Job
from tb.runner import run_job
from tb.systolic.jobs import BLOCK, image_files, spad_block

CFG = SystolicConfig.for_array(8)
SEED = int(os.environ.get("SYSTOLIC_SEED", "4242"))



def _gemm_job(writes: list, reads: list, rounds: list, wgt: np.ndarray, bias: np.ndarray,
              out: np.ndarray | None = None, **kw: object) -> Job:
    """A job of rounds with the GEMM's weights and biases (and `out`, OUT's first words) loaded by backdoor."""
    images = {"wgt": wgt, "bias": bias, **({"out": out} if out is not None else {})}
    ext = {k: len(v) for k, v in images.items()}
    return Job(writes=writes, reads=reads, rounds=rounds, block=spad_block(ext, {}),
               files=image_files(CFG, images, ext), **kw)  # type: ignore[arg-type]  # kw: Job's own fields

@pytest.mark.parametrize("sim", ["verilator-native", "icarus-plain"])
def test_rounds_stream_batches(sim: str) -> None:
    print(f"SYSTOLIC_SEED={SEED}")
    rng = np.random.default_rng(SEED)
    K, m, kd, n = CFG.K, 5, 16, 12
    nt, kt = -(-n // K), -(-kd // K)
    d = Descriptor(m=m, kd=kd, n=n, a_base=0, a_stride=kt, b_base=0, bq_base=0, c_base=0, c_stride=nt, bias=True)
    wgt = rng.integers(-128, 128, (nt * kt * K, K))
    bias = rng.integers(-1000, 1000, (nt, K))
    batches = [rng.integers(-128, 128, (m * kt, K)) for _ in range(3)]
    out_words = np.arange(m * nt)
    writes, reads, rounds = [], [], []
    for i, a in enumerate(batches):
        w = (R.descriptor_records(CFG, [d]) if i == 0 else []) + R.mem_records(CFG, "act", a)
        r = [R.word_addr(CFG, "out", int(word), c) for word in out_words for c in range(R.chunks(CFG, "out"))]
        r += R.readback_addrs(CFG)
        writes += w
        reads += r
        rounds.append((len(w), len(r)))
    job = _gemm_job(writes, reads, rounds, wgt, bias, start=(R.REG_CTRL, R.CTRL_START), timeout=200_000)
    res = run_job(BLOCK, CFG.params(), CFG.tag(), job, sim)
    assert len(res.rounds) == 3
    per_round = np.split(res.reads, np.cumsum([r for _, r in rounds])[:-1])
    n_out = len(out_words) * R.chunks(CFG, "out")
    for i, (a, got) in enumerate(zip(batches, per_round)):
        exp = run(CFG, [d], {"act": a, "wgt": wgt, "bias": bias})
        want_out = exp.mems["out"][out_words]
        got_out = R.chunks_to_words(CFG, "out", got[:n_out].astype(np.int64).reshape(len(out_words), -1))
        bad = np.argwhere(got_out != want_out)
        assert not bad.size, (f"round {i}: OUT word {bad[0][0]} lane {bad[0][1]}: expected "
                              f"{want_out[tuple(bad[0])]}, got {got_out[tuple(bad[0])]}")
        counters, status = R.decode_readback(got[n_out:])
        assert counters == exp.counters.as_dict(), f"round {i}: counters {counters} != model {exp.counters.as_dict()}"
        assert status["done"] == 1 and status["error"] == 0, status
        assert res.rounds[i]["run"] > 0 and res.rounds[i]["read"] > 0
    # round 0 also wrote the descriptor: more records, more cycles
    assert res.rounds[0]["prog"] > res.rounds[1]["prog"] == res.rounds[2]["prog"]
    assert res.run_cycles == sum(r["run"] for r in res.rounds)


@pytest.mark.parametrize("sim", ["verilator-native", "icarus-plain"])
def test_overlap_streams_ping_pong(sim: str) -> None:
    """Job.overlap (WRITE, START, READ, RUN per round) with NUM_DESC.FIRST: two copies of a
    GEMM in CMD, one per ACT/OUT buffer; round i starts batch i (FIRST = i mod 2), writes batch
    i+1's inputs into the other ACT buffer and reads batch i-1's outputs from the other OUT
    buffer while batch i runs. Every batch's outputs, and the last run's counters, equal the model."""
    print(f"SYSTOLIC_SEED={SEED}")
    rng = np.random.default_rng([SEED, 2])
    K, m, kd, n, nb = CFG.K, CFG.K, 512, 64, 3  # 4096 RUN cycles a batch: longer than its traffic
    nt, kt = -(-n // K), -(-kd // K)
    a_words, o_words = m * kt, m * nt
    descs = [Descriptor(m=m, kd=kd, n=n, a_base=p * a_words, a_stride=kt, b_base=0, bq_base=0, c_base=p * o_words,
                        c_stride=nt, bias=True) for p in (0, 1)]
    wgt = rng.integers(-128, 128, (nt * kt * K, K))
    bias = rng.integers(-1000, 1000, (nt, K))
    batches = [rng.integers(-128, 128, (a_words, K)) for _ in range(nb)]

    def start(i: int) -> list[tuple[int, int]]:
        return [(R.REG_NUM_DESC, R.num_desc_value(i % 2, 1, CFG)), (R.REG_CTRL, R.CTRL_START)]

    def outputs(i: int) -> list[int]:
        return [R.word_addr(CFG, "out", (i % 2) * o_words + w, c) for w in range(o_words)
                for c in range(R.chunks(CFG, "out"))]

    writes, reads, rounds = [], [], []
    for i in range(nb + 1):  # round nb only reads the last batch's outputs
        w: list[tuple[int, int]] = []
        if i == 0:
            w += R.descriptor_records(CFG, descs, num_desc=False) + R.mem_records(CFG, "act", batches[0])
        if i < nb:
            w += start(i)
        if i + 1 < nb:
            w += R.mem_records(CFG, "act", batches[i + 1], ((i + 1) % 2) * a_words)
        r = outputs(i - 1) if i > 0 else []
        if i == nb:
            r += R.readback_addrs(CFG)
        writes += w
        reads += r
        rounds.append((len(w), len(r)))
    job = _gemm_job(writes, reads, rounds, wgt, bias, overlap=True, timeout=500_000)
    res = run_job(BLOCK, CFG.params(), CFG.tag(), job, sim)
    per_round = np.split(res.reads, np.cumsum([r for _, r in rounds])[:-1])
    for i, a in enumerate(batches):
        exp = run(CFG, [descs[i % 2]], {"act": np.concatenate([np.zeros(((i % 2) * a_words, K), np.int64), a]),
                                        "wgt": wgt, "bias": bias}, first=i % 2)
        want = exp.mems["out"][(i % 2) * o_words + np.arange(o_words)]
        got = R.chunks_to_words(CFG, "out", per_round[i + 1][:len(outputs(i))].astype(np.int64).reshape(o_words, -1))
        bad = np.argwhere(got != want)
        assert not bad.size, (f"batch {i}: OUT word {bad[0][0]} lane {bad[0][1]}: expected "
                              f"{want[tuple(bad[0])]}, got {got[tuple(bad[0])]}")
    counters, status = R.decode_readback(per_round[nb][len(outputs(nb - 1)):])
    assert counters == exp.counters.as_dict(), f"counters {counters} != model {exp.counters.as_dict()}"
    assert status == exp.status, f"status {status} != model {exp.status}"
    # the reads of rounds 1..nb-1 ran while a batch was busy: its RUN phase found it still running
    assert all(r["run"] > res.rounds[nb]["run"] for r in res.rounds[1:nb]), res.rounds


@pytest.mark.parametrize("sim", ["verilator-native", "icarus-plain"])
def test_poll_reads_wait_for_the_result(sim: str) -> None:
    """Job.polls: in an overlapped round the reads run while the GEMM is busy. The same job reads
    the OUT words of the run it just started, once straight away (stale: zeros) and once after a
    poll of ROWS until it reaches the run's output rows (equal to the model, every word); the poll
    is read back with its final value. A poll for a count that never comes ends in the job timeout."""
    print(f"SYSTOLIC_SEED={SEED}")
    rng = np.random.default_rng([SEED, 3])
    K, m, kd, n = CFG.K, 12, 256, 24
    nt, kt = -(-n // K), -(-kd // K)
    d = Descriptor(m=m, kd=kd, n=n, a_base=0, a_stride=kt, b_base=0, bq_base=0, c_base=0, c_stride=nt, bias=True)
    wgt = rng.integers(-128, 128, (nt * kt * K, K))
    bias = rng.integers(-1000, 1000, (nt, K))
    act = rng.integers(-128, 128, (m * kt, K))
    exp = run(CFG, [d], {"act": act, "wgt": wgt, "bias": bias})
    outs = [R.word_addr(CFG, "out", w, c) for w in range(m * nt) for c in range(R.chunks(CFG, "out"))]
    writes = R.descriptor_records(CFG, [d]) + R.mem_records(CFG, "act", act) + [(R.REG_CTRL, R.CTRL_START)]
    reads = outs + [R.REG_ROWS] + outs  # round 0 (overlapped: while the GEMM runs); round 1 reads nothing
    rows = exp.counters.rows
    zeros = np.zeros((m * nt, K), np.int64)  # OUT defined before the run (Icarus reads X from unwritten words)
    job = _gemm_job(writes, reads, [(len(writes), len(reads)), (0, 0)], wgt, bias, zeros, overlap=True,
                    timeout=200_000, polls={len(outs): rows})
    res = run_job(BLOCK, CFG.params(), CFG.tag(), job, sim)
    want = exp.mems["out"][:m * nt]
    n_out = len(outs)

    def words(x: np.ndarray) -> np.ndarray:
        return R.chunks_to_words(CFG, "out", x.astype(np.int64).reshape(m * nt, -1))

    early, polled = words(res.reads[:n_out]), words(res.reads[n_out + 1:])
    assert not np.array_equal(early, want), "the reads before the poll should see the run unfinished"
    bad = np.argwhere(polled != want)
    assert not bad.size, (f"after the poll: OUT word {bad[0][0]} lane {bad[0][1]}: expected "
                          f"{want[tuple(bad[0])]}, got {polled[tuple(bad[0])]}")
    assert int(res.reads[n_out]) == rows, (int(res.reads[n_out]), rows)
    never = _gemm_job(writes, reads, [(len(writes), len(reads)), (0, 0)], wgt, bias, zeros, overlap=True,
                      timeout=20_000, polls={len(outs): rows + 1})
    with pytest.raises(AccelscopeError, match="job timeout"):
        run_job(BLOCK, CFG.params(), CFG.tag(), never, sim)
