"""Equivalence of a surviving mutant with yosys: the mutated module (with everything below it,
flattened, memories mapped to flip-flops) against the original one, every input and the initial
state free: yosys's miter with sat -tempinduct. A proof holds for every
input sequence of the module, so it holds in the design; a module only equivalent in its context
(inputs its parent never drives that way) is not proven here and is argued in the report.
"""

from __future__ import annotations

import json
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

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


def design_modules(work: Path) -> dict[str, Any]:
    """The unit's elaborated design (work/prep.il) as yosys's JSON modules (design.json, written once)."""
    js = work / "design.json"
    with _LOCK:  # proofs run in threads (driver): one writes the unit's JSON, the others wait
        if not js.exists():
            yosys(f"read_rtlil {work / 'prep.il'}\nwrite_json {js}\n", work, "design_json")
        return _design(js)


def _cell(m: Mutant, work: Path) -> tuple[dict[str, Any], str, int] | None:
    """The mutated cell (yosys JSON of the unit's design, design.json, written once), its port and bit."""
    modules = design_modules(work)
    mod, cell, port, bit = (_arg(m.command, f) for f in ("-module", "-cell", "-port", "-portbit"))
    if mod is None or cell is None or port is None or bit is None:
        return None
    found = modules.get(mod, {}).get("cells", {}).get(cell)
    return None if found is None else (found, port, int(bit))


def _input_bit(m: Mutant, work: Path) -> str | int | None:
    """The mutated input bit's connection in the design's JSON ("0", "1", "x" or a signal number), or None."""
    got = _cell(m, work)
    if got is None:
        return None
    cell, port, bit = got
    conn = cell["connections"].get(port)
    if cell.get("port_directions", {}).get(port) != "input" or conn is None or bit >= len(conn):
        return None
    return conn[bit]


def no_op(m: Mutant, work: Path) -> bool:
    """The mutation forces a cell input bit to the constant it already is (const0 on a 0 bit,
    const1 on a 1 bit of a constant operand): the mutated netlist is the original one."""
    return m.mode in ("const0", "const1") and _input_bit(m, work) == m.mode[-1]


def _operand_bit(cell: dict[str, Any], port: str, bit: int) -> str | int:
    """Bit `bit` of operand `port` as the cell extends it ("0"/"1" constant or a signal number)."""
    conn = cell["connections"][port]
    if bit < len(conn):
        return conn[bit]
    return conn[-1] if int(cell["parameters"].get(f"{port}_SIGNED", "0"), 2) else "0"


def dont_care(m: Mutant, work: Path) -> str | None:
    """Why a mutated input bit changes nothing, or None: it is yosys's don't-care ("x"), a value the
    RTL leaves undefined (e.g. the write data `proc` gives a memory write port while its enable is 0),
    which any constant or inversion refines."""
    if _input_bit(m, work) != "x":
        return None
    port, bit = _arg(m.command, "-port"), _arg(m.command, "-portbit")
    return f"input {port} bit {bit} is a don't-care (x) the RTL leaves undefined"


def unread(m: Mutant, work: Path) -> str | None:
    """Why a mutated output bit of a cell changes nothing, or None: no cell of its module reads that
    bit and no output port of the module carries it (e.g. the half of a rotator's double-width
    shift that the rotation drops)."""
    got = _cell(m, work)
    mod = _arg(m.command, "-module")
    if got is None or mod is None:
        return None
    cell, port, bit = got
    if cell.get("port_directions", {}).get(port) != "output" or bit >= len(cell["connections"][port]):
        return None
    sig = cell["connections"][port][bit]
    if isinstance(sig, str):
        return None
    module = design_modules(work)[mod]
    for c in module.get("cells", {}).values():
        dirs = c.get("port_directions", {})
        for p, bits in c.get("connections", {}).items():
            if dirs.get(p) != "output" and sig in bits:
                return None
    for p in module.get("ports", {}).values():
        if p.get("direction") != "input" and sig in p.get("bits", []):
            return None
    return "no cell of the module reads that output bit and no port carries it"


