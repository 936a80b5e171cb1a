"""Equivalence of a surviving mutant with yosys: the mutated module (with everything below it,
flattened, memories mapped to flip-flops) against the original one, every input free: yosys's
miter with sat -tempinduct, or its equivalence checker (equiv_*). A proof holds for every
input sequence of the module, so it holds in the design; a module only equivalent in its context
(inputs its parent never drives that way) is not proven here and is argued in the report.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from pymodel.errors import AccelscopeError
from tb.mutate.design import Mutant, yosys

SAT_TIMEOUT_S = 8  # per proof attempt (a module-level proof closes fast or not at all)
SEQ = 2  # equiv_simple / equiv_induct -seq


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
    """Equivalence of the mutated and the original module; `work` holds the unit's prep.il. Two
    sound proofs, each with a time limit: a miter of the outputs with `sat -tempinduct` (closes when
    the mutation is masked before any state or output), then yosys's equivalence checker
    (equiv_make pairs the signals of the same name, equiv_simple and equiv_induct prove every pair,
    by induction over all of them; equiv_status -assert fails unless each is proven)."""
    il = work / "prep.il"
    name = f"equiv_{m.mutsel}"
    scripts = [(f"""miter -equiv -flatten -make_outputs gold gate miter
hierarchy -top miter
sat -verify -prove trigger 0 -set-def-inputs -tempinduct -maxsteps {SEQ} miter
""", f"yosys miter -equiv + sat -tempinduct on {m.module}, every input free"), (f"""equiv_make gold gate equiv
hierarchy -top equiv
equiv_simple -seq {SEQ}
equiv_induct -seq {SEQ}
equiv_status -assert
""", f"yosys equiv_make/equiv_simple/equiv_induct on {m.module}, every input free")]
    for i, (script, how) in enumerate(scripts):
        try:
            yosys(_pair(m, il) + script, work, f"{name}_{i}", timeout=SAT_TIMEOUT_S)
            return Proof("equivalent", how)
        except (subprocess.TimeoutExpired, AccelscopeError):
            continue
    return Proof("unknown", f"not proven: neither sat -tempinduct nor equiv_induct closed within {SAT_TIMEOUT_S} s each "
                            "(module inputs free)")
