"""Every SymbiYosys proof passes on the RTL and fails, with a counterexample trace, on its seeded
bug (tb/formal.py, docs/verification.md "Formal").

The proofs are marked `formal`: they take several minutes on 2 cores, so `make test` leaves them
out (`-m "not formal"`) and `make formal` runs the same proofs and bugs through tb/formal.py (its
table and bench/results/formal.json); `pytest -m formal tests/test_formal.py` runs them here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tb import formal


@pytest.fixture(scope="module")
def env() -> dict[str, str]:
    e = formal.tool_env()
    formal.warm_up(e)
    return e


@pytest.mark.formal
@pytest.mark.parametrize("proof", formal.PROOFS, ids=formal.PROOF_NAMES)
def test_proof_passes_and_its_seeded_bug_fails(proof: formal.Proof, env: dict[str, str], tmp_path: Path) -> None:
    ok = formal.run_proof(proof, env, tmp_path)
    assert ok.status == "PASS", f"{proof.name}: {ok.status}, failing {ok.failed} (log {ok.workdir}.log)"
    bug = formal.run_bug(proof, env, tmp_path)
    print(f"{proof.name}: seeded bug ({proof.bug.why}) -> {bug.status}, failing {bug.failed}, trace {bug.trace}")
    assert bug.status == "FAIL", f"{proof.name}: the seeded bug ({proof.bug.why}) gave {bug.status}, not FAIL"
    assert bug.trace is not None and bug.trace.stat().st_size > 0, f"{proof.name}: no counterexample VCD"
    assert bug.failed, f"{proof.name}: no failing assertion named (log {bug.workdir}.log)"


def test_seeded_bugs_are_one_line_changes() -> None:
    """Each bug's line occurs once in its file and differs from the original (the mutant is the RTL
    with exactly that line changed); tb/formal.py refuses a bug whose line moved."""
    root = formal.ROOT
    for p in formal.PROOFS:
        text = (root / p.bug.file).read_text()
        assert text.count(p.bug.old) == 1, \
            f"{p.name}: {p.bug.old!r} occurs {text.count(p.bug.old)} times in {p.bug.file}"
        assert p.bug.old != p.bug.new and "\n" not in p.bug.old + p.bug.new, p.name
        assert p.sby.exists(), p.sby
