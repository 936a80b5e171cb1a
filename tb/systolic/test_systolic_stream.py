"""Streaming on rtl/systolic (docs/systolic.md, "APB while busy" and NUM_DESC.FIRST): harness
jobs run through tb.runner.run_job on Icarus and Verilator (the K=8 regression build).

- APB while busy: an overlap job (tb/job.py Job.overlap; tb/systolic/jobs.py streaming_job)
  starts a descriptor list (int8 GEMM, int32 GEMM with ACC, CONV, POOL) and, while it runs,
  writes ACT and OUT words it does not touch and reads others. Every stream row, scratchpad
  word (the written ones included), counter and STATUS equals the model; the words read
  while busy equal what was loaded; the written ones read back; some transfer waited
  (PREADY low, counted by the harness), and the run was still busy after the traffic.
- FIRST: CMD holds two descriptor lists (0..1 and 2..4); NUM_DESC = (FIRST=2, COUNT=3) runs
  the second: the result equals the model of that sublist (STATUS.cur_desc absolute), also
  when it stops on a malformed descriptor.
The seed is printed; rerun with SYSTOLIC_SEED=<seed>. The register rules of NUM_DESC
(PSLVERR for FIRST + COUNT > CMD_DEPTH) are checked in test_systolic.py (apb_data_path).
"""

from __future__ import annotations

import os
import random
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from pymodel.compare import MismatchError
from pymodel.systolic import regmap as R
from pymodel.systolic.builder import JobBuilder
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.convjob import random_conv, random_pool
from pymodel.systolic.job import mismatches
from pymodel.systolic.model import run
from pymodel.systolic.randjob import malformed, rand_int8, rand_quant, random_layers
from tb.job import JobResult
from tb.runner import run_job, sims_under_test
from tb.systolic.jobs import BLOCK, apb_waits, decode, streaming_job, systolic_job

CFG = SystolicConfig.for_array(8)


def _seed(salt: int) -> np.random.Generator:
    env = os.environ.get("SYSTOLIC_SEED")
    seed = int(env) if env else random.SystemRandom().randrange(1 << 32)
    print(f"seed {seed} (rerun with SYSTOLIC_SEED={seed})")
    return np.random.default_rng([seed, salt])


def busy_list(rng: np.random.Generator) -> tuple[list, dict]:
    """An int8 GEMM of 1 k-tile and 32 rows a tile (ACT written every E4 cycle, ACT read every
    RUN cycle), an int32 GEMM with ACC (OUT read in E0, written in E4), a CONV (ACT into the
    window in LOAD) and a POOL (one ACT read a cycle)."""
    K = CFG.K
    jb = JobBuilder(CFG)
    base, stride = jb.put_matrix(rand_int8(rng, (32 * K, K)))
    jb.layer(base, stride, 32 * K, rand_int8(rng, (K, 2 * K)), bias=rng.integers(-999, 999, 2 * K), relu=True,
             quant=rand_quant(rng, 2 * K))
    m, kd, n = 4 * K, 2 * K + 1, 2 * K - 1
    base, stride = jb.put_matrix(rand_int8(rng, (m, kd)))
    jb.layer(base, stride, m, rand_int8(rng, (kd, n)), acc_init=rng.integers(-(1 << 20), 1 << 20, (m, n)))
    random_conv(CFG, rng, jb)
    random_pool(CFG, rng, jb)
    return jb.descriptors, jb.images()


@pytest.mark.parametrize("sim", sims_under_test())
def test_apb_while_busy(sim: str, tmp_path: Path) -> None:
    rng = _seed(1)
    descs, images = busy_list(rng)
    st = streaming_job(CFG, descs, images, rng, words=4)
    exp = st.expect(run(CFG, descs, st.images))
    res: JobResult = run_job(BLOCK, CFG.params(), CFG.tag(), st.job, sim, work=tmp_path)
    hw = st.decode(CFG, res)
    problems = mismatches(exp, hw) + st.problems(CFG, res)
    if problems:
        raise MismatchError("; ".join(problems))
    waits = apb_waits(res.dir)
    print(f"{len(descs)} descriptors, {len(hw.stream)} rows, rounds {res.rounds}, {waits} wait cycles")
    assert waits > 0, "no APB transfer waited (the traffic never met the sequencer on a port)"
    # round 1 found the block done: a longer round-0 RUN means the run outlasted the traffic
    assert res.rounds[0]["run"] > res.rounds[1]["run"], f"the run ended before the traffic did: rounds {res.rounds}"


@pytest.mark.parametrize("sim", sims_under_test())
def test_num_desc_first(sim: str, tmp_path: Path) -> None:
    rng = _seed(2)
    K = CFG.K
    other, _ = random_layers(CFG, rng, 2, 2 * K)  # CMD[0..1]: must not run (their images are not loaded)
    descs, images = random_layers(CFG, rng, 3, 3 * K + 3)  # CMD[2..4]
    first = len(other)
    before = R.descriptor_records(CFG, other, 0, num_desc=False)
    for name, sub in (("sublist", descs), ("sublist with an error", descs[:2] + [malformed(CFG, 1, rng)])):
        exp = run(CFG, sub, images, first=first)
        job = systolic_job(CFG, sub, images, first=first)
        job.writes = [*before, *job.writes]
        hw = run_job(BLOCK, CFG.params(), CFG.tag(), job, sim, work=tmp_path / name.replace(" ", "_"),
                     decode=partial(decode, CFG, job))
        problems = mismatches(exp, hw)
        if problems:
            raise MismatchError(f"{name}: " + "; ".join(problems))
        assert hw.status["cur_desc"] == first + (len(sub) - 1), hw.status
        if not exp.error:
            assert hw.eof[-1, 1] == 1 and hw.eof[:, 1].sum() == 1 and hw.eof[:, 0].sum() == len(sub)