# cone of influence: how a cell's input bit reaches its output bits. Bitwise cells pass bit i to bit i
# (a select or a clock reaches them all); in an adder, subtractor, negation or multiplier bit i reaches
# only bits i and up (carries go up); any other cell every output bit. Memories, instances of other
# modules and assertions end the search: what reaches them counts as seen.
_BITWISE = {"$and", "$or", "$xor", "$xnor", "$not", "$pos", "$mux", "$pmux", "$dff", "$adff", "$sdff", "$dffe",
            "$sdffe", "$sdffce", "$adffe"}
_UPWARD = {"$add", "$sub", "$neg", "$mul"}
_DATA_PORTS = {"A", "B", "D"}


def _reached(cell: dict[str, Any], port: str, bit: int) -> list[str | int] | None:
    """The output signal bits of `cell` that its input `port` bit `bit` can change, or None when the
    cell ends the search (a memory, an instance, an assertion: observable)."""
    kind = cell["type"]
    outs = [q for p, d in cell.get("port_directions", {}).items() if d == "output"
            for q in cell["connections"].get(p, [])]
    if not kind.startswith("$") or kind.startswith(("$paramod", "$mem")) or not outs:
        return None
    out_port = "Q" if "Q" in cell["connections"] else "Y"
    y = cell["connections"].get(out_port, [])
    width = len(cell["connections"].get(port, []))
    if kind in _BITWISE and port in _DATA_PORTS:
        if kind == "$pmux" and port == "B":
            return [y[bit % len(y)]]
        return [y[bit]] if width == len(y) else outs
    if kind in _UPWARD and port in ("A", "B"):
        return y[bit:] if bit < len(y) else []
    return outs


def unobservable(m: Mutant, work: Path) -> str | None:
    """Why the mutated bit changes no output of its module, or None: its cone of influence inside the
    module (through flip-flops, muxes and logic bit by bit, through adders and multipliers from that
    bit up) reaches no output port, memory, instance or assertion. E.g. a register field copied down a
    pipeline and never read at its end, or the bits of an offset above the ones an address takes."""
    got = _cell(m, work)
    mod = _arg(m.command, "-module")
    if got is None or mod is None:
        return None
    cell, port, bit = got
    conn = cell["connections"].get(port, [])
    if bit >= len(conn):
        return None
    if cell.get("port_directions", {}).get(port) == "output":
        start: list[str | int] | None = [conn[bit]]
    else:
        start = _reached(cell, port, bit)
    if start is None:
        return None
    module = design_modules(work)[mod]
    readers: dict[int, list[tuple[dict[str, Any], str, int]]] = {}
    for c in module.get("cells", {}).values():
        for p, bits in c.get("connections", {}).items():
            if c.get("port_directions", {}).get(p) != "output":
                for i, b in enumerate(bits):
                    if isinstance(b, int):
                        readers.setdefault(b, []).append((c, p, i))
    outputs = {b for pt in module.get("ports", {}).values() if pt.get("direction") != "input"
               for b in pt.get("bits", []) if isinstance(b, int)}
    seen: set[int] = set()
    todo = [b for b in start if isinstance(b, int)]
    while todo:
        b = todo.pop()
        if b in seen:
            continue
        seen.add(b)
        if b in outputs:
            return None
        for c, p, i in readers.get(b, []):
            nxt = _reached(c, p, i)
            if nxt is None:
                return None
            todo += [x for x in nxt if isinstance(x, int) and x not in seen]
    return (f"its cone of influence in the module ({len(seen)} signal bits: flip-flops, muxes and logic bit "
            f"by bit, adders and multipliers from that bit up) reaches no output port, memory, instance or "
            f"assertion")


_COMPARE = {"$eq": np.equal, "$ne": np.not_equal, "$lt": np.less, "$le": np.less_equal, "$gt": np.greater,
            "$ge": np.greater_equal}
ENUM_BITS = 16  # compare operands up to this wide are enumerated


def _mutate_bits(m: Mutant, v: np.ndarray, bit: int) -> np.ndarray:
    """yosys mutate's effect on bit `bit` of every value in `v` (ctrlbit: the condition bit of cnot0/1)."""
    one = np.int64(1) << bit
    if m.mode == "const0":
        return v & ~one
    if m.mode == "const1":
        return v | one
    if m.mode == "inv":
        return v ^ one
    ctrl = _arg(m.command, "-ctrlbit")
    if ctrl is None or m.mode not in ("cnot0", "cnot1"):
        raise ValueError(m.mode)
    c = (v >> int(ctrl)) & 1
    return v ^ (((c if m.mode == "cnot1" else 1 - c) & 1) << bit)


