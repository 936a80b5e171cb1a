"""`make mutate`'s sample in make test (docs/verification.md, "Mutation"): the LeBug integer
build's mutant netlist with a few named mutants (yosys `mutate -list 1 -mode M -wire W`, so each
stays the same mutation while unrelated RTL changes), the original design (MUTSEL=0) passing the
sweep's first cases, every named mutant killed by them (a case failing, or an RTL assertion firing
in it), and the equivalence proof both ways: a
mutant that cannot change anything proven equivalent, its opposite not."""

from __future__ import annotations

import fcntl
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tb import runner
from tb.mutate import design, equiv, killset, source
from tb.runner import MUTANTS_ENV, MUTSEL_ENV, sim_build_root

UNIT = "lebug/int_n8m4"
SEEDS = 24  # the first sweep seeds of the unit's configuration
KILLED = [  # (module, yosys mode, wire): each breaks the trace or the counters of some early case
    ("lebug_dp", "const0", "row_valid"),  # no trace row is ever written
    ("lebug_cond", "const1", "ok"),  # every conditional instruction runs
    ("lebug_trace_buf", "const0", "wrap"),  # the wrap flag never set
    ("lebug_input_buffer", "const1", "full"),  # the input buffer always full: every fired vector dropped
    ("lebug_stage_reg", "inv", "out_valid"),  # a pipeline stage's valid inverted
]


@pytest.fixture(scope="module")
def sample() -> tuple[design.Unit, Path, list[design.Mutant]]:
    unit = next(u for u in design.units() if u.name == UNIT)
    work = sim_build_root() / "mutate_sample" / UNIT
    work.mkdir(parents=True, exist_ok=True)
    with open(work.parent / ".lock", "w") as lock:  # pytest-xdist workers share the sample's files
        fcntl.flock(lock, fcntl.LOCK_EX)
        design.elaborate(unit, work)
        mutants = design.draw_named(unit, work, KILLED, seed=1)
        design.netlist(unit, work, mutants, work.parent.parent / "netlists" / unit.block / f"{unit.cfg().tag()}.v")
    return unit, work, mutants


def test_mutation_sample(sample: tuple[design.Unit, Path, list[design.Mutant]],
                         monkeypatch: pytest.MonkeyPatch) -> None:
    unit, work, mutants = sample
    monkeypatch.setenv(MUTANTS_ENV, str(work.parent.parent / "netlists"))
    killset.build(unit.block, unit.config, faults=False)
    seeds = killset.sweep_seeds(unit.block, unit.config)[:SEEDS]
    monkeypatch.setenv(MUTSEL_ENV, "0")
    base = killset.run_sweep(unit.block, seeds)
    assert not base.killed, f"the original design fails {base.what}: {base.error}"
    for m in mutants[:len(KILLED)]:
        monkeypatch.setenv(MUTSEL_ENV, str(m.mutsel))
        k = killset.run_sweep(unit.block, seeds)
        assert k.killed and k.by in ("sweep", "assertion"), \
            f"mutant {m.mutsel} ({m.module} {m.mode} at {m.src}) survived {len(seeds)} cases: {m.command}"
        print(f"mutant {m.mutsel} {m.module} {m.mode} at {m.src}: killed by {k.what}: {k.error[:80]}")


def _constant_compare(work: Path) -> tuple[str, list[str]]:
    """lebug_cond's first `$eq` cell comparing the condition code with a constant (C_FIRST ..
    C_NOTLAST), and that constant's bits as yosys's JSON gives them ("0"/"1", LSB first)."""
    out = work / "lebug_cond.json"
    design.yosys(f"read_rtlil {work / 'prep.il'}\nhierarchy -top lebug_cond\nwrite_json {out}\n", work, "cond_json")
    cells = json.loads(out.read_text())["modules"]["lebug_cond"]["cells"]
    for name, c in sorted(cells.items()):
        b = c["connections"].get("B", [])
        if c["type"] == "$eq" and b and all(isinstance(v, str) for v in b):
            return name, b
    raise AssertionError("no $eq of the condition code with a constant in lebug_cond")


def test_equivalence_proof(sample: tuple[design.Unit, Path, list[design.Mutant]]) -> None:
    """Forcing a bit of a comparison's constant to the value it already has changes nothing:
    yosys proves that mutant equivalent; forcing it to the other value changes the comparison:
    the proof fails (it can)."""
    unit, work, _ = sample
    cell, bits = _constant_compare(work)
    same = [design.Mutant(unit.name, 900 + i, "lebug_cond", f"const{v}", "rtl/lebug/lebug_cond.v",
                          f"mutate -mode const{v} -module lebug_cond -cell {cell} -port B -portbit {i}")
            for i, v in enumerate(bits)]
    other = [design.Mutant(unit.name, 950 + i, "lebug_cond", f"const{1 - int(v)}", "rtl/lebug/lebug_cond.v",
                           f"mutate -mode const{1 - int(v)} -module lebug_cond -cell {cell} -port B -portbit {i}")
             for i, v in enumerate(bits)]
    eq = equiv.check(same[0], work)
    assert eq.status == "equivalent", (same[0].command, eq)
    ne = equiv.check(other[0], work)
    assert ne.status != "equivalent", (other[0].command, ne)


