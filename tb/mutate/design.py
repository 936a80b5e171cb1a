"""Mutants with yosys (MCY's method): elaborate each configuration's design once (`prep`, memories
kept as $mem cells, hierarchy kept so that instance and memory names stay the RTL's), draw mutants
per module with `mutate -list` (its coverage weighting spreads them over the module's source lines
and wires), then build every mutant of the configuration into one netlist with `mutate -ctrl`
(mutant i active when `mutsel == i`, 0 the original design).

`mutate -ctrl` gives each module holding a mutant, and every parent up to the top, a `mutsel`
input; the top's is turned into a variable set from the plusarg +MUTSEL (tb.runner passes
ACCELSCOPE_MUTSEL), and the top takes back its parameter list (the harness overrides them; a
generate check stops elaboration unless they are the values the netlist was made for).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pymodel.errors import AccelscopeError
from tb.mutate.killset import FAULT_CONFIGS
from tb.regress.cases import BLOCKS, configs
from tb.runner import rtl_root

MUTSEL_W = 12  # bits of the run-time selector: up to 4095 mutants a configuration


@dataclass(frozen=True)
class Unit:
    """One configuration's design: the regress case configuration it runs (tb/regress/cases.py
    configs), its RTL top and the rtl/ modules mutated in it."""
    block: str  # lebug, systolic, top: the harness and the sweep's cases
    config: str  # the configuration's name in cases.configs(block)
    top: str  # the RTL top module
    dirs: tuple[str, ...]  # rtl/ directories the design reads (common first)
    modules: tuple[str, ...]  # the rtl/ modules mutated here (file stems)

    @property
    def name(self) -> str:
        return f"{self.block}/{self.config}"

    def cfg(self) -> Any:
        return configs(self.block)[self.config]

    def params(self) -> dict[str, int]:
        """The parameters the harness gives the RTL top (for the top level: those of accel_top)."""
        p = dict(self.cfg().params())
        return p

    def files(self) -> list[Path]:
        return [f for d in self.dirs for f in sorted((rtl_root() / d).glob("*.v"))]


def modules_of(d: str) -> tuple[str, ...]:
    return tuple(p.stem for p in sorted((rtl_root() / d).glob("*.v")))


UNIT_TOPS = {"lebug": ("lebug", ("common", "lebug")), "systolic": ("systolic", ("common", "systolic")),
             "top": ("accel_top", ("common", "systolic", "lebug", "top"))}


def units() -> list[Unit]:
    """Every rtl/ module is mutated where its block's sweep runs, in every configuration of that
    sweep (tb/regress/cases.py configs: they select different generate branches, and each runs
    its own seeds of the sweep): LeBug's in both LeBug builds, systolic's at K=8, top's in the five
    top builds (K=2 to 16); common's APB front end in the configuration of each block whose kill
    set has the fault tests (killset.FAULT_CONFIGS: the APB protocol errors are theirs)."""
    cm = modules_of("common")
    return [Unit(block, name, UNIT_TOPS[block][0], UNIT_TOPS[block][1],
                 modules_of(block) + (cm if name == FAULT_CONFIGS[block][0] else ()))
            for block in BLOCKS for name in sorted(configs(block))]


def rtl_dir_of(module: str) -> str:
    for d in ("common", "lebug", "systolic", "top"):
        if (rtl_root() / d / f"{module}.v").exists():
            return d
    raise AccelscopeError(f"no rtl/ file for module {module}")


@dataclass
class Mutant:
    """One mutation: `mutsel` is its selector value in its unit's netlist."""
    unit: str  # block/config
    mutsel: int
    module: str  # the rtl/ module (file stem)
    mode: str  # yosys mutation mode: inv, const0, const1, cnot0, cnot1
    src: str  # rtl/<dir>/<file>.v:<line> of the mutated cell or wire
    command: str  # the `mutate ...` line of `mutate -list` (without -ctrl)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def yosys(script: str, work: Path, name: str, timeout: float | None = None) -> str:
    """Run a yosys script (written to work/<name>.ys); its log, or one clear error
    (subprocess.TimeoutExpired past `timeout` seconds, yosys killed)."""
    work.mkdir(parents=True, exist_ok=True)
    ys = work / f"{name}.ys"
    ys.write_text(script)
    r = subprocess.run(["yosys", "-q", "-l", str(work / f"{name}.log"), "-s", str(ys)], capture_output=True,
                       text=True, stdin=subprocess.DEVNULL, timeout=timeout)
    log = (work / f"{name}.log").read_text(errors="replace") if (work / f"{name}.log").exists() else ""
    if r.returncode != 0:
        err = next((ln for ln in (r.stderr + log).splitlines() if "ERROR" in ln), r.stderr.strip()[-300:])
        raise AccelscopeError(f"yosys {ys}: {err}")
    return log