def compare_unchanged(m: Mutant, work: Path) -> str | None:
    """Why a mutated input bit of a comparison with a constant cannot change its result, or None:
    every value of the mutated operand (up to ENUM_BITS wide) compared before and after the mutation."""
    got = _cell(m, work)
    if got is None:
        return None
    cell, port, bit = got
    kind = cell["type"]
    if kind not in _COMPARE or port not in ("A", "B"):
        return None
    other = "B" if port == "A" else "A"
    mine, const = cell["connections"][port], cell["connections"][other]
    if len(mine) > ENUM_BITS or not all(x in ("0", "1") for x in const):
        return None
    params = cell["parameters"]
    signed = int(params.get("A_SIGNED", "0"), 2) and int(params.get("B_SIGNED", "0"), 2)
    w = len(mine)
    v = np.arange(1 << w, dtype=np.int64)
    k = int("".join(reversed(const)), 2)
    if signed:
        k = k - (1 << len(const)) if const[-1] == "1" else k

    def value(x: np.ndarray) -> np.ndarray:
        return np.where(x >> (w - 1) & 1, x - (1 << w), x) if signed else x

    op = _COMPARE[kind]
    before = op(value(v), k) if port == "A" else op(k, value(v))
    after_v = _mutate_bits(m, v, bit) & ((1 << w) - 1)
    after = op(value(after_v), k) if port == "A" else op(k, value(after_v))
    if np.array_equal(before, after):
        return f"this {kind} with the constant {k} gives the same result for all 2^{w} operand values, mutated or not"
    return None


def masked(m: Mutant, work: Path) -> str | None:
    """Why the mutated input bit cannot change the cell's output, whatever the mutation does to it
    (every mode, also conditional ones: only that bit changes), or None: the bit meets a constant 0
    of the other operand of an `$and` (a 1 of an `$or`), or is below the lowest set bit of the
    constant an unsigned `$ge`/`$lt` compares it with (A >= c*2^t depends on A's bits from t up)."""
    got = _cell(m, work)
    if got is None:
        return None
    cell, port, bit = got
    kind, params = cell["type"], cell["parameters"]
    if kind in ("$and", "$or") and port in ("A", "B"):
        other = _operand_bit(cell, "B" if port == "A" else "A", bit)
        if other == ("0" if kind == "$and" else "1"):
            return f"the other operand's bit {bit} of this {kind} is the constant {other}"
    if kind in ("$ge", "$lt") and port == "A" and not int(params.get("A_SIGNED", "0"), 2) and \
            not int(params.get("B_SIGNED", "0"), 2):
        b = cell["connections"]["B"]
        if all(x in ("0", "1") for x in b):
            value = int("".join(reversed(b)), 2)
            low = (value & -value).bit_length() - 1 if value else len(cell["connections"]["A"])
            if bit < low:
                return (f"this unsigned {kind} compares with the constant {value:#x}, a multiple of 2^{low}: "
                        f"operand bits below {low} do not change it")
    return None


_DESIGNS: dict[Path, dict] = {}
_LOCK = threading.Lock()


def _design(js: Path) -> dict:
    if js not in _DESIGNS:
        _DESIGNS[js] = json.loads(js.read_text())["modules"]
    return _DESIGNS[js]


def quick(m: Mutant, work: Path) -> Proof | None:
    """The equivalences read from the design's JSON (no SAT): no_op, masked, unread, compare_unchanged,
    dont_care, unobservable."""
    if no_op(m, work):
        return Proof("equivalent", f"the mutation forces a constant bit of {m.module} to the value it has "
                                   f"(yosys JSON of the design), {CURRENT}")
    why = (masked(m, work) or unread(m, work) or compare_unchanged(m, work) or dont_care(m, work)
           or unobservable(m, work))
    if why:
        return Proof("equivalent", f"the mutated bit cannot reach the output: {why} (yosys JSON of the design)")
    return None