def _mutant(unit: design.Unit, mod: str, cell: str, port: str, bit: int) -> design.Mutant:
    return design.Mutant(unit.name, 990, mod.split("\\")[-1], "inv", "rtl/lebug",
                         f"mutate -mode inv -module {mod} -cell {cell} -port {port} -portbit {bit}")


def test_masked_and_unread_bits(sample: tuple[design.Unit, Path, list[design.Mutant]]) -> None:
    """The equivalences read from the design's JSON, both ways: an inverted input bit of an `$and`
    whose other operand has a constant 0 there is shown equivalent, one meeting a signal is not; an
    inverted bit of LeBug's rotator shift (lebug_dp `dbl_sh`) in the half the rotation drops is
    unread, one in the half it keeps is read."""
    unit, work, _ = sample
    modules = equiv.design_modules(work)
    yes = no = None
    for mod, body in modules.items():
        for name, c in body.get("cells", {}).items():
            if c["type"] != "$and":
                continue
            a, b = c["connections"]["A"], c["connections"]["B"]
            for i in range(len(a)):
                if isinstance(a[i], str):
                    continue
                m = _mutant(unit, mod, name, "A", i)
                if i >= len(b) and yes is None:  # B is zero-extended there (unsigned)
                    yes = m
                elif i < len(b) and not isinstance(b[i], str) and no is None:
                    no = m
    assert yes is not None and no is not None
    assert equiv.masked(yes, work) and equiv.masked(no, work) is None, (yes.command, no.command)
    mod = next(m for m in modules if m.endswith("lebug_dp"))
    shl = next(n for n, c in modules[mod]["cells"].items() if c["type"] == "$shl" and ":55$" in n)
    width = len(modules[mod]["cells"][shl]["connections"]["Y"])
    assert equiv.unread(_mutant(unit, mod, shl, "Y", 0), work)
    assert equiv.unread(_mutant(unit, mod, shl, "Y", width - 1), work) is None


def test_compare_enumeration(sample: tuple[design.Unit, Path, list[design.Mutant]]) -> None:
    """A comparison with a constant, every operand value tried: inverting bit 0 of what an `$eq`
    compares with a constant changes its result for some value (not shown equivalent); inverting a bit
    below the lowest set bit of the constant an unsigned `$lt`/`$ge` compares with changes it for none
    (shown equivalent). yosys's cnot1 is the bit XOR its control bit, cnot0 XNOR (passes/sat/mutate.cc)."""
    unit, work, _ = sample
    modules = equiv.design_modules(work)
    eq = lt = None
    for mod, body in modules.items():
        for name, c in body.get("cells", {}).items():
            a, b = c["connections"].get("A", []), c["connections"].get("B", [])
            if not a or not b or any(isinstance(x, str) for x in a) or len(a) > equiv.ENUM_BITS:
                continue
            if not all(x in ("0", "1") for x in b):
                continue
            signed = int(c["parameters"].get("A_SIGNED", "0"), 2)
            if c["type"] == "$eq" and eq is None:
                eq = _mutant(unit, mod, name, "A", 0)
            if c["type"] in ("$lt", "$ge") and not signed and b[0] == "0" and "1" in b and lt is None:
                lt = _mutant(unit, mod, name, "A", 0)
    assert eq is not None and lt is not None
    assert equiv.compare_unchanged(eq, work) is None
    assert equiv.compare_unchanged(lt, work)
    v = np.arange(4)
    cnot1 = design.Mutant(unit.name, 0, "x", "cnot1", "", "mutate -mode cnot1 -ctrlbit 1")
    cnot0 = design.Mutant(unit.name, 0, "x", "cnot0", "", "mutate -mode cnot0 -ctrlbit 1")
    assert equiv._mutate_bits(cnot1, v, 0).tolist() == [0, 1, 3, 2]  # bit 0 ^= bit 1
    assert equiv._mutate_bits(cnot0, v, 0).tolist() == [1, 0, 2, 3]  # bit 0 ^= !bit 1


def _cell_where(modules: dict, stem: str, kind: str, ok: Callable[[dict, dict], bool]) -> tuple[str, str]:
    """The first module named like `stem` and its first cell of type `kind` for which ok(cell, module) holds."""
    for name, mod in sorted(modules.items()):
        if name.split("\\")[-1] != stem:
            continue
        for cname, c in sorted(mod["cells"].items()):
            if c["type"] == kind and ok(c, mod):
                return name, cname
    raise AssertionError(f"no {kind} cell of the kind wanted in {stem}")


