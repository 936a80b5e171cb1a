"""The job engine's rounds (tb/common/job_engine.v, tb/job.py): program once, then per round
write new inputs over APB, start, run, read the results: what a batch stream does. Checked
on the systolic harness (K=8, the regression build) on the native simulators, every round's
results and counters against the model."""

from __future__ import annotations

import os

import numpy as np
import pytest

from pymodel.systolic import regmap as R
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.descriptor import Descriptor
from pymodel.systolic.model import run
from tb.job import Job
from tb.runner import run_job
from tb.systolic.jobs import BLOCK, image_files, spad_block

CFG = SystolicConfig.for_array(8)
SEED = int(os.environ.get("SYSTOLIC_SEED", "4242"))


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
    images = {"wgt": wgt, "bias": bias}
    ext = {"wgt": len(wgt), "bias": len(bias)}
    job = Job(writes=writes, reads=reads, start=(R.REG_CTRL, R.CTRL_START), rounds=rounds,
              block=spad_block(ext, {}), files=image_files(CFG, images, ext), timeout=200_000)
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