def elaborate(unit: Unit, work: Path, formal: bool = True) -> Path:
    """prep.il: the unit's design elaborated with its parameters (`prep`: proc, opt, wreduce,
    memory_collect; hierarchy kept, memories stay $mem_v2 cells); modules.txt its module names.
    `formal`: read with -formal, so that `assert` under `ifdef FORMAL` become $assert cells (a
    firing assertion in the mutant netlist is a kill by assertion)."""
    files = " ".join(str(f) for f in unit.files())
    incs = " ".join(f"-I{rtl_root() / d}" for d in unit.dirs)
    sets = " ".join(f"-set {k} {v}" for k, v in unit.params().items())
    il = work / "prep.il"
    tmp = work / "prep.il.tmp"
    yosys(f"""read_verilog -defer {'-formal' if formal else ''} {incs} {files}
tee -q -o {work}/params.txt chparam -list {unit.top}
chparam {sets} {unit.top}
hierarchy -check -top {unit.top}
prep
write_rtlil {tmp}
tee -q -o {work}/modules.txt ls
""", work, "elaborate")
    if il.exists() and il.read_bytes() == tmp.read_bytes():
        tmp.unlink()
    else:
        os.replace(tmp, il)  # at once: a reader (a proof) sees the old file or the new one
    return il


def design_modules(work: Path) -> list[str]:
    """Module names of prep.il (from `ls`): `lebug`, `$paramod$<hash>\\lebug_vvalu`, ..."""
    text = (work / "modules.txt").read_text()
    return [ln.strip() for ln in text.splitlines() if ln.startswith("  ") and ln.strip()]


def rtl_module(name: str) -> str:
    """The rtl/ module of a design module name: `$paramod$<hash>\\m`, `$paramod\\m\\P=v`, `m`."""
    if name.startswith("$paramod$"):
        return name.rsplit("\\", 1)[1]
    if name.startswith("$paramod\\"):
        return name.split("\\")[1]
    return name.lstrip("\\")


def top_params(work: Path) -> list[str]:
    """The RTL top's parameter names (`chparam -list`)."""
    lines = (work / "params.txt").read_text().splitlines()
    return [ln.strip() for ln in lines if ln.startswith("  ") and ln.strip()]


SRC = re.compile(r"-src (\S+?):(\d+)\.\d+-\d+\.\d+")


CHECK_MACRO = re.compile(r"`(ASSERT|ASSUME|COVER)\(")


def checker_lines(path: Path) -> set[int]:
    """The lines of an rtl/ file that are checker code, not design (docs/verification.md,
    "Assertions"): `ASSERT/`ASSUME/`COVER calls (to their closing parenthesis) and everything
    inside `ifdef ASSERT_ON (the shadow state the assertions keep); every line of an include
    that only checkers read (rtl/common/assert.vh, fifo_check.vh)."""
    lines = path.read_text().splitlines()
    if path.suffix == ".vh" and path.parent.name == "common":
        return set(range(1, len(lines) + 1))
    out: set[int] = set()
    depth = 0  # nesting inside `ifdef ASSERT_ON
    open_parens = 0  # an unfinished checker macro call
    for n, ln in enumerate(lines, start=1):
        code = ln.split("//", 1)[0]
        word = code.strip().split()
        if depth:
            out.add(n)
            if word and word[0].startswith("`if"):
                depth += 1
            elif word and word[0] == "`endif":
                depth -= 1
            continue
        if word[:2] == ["`ifdef", "ASSERT_ON"]:
            depth = 1
            out.add(n)
            continue
        if open_parens or CHECK_MACRO.search(code):
            out.add(n)
            found = CHECK_MACRO.search(code)
            part = code[found.start():] if found is not None and not open_parens else code
            open_parens += part.count("(") - part.count(")")
    return out


_CHECKERS: dict[Path, set[int]] = {}


def is_checker(src: Path, line: int) -> bool:
    src = src.resolve()
    if src not in _CHECKERS:
        _CHECKERS[src] = checker_lines(src) if src.exists() else set()
    return line in _CHECKERS[src]


def parse_list(path: Path, unit: Unit, module: str, first: int, keep: int | None = None) -> list[Mutant]:
    """The mutants of one `mutate -list -o` file, numbered from `first`: the first `keep` (default
    all) whose cell or wire is design logic (a mutation of checker code only, every source line of
    it in checker_lines, is left out: it would change what an assertion checks, not the design)."""
    out: list[Mutant] = []
    root = rtl_root().resolve()
    for line in (ln for ln in path.read_text().splitlines() if ln.startswith("mutate ")):
        if keep is not None and len(out) >= keep:
            break
        mode = line.split("-mode ", 1)[1].split()[0]
        srcs = [(Path(f), int(n)) for f, n in SRC.findall(line) if int(n) > 0]
        if srcs and all(is_checker(f, n) for f, n in srcs):
            continue
        own = [s for s in srcs if s[0].stem == module] or srcs
        src = f"{own[0][0].resolve().relative_to(root.parent)}:{own[0][1]}" if own else \
            f"rtl/{rtl_dir_of(module)}/{module}.v (no line: logic yosys made)"
        out.append(Mutant(unit.name, first + len(out), module, mode, src, line))
    return out


