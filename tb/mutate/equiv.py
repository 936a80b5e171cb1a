"""Equivalence of a surviving mutant with yosys: the mutated module (with everything below it,
flattened, memories mapped to flip-flops) against the original one, every input and the initial
state free: yosys's miter with sat -tempinduct. A proof holds for every
input sequence of the module, so it holds in the design; a module only equivalent in its context
(inputs its parent never drives that way) is not proven here and is argued in the report.
"""

from __future__ import annotations

import json
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


def _arg(command: str, flag: str) -> str | None:
    parts = command.split()
    return parts[parts.index(flag) + 1] if flag in parts else None


def no_op(m: Mutant, work: Path) -> bool:
    """The mutation forces a cell input bit to the constant it already is (const0 on a 0 bit,
    const1 on a 1 bit of a constant operand): the mutated netlist is the original one. Read from
    the unit's design as yosys's JSON (design.json, written once)."""
    if m.mode not in ("const0", "const1"):
        return False
    js = work / "design.json"
    if not js.exists():
        yosys(f"read_rtlil {work / 'prep.il'}\nwrite_json {js}\n", work, "design_json")
    mod, cell, port, bit = (_arg(m.command, f) for f in ("-module", "-cell", "-port", "-portbit"))
    if mod is None or cell is None or port is None or bit is None:
        return False
    modules = _design(js)
    conn = modules.get(mod, {}).get("cells", {}).get(cell, {}).get("connections", {}).get(port)
    return conn is not None and int(bit) < len(conn) and conn[int(bit)] == m.mode[-1]


_DESIGNS: dict[Path, dict] = {}


def _design(js: Path) -> dict:
    if js not in _DESIGNS:
        _DESIGNS[js] = json.loads(js.read_text())["modules"]
    return _DESIGNS[js]


def check(m: Mutant, work: Path) -> Proof:
    """Equivalence of the mutated and the original module; `work` holds the unit's prep.il: a miter
    of the outputs, `sat -tempinduct` with every input and the initial state free (so a mutant
    that only differs from a power-up state other than reset's is not proven), time-limited.
    (yosys's equiv_make/equiv_induct pair the registers by name and assume them equal at the
    start, which proves such reset mutants: not used.)"""
    if no_op(m, work):
        return Proof("equivalent", f"the mutation forces a constant bit of {m.module} to the value it has "
                                   f"(yosys JSON of the design), {CURRENT}")
    try:
        yosys(_pair(m, work / "prep.il") + f"""miter -equiv -flatten -make_outputs gold gate miter
hierarchy -top miter
sat -verify -prove trigger 0 -set-def-inputs -tempinduct -maxsteps {SEQ} miter
""", work, f"equiv_{m.mutsel}", timeout=SAT_TIMEOUT_S)
    except (subprocess.TimeoutExpired, AccelscopeError):
        return Proof("unknown", f"not proven: sat -tempinduct did not close within {SAT_TIMEOUT_S} s or "
                                f"{SEQ} steps (module inputs and initial state free)")
    return Proof("equivalent", f"yosys miter -equiv + sat -tempinduct on {m.module}, {CURRENT}")
