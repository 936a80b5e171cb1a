"""Equivalence of a surviving mutant with yosys: the mutated module (with everything below it,
flattened, memories mapped to flip-flops) against the original one, every input and the initial
state free: yosys's miter with sat -tempinduct. A proof holds for every
input sequence of the module, so it holds in the design; a module only equivalent in its context
(inputs its parent never drives that way) is not proven here and is argued in the report.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from pymodel.errors import AccelscopeError
from tb.mutate.design import Mutant, yosys

SAT_TIMEOUT_S = 10  # per mutant (a module-level proof closes fast or not at all)
SEQ = 8  # sat -tempinduct -maxsteps
CURRENT = "every input and the initial state free"  # how this version's proofs end (the first one
# assumed an all-zero start)


@dataclass
class Proof:
    status: str  # "equivalent", or "unknown" (not proven: some pair differs or the proof did not close)
    how: str


def _module_name(m: Mutant) -> str:
    return m.command.split("-module ", 1)[1].split(" -", 1)[0]


def _pair(m: Mutant, il: Path) -> str:
    """A yosys script prefix: modules `gold` (the original module, flattened, memories mapped to
    flip-flops) and `gate` (the same with the mutation applied)."""
    mod = _module_name(m)
    flat = f"hierarchy -top {mod}\nflatten\nmemory -nomap\nmemory_map\nopt_clean"
    return f"""read_rtlil {il}
{m.command}
{flat}
rename {mod} gate
design -stash gate
read_rtlil {il}
{flat}
rename {mod} gold
design -copy-from gate -as gate gate
"""


def check(m: Mutant, work: Path) -> Proof:
    """Equivalence of the mutated and the original module; `work` holds the unit's prep.il: a miter
    of the outputs, `sat -tempinduct` with every input and the initial state free (so a mutant
    that only differs from a power-up state other than reset's is not proven), time-limited.
    (yosys's equiv_make/equiv_induct pair the registers by name and assume them equal at the
    start, which proves such reset mutants: not used.)"""
    try:
        yosys(_pair(m, work / "prep.il") + f"""miter -equiv -flatten -make_outputs gold gate miter
hierarchy -top miter
sat -verify -prove trigger 0 -set-def-inputs -tempinduct -maxsteps {SEQ} miter
""", work, f"equiv_{m.mutsel}", timeout=SAT_TIMEOUT_S)
    except (subprocess.TimeoutExpired, AccelscopeError):
        return Proof("unknown", f"not proven: sat -tempinduct did not close within {SAT_TIMEOUT_S} s or "
                                f"{SEQ} steps (module inputs and initial state free)")
    return Proof("equivalent", f"yosys miter -equiv + sat -tempinduct on {m.module}, {CURRENT}")