def draw(unit: Unit, work: Path, counts: Mapping[str, int], seed: int) -> list[Mutant]:
    """`mutate -list counts[m] -seed seed` on each module m of the unit (every parameter variant
    of it), in the module order of the unit; mutants numbered 1.. in that order."""
    names = design_modules(work)
    cmds, todo = [], []
    for m in unit.modules:
        n = counts.get(m, 0)
        sel = [x for x in names if rtl_module(x) == m]
        if n <= 0:
            continue
        if not sel:
            raise AccelscopeError(f"{unit.name}: module {m} is not in the elaborated design")
        out = work / f"list_{m}.txt"
        # drawn with room for the checker-code mutations parse_list leaves out
        cmds.append(f"mutate -list {2 * n + 8} -seed {seed} -o {out} {' '.join(sel)}")
        todo.append((m, out, n))
    yosys(f"read_rtlil {work / 'prep.il'}\n" + "\n".join(cmds) + "\n", work, "list")
    mutants: list[Mutant] = []
    for m, out, n in todo:
        mutants += parse_list(out, unit, m, len(mutants) + 1, keep=n)
    return mutants


def draw_named(unit: Unit, work: Path, specs: Sequence[tuple[str, str, str]], seed: int) -> list[Mutant]:
    """One mutant for each (module, mode, wire): `mutate -list 1 -mode MODE -wire WIRE` on the
    module's variants, so a named mutant stays the same one while unrelated RTL changes."""
    names = design_modules(work)
    cmds = []
    for i, (m, mode, wire) in enumerate(specs):
        sel = " ".join(x for x in names if rtl_module(x) == m)
        cmds.append(f"mutate -list 1 -seed {seed} -mode {mode} -wire {wire} -o {work / f'named_{i}.txt'} {sel}")
    yosys(f"read_rtlil {work / 'prep.il'}\n" + "\n".join(cmds) + "\n", work, "named")
    out: list[Mutant] = []
    for i, (m, mode, wire) in enumerate(specs):
        got = parse_list(work / f"named_{i}.txt", unit, m, len(out) + 1)
        if len(got) != 1:
            raise AccelscopeError(f"{unit.name}: no {mode} mutation of wire {wire} in {m}")
        out += got
    return out


def netlist(unit: Unit, work: Path, mutants: Sequence[Mutant], out: Path) -> Path:
    """Every mutant of `mutants` built into one netlist (`mutate -ctrl mutsel W i ...`), written
    with write_verilog and finished for simulation (finish_top)."""
    if len(mutants) >= 1 << MUTSEL_W:
        raise AccelscopeError(f"{unit.name}: {len(mutants)} mutants do not fit a {MUTSEL_W}-bit selector")
    raw = work / "netlist_raw.v"
    ctrl = "\n".join(m.command.replace("mutate ", f"mutate -ctrl mutsel {MUTSEL_W} {m.mutsel} ", 1) for m in mutants)
    yosys(f"read_rtlil {work / 'prep.il'}\n{ctrl}\nopt_clean\nwrite_verilog -noattr {raw}\n", work, "netlist")
    out.parent.mkdir(parents=True, exist_ok=True)
    text = finish_top(raw.read_text(), unit, top_params(work), bool(mutants))
    if not out.exists() or out.read_text() != text:  # unchanged: the builds stay warm
        out.write_text(text)
    return out


def finish_top(text: str, unit: Unit, params: Sequence[str], has_mutsel: bool) -> str:
    """The netlist's RTL top: its parameter list back (values the harness must pass: the unit's),
    and `mutsel` a variable from +MUTSEL instead of an input port."""
    head = re.compile(rf"^module {re.escape(unit.top)}\((.*?)\);\n", re.M | re.S)
    m = head.search(text)
    if m is None:
        raise AccelscopeError(f"{unit.name}: no module {unit.top} in the written netlist")
    ports = [p.strip() for p in m.group(1).replace("\n", " ").split(",") if p.strip() and p.strip() != "mutsel"]
    values = unit.params()
    decl = "".join(f"  parameter {p} = {values.get(p, 0)};  // accepted from the harness; the netlist is elaborated "
                   f"for {unit.config}\n" for p in params)
    check = " || ".join(f"{p} != {v}" for p, v in values.items() if p in params)
    guard = (f"  generate if ({check}) begin : g_params\n"
             "    mutant_netlist_elaborated_for_other_parameters illegal_parameter();\n"
             "  end endgenerate\n") if check else ""
    sel = ""
    if has_mutsel:
        sel = (f"  reg [{MUTSEL_W - 1}:0] mutsel;  // the active mutant, from +MUTSEL (0: none)\n"
               f"  initial begin\n    if (!$value$plusargs(\"MUTSEL=%d\", mutsel)) mutsel = {MUTSEL_W}'d0;\n  end\n")
    new_head = f"module {unit.top}({', '.join(ports)});\n{decl}{guard}{sel}"
    body_start, end = m.end(), text.index("endmodule", m.end())
    body = text[body_start:end]
    body = re.sub(rf"^\s*input \[{MUTSEL_W - 1}:0\] mutsel;\n", "", body, flags=re.M)
    body = re.sub(rf"^\s*wire \[{MUTSEL_W - 1}:0\] mutsel;\n", "", body, flags=re.M)
    return text[:m.start()] + new_head + body + text[end:]
