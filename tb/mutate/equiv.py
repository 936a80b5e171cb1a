"""Equivalence of a surviving mutant with yosys, as MCY does: the mutated module (with everything
below it, flattened) against the original one in a miter, proven with `sat -tempinduct` (base case
from the all-zero state, every input free, memories mapped to flip-flops). A proof holds for every
input sequence of the module, so it holds in the design; a module only equivalent in its context
(inputs its parent never drives that way) is not proven here and is argued in the report.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from pymodel.errors import AccelscopeError
from tb.mutate.design import Mutant, yosys

SAT_TIMEOUT_S = 10  # per mutant (the module-level proof either closes fast or not at all)
INDUCTION_STEPS = 24  # sat -tempinduct -maxsteps


@dataclass
class Proof:
    status: str  # "equivalent", "differs" (a counterexample), "unknown" (induction failed or time out)
    how: str


def _module_name(m: Mutant) -> str:
    return m.command.split("-module ", 1)[1].split(" -", 1)[0]


def check(m: Mutant, work: Path) -> Proof:
    """The miter of the original and the mutated module; `work` holds the unit's prep.il."""
    mod = _module_name(m)
    il = work / "prep.il"
    script = f"""read_rtlil {il}
{m.command}
hierarchy -top {mod}
flatten
rename {mod} gate
design -stash gate
read_rtlil {il}
hierarchy -top {mod}
flatten
rename {mod} gold
design -copy-from gate -as gate gate
miter -equiv -flatten -make_outputs -ignore_gold_x gold gate miter
hierarchy -top miter
memory -nomap
memory_map
opt -fast
sat -verify -prove trigger 0 -set-init-zero -tempinduct -maxsteps {INDUCTION_STEPS} miter
"""
    name = f"equiv_{m.mutsel}"
    try:
        yosys(script, work, name, timeout=SAT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return Proof("unknown", f"yosys sat -tempinduct: no result in {SAT_TIMEOUT_S} s")
    except AccelscopeError as e:
        log = (work / f"{name}.log").read_text(errors="replace") if (work / f"{name}.log").exists() else str(e)
        if "model found for base case: FAIL" in log or "SAT proof finished - model found" in log:
            return Proof("differs", "yosys sat: a counterexample from the zero state, module inputs free")
        if "Induction step failed" in log:
            return Proof("unknown", "yosys sat -tempinduct: induction not closed within "
                                    f"{INDUCTION_STEPS} steps (reachable states or the parent's inputs)")
        return Proof("unknown", f"yosys: {str(e)[:160]}")
    return Proof("equivalent", f"yosys miter -equiv + sat -tempinduct on {m.module} (all inputs free)")