def test_cut_check_both_ways(sample: tuple[design.Unit, Path, list[design.Mutant]]) -> None:
    """The registers-cut proof (equiv.cut_check) proves no mutant the sample's cases kill, nor lebug_chain_seq
    with its reset term forced off (it differs only while reset is asserted); it proves forcing the don't-care
    data of the input buffer's memory write (the mux input taken without a push, when nothing is written)."""
    unit, work, mutants = sample
    for m in mutants[:len(KILLED)]:
        assert equiv.cut_check(m, work) is None, f"a killed mutant proven equivalent: {m.command}"
    modules = equiv.design_modules(work)

    def rst_term(c: dict, mod: dict) -> bool:
        return c["connections"]["A"] == mod["ports"]["rst_n"]["bits"]

    mod, cell = _cell_where(modules, "lebug_chain_seq", "$logic_not", rst_term)
    no_reset = design.Mutant(unit.name, 980, "lebug_chain_seq", "const0", "rtl/lebug/lebug_chain_seq.v",
                             f"mutate -mode const0 -module {mod} -cell {cell} -port Y -portbit 0")
    assert equiv.cut_check(no_reset, work) is None, no_reset.command

    def dont_care(c: dict, mod: dict) -> bool:
        return all(b == "x" for b in c["connections"]["A"])

    mod, cell = _cell_where(modules, "lebug_input_buffer", "$mux", dont_care)
    data = design.Mutant(unit.name, 981, "lebug_input_buffer", "const0", "rtl/lebug/lebug_input_buffer.v",
                         f"mutate -mode const0 -module {mod} -cell {cell} -port A -portbit 0")
    proof = equiv.cut_check(data, work)
    assert proof is not None and proof.status == "equivalent", data.command
    # the JSON check sees the same: that input bit is yosys's don't-care; no killed mutant's is
    assert equiv.dont_care(data, work), data.command
    assert not any(equiv.dont_care(m, work) for m in mutants[:len(KILLED)])


COI_RTL = """module coi(input wire clk, input wire [7:0] a, input wire s, output wire [3:0] y, output wire z);
    reg [7:0] r;
    always @(posedge clk) r <= s ? r + a : r;
    assign y = r[3:0];
    assign z = ^a[7:6];
endmodule
"""


def test_cone_of_influence(tmp_path: Path) -> None:
    """equiv.unobservable both ways on a small module (an accumulator whose low nibble is the output):
    a mutated adder input bit or register bit from 4 up reaches only the register's upper bits (carries
    go up), so it is shown equivalent; bit 3 reaches the output, as does the mux select (every bit) and
    a bit the output's XOR reduction reads: not shown."""
    (tmp_path / "coi.v").write_text(COI_RTL)
    design.yosys(f"read_verilog {tmp_path / 'coi.v'}\nproc\nwrite_rtlil {tmp_path / 'prep.il'}\n", tmp_path, "prep")
    cells = equiv.design_modules(tmp_path)["coi"]["cells"]

    def named(kind: str) -> str:
        return next(n for n, c in cells.items() if c["type"] == kind)

    def mutant(kind: str, port: str, bit: int) -> design.Mutant:
        return design.Mutant("t/coi", 1, "coi", "inv", "coi.v",
                             f"mutate -mode inv -module coi -cell {named(kind)} -port {port} -portbit {bit}")

    for kind, port in (("$add", "A"), ("$add", "B"), ("$dff", "Q"), ("$mux", "B")):
        assert equiv.unobservable(mutant(kind, port, 4), tmp_path), (kind, port)
        assert equiv.unobservable(mutant(kind, port, 3), tmp_path) is None, (kind, port)
    assert equiv.unobservable(mutant("$mux", "S", 0), tmp_path) is None
    assert equiv.unobservable(mutant("$reduce_xor", "A", 1), tmp_path) is None


def test_cone_of_influence_proves_no_killed_mutant(sample: tuple[design.Unit, Path, list[design.Mutant]]) -> None:
    """No mutant the sample's cases kill is shown unobservable."""
    _, work, mutants = sample
    for m in mutants[:len(KILLED)]:
        assert equiv.unobservable(m, work) is None, m.command


def test_source_mutants_apply(tmp_path: Path) -> None:
    """Every hand-written source mutant (tb/mutate/source.py) still finds its line exactly once in
    rtl/ and changes it: a change to the RTL that moves one away fails here, not in make mutate."""
    for m in source.MUTANTS:
        rtl = source.planted(m, tmp_path / m.name)
        assert (rtl / m.file).read_text() != (runner.rtl_root() / m.file).read_text(), m.name


@pytest.mark.ci  # one LeBug build of a planted copy: CI runs it after make test (make ci-checks)
def test_source_mutant_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hand-written mutant (LeBug's notlast condition testing the first flag) through the kill
    set on its own build: a sweep case kills it."""
    monkeypatch.setenv("ACCELSCOPE_SIM_BUILD", str(tmp_path / "sim_build"))
    for var in (MUTANTS_ENV, MUTSEL_ENV):
        monkeypatch.delenv(var, raising=False)
    m = next(m for m in source.MUTANTS if m.name == "cond_notlast_first")
    row = source.run_one(m, tmp_path)
    print(row)
    assert row["by"] == "sweep" and "lebug seed" in row["what"], row