CUT_TIMEOUT_S = 180  # per mutant: the registers-cut proof (SAT on one step of the flattened module)


def _memory_modules(m: Mutant, work: Path) -> list[str]:
    """The modules of the unit's design holding a memory, except the mutated one and the checkers."""
    mod = _module_name(m)
    return [name for name, body in design_modules(work).items()
            if name != mod and "fifo_check" not in name
            and any(c["type"].startswith("$mem") for c in body.get("cells", {}).values())]


def _cut_side(m: Mutant, work: Path, name: str, mutate: bool) -> str:
    """The module flattened, its checker cells removed (they are not design), the instances of
    other modules holding memories cut (`blackbox`, then `expose -evert`: their outputs are
    inputs, their inputs outputs), memories of its own mapped to flip-flops and every flip-flop
    cut (`expose -evert-dff`: its Q an input, its D an output)."""
    mod = _module_name(m)
    mems = _memory_modules(m, work)
    boxes = "".join(f"blackbox {b}\n" for b in mems)
    evert = f"expose -evert {' '.join(f't:{b}' for b in mems)}\n" if mems else ""
    return f"""read_rtlil {work / 'prep.il'}
{m.command if mutate else ''}
hierarchy -top {mod}
{boxes}flatten
chformal -remove
opt_clean
memory -nomap
memory_map
opt_clean
autoname
{evert}expose -dff -evert-dff
rename {mod} {name}
"""


def cut_check(m: Mutant, work: Path, timeout: float = CUT_TIMEOUT_S) -> Proof | None:
    """Equivalence by one induction step with every register cut: for the same register values and
    inputs, the mutated and the original module give the same outputs and the same next register
    values (a miter of the two with the registers as shared inputs and their D inputs among the
    outputs, identical logic merged, then one SAT call). It follows that they behave the same
    from any common power-up state for every input sequence, through reset and after it (a
    mutant of a reset value or of the reset condition differs in the next value of a register
    while reset is asserted, so it is not proven). Sufficient, not necessary: a mutant that only
    differs in states its module never reaches is not proven here. None when not proven."""
    script = (_cut_side(m, work, "gate", True) + "design -stash gate\n" + _cut_side(m, work, "gold", False)
              + "design -copy-from gate -as gate gate\n"
              + "miter -equiv -flatten -make_outputs gold gate miter\nhierarchy -top miter\n"
              + "opt -fast\nopt_merge -share_all\nopt -full\n"
              + "sat -verify -prove trigger 0 -set-def-inputs miter\n")
    try:
        yosys(script, work, f"cut_{m.mutsel}", timeout=timeout)
    except (subprocess.TimeoutExpired, AccelscopeError):
        return None
    return Proof("equivalent", f"yosys miter of {m.module} with every register cut (shared values, next values "
                               f"compared), one SAT step: from any common power-up state, {CURRENT}")


def check(m: Mutant, work: Path, cut: bool = True) -> Proof:
    """Equivalence of the mutated and the original module; `work` holds the unit's prep.il: a miter
    of the outputs, `sat -tempinduct` with every input and the initial state free (so a mutant
    that only differs from a power-up state other than reset's is not proven), time-limited.
    (yosys's equiv_make/equiv_induct pair the registers by name and assume them equal at the
    start, which proves such reset mutants: not used.)"""
    fast = quick(m, work) or (cut_check(m, work) if cut else None)
    if fast is not None:
        return fast
    try:
        yosys(_pair(m, work / "prep.il") + f"""miter -equiv -flatten -make_outputs gold gate miter
hierarchy -top miter
sat -verify -prove trigger 0 -set-def-inputs -tempinduct -maxsteps {SEQ} miter
""", work, f"equiv_{m.mutsel}", timeout=SAT_TIMEOUT_S)
    except (subprocess.TimeoutExpired, AccelscopeError):
        return Proof("unknown", f"not proven: sat -tempinduct did not close within {SAT_TIMEOUT_S} s or "
                                f"{SEQ} steps (module inputs and initial state free)")
    return Proof("equivalent", f"yosys miter -equiv + sat -tempinduct on {m.module}, {CURRENT}")
