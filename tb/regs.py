"""`make regs`: generate every consumer of the register descriptions.

Each block has one description, rtl/<dir>/<name>.rdl (SystemRDL 2.0, read with
systemrdl-compiler). From it this writes, all committed:

  rtl/<dir>/<name>_regs.vh    Verilog localparams, included inside the block's module
  pymodel/<dir>/regs.py       the same constants for the Python models and decoders
  sw/<name>_regs.h            C header (peakrdl-cheader)
  docs/regs/<name>.md         register and encoding tables (peakrdl-markdown)

Names: <BLOCK>_<REG>_ADDR and _RESET for a register, <BLOCK>_<REG>_<FIELD>_LSB and _W for
its fields, <BLOCK>_<MEM>_BASE, _SIZE and _ENTRY_BYTES for a memory window, the fields of
a memory's entry layout (LeBug's chain word, the systolic descriptor, the QUANT lane word)
as <BLOCK>_<ENTRY>_<FIELD>_LSB/_W, an enumeration value as <BLOCK>_<ENUM>_<VALUE>, and
for the top level each block window as <BLOCK>_<WINDOW>_BASE/_SIZE.

    python -m tb.regs [--out DIR] [--root DIR]

--out writes the same tree under DIR instead of in place (the freshness test compares
it with the committed files); --root reads the descriptions of another checkout.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from systemrdl import RDLCompileError, RDLCompiler
from systemrdl.node import AddrmapNode, FieldNode, MemNode, RegNode

from pymodel.errors import AccelscopeError
from pymodel.fileio import write_text

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Description:
    """One block's description and the files generated from it (paths from the repository root)."""

    name: str  # addrmap name = file stem, e.g. lebug, accel_top
    dir: str  # rtl/<dir> and pymodel/<dir>

    @property
    def rdl(self) -> str:
        return f"rtl/{self.dir}/{self.name}.rdl"

    def outputs(self) -> dict[str, str]:
        return {"vh": f"rtl/{self.dir}/{self.name}_regs.vh", "py": f"pymodel/{self.dir}/regs.py",
                "h": f"sw/{self.name}_regs.h", "md": f"docs/regs/{self.name}.md"}


DESCRIPTIONS = (Description("lebug", "lebug"), Description("systolic", "systolic"), Description("accel_top", "top"))
INCLUDE_DIRS = ("rtl/lebug", "rtl/systolic", "rtl/top")


# --- the neutral model ---------------------------------------------------------------
@dataclass
class Field_:
    name: str
    lsb: int
    width: int
    reset: int | None
    enum: str | None  # enumeration type name (without _e)


@dataclass
class Layout:
    """A register (with an address) or a memory entry's layout (address None)."""

    name: str
    addr: int | None
    width: int
    fields: list[Field_]

    @property
    def reset(self) -> int | None:
        total = 0
        for f in self.fields:
            if f.reset is None:
                return None
            total += f.reset << f.lsb
        return total


@dataclass
class Window:
    name: str
    base: int
    size: int
    entry_bytes: int = 0  # memories only


@dataclass
class Model:
    block: str
    regs: list[Layout] = field(default_factory=list)
    mems: list[Window] = field(default_factory=list)
    entries: list[Layout] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)
    enums: dict[str, list[tuple[str, int, str]]] = field(default_factory=dict)  # name, code, meaning


def _enum_name(t: type) -> str:
    n = t.type_name if hasattr(t, "type_name") else t.__name__
    return (n[:-2] if n.endswith("_e") else n).upper()


def _fields(reg: RegNode, m: Model) -> list[Field_]:
    out = []
    for f in reg.fields():
        assert isinstance(f, FieldNode)
        enum = f.get_property("encode")
        ename = None
        if enum is not None:
            ename = _enum_name(enum)
            m.enums.setdefault(ename, [(e.name, e.value, e.rdl_desc or "") for e in enum])
        reset = f.get_property("reset")
        if reset is not None and not isinstance(reset, int):
            raise AccelscopeError(f"{f.inst_name}: reset must be a literal integer, not a reference")
        out.append(Field_(f.inst_name, f.lsb, f.width, reset, ename))
    return out


def collect(top: AddrmapNode) -> Model:
    """Registers, memory windows, entry layouts, enumerations (and windows for a map of blocks)."""
    m = Model(top.inst_name)
    for child in top.children():
        if isinstance(child, RegNode):
            m.regs.append(Layout(child.inst_name, child.address_offset, child.size * 8, _fields(child, m)))
        elif isinstance(child, MemNode):
            m.mems.append(Window(child.inst_name, child.address_offset, child.size,
                                 child.get_property("memwidth") // 8))
            for vreg in child.children():
                if isinstance(vreg, RegNode):
                    m.entries.append(Layout(vreg.inst_name, None, vreg.get_property("regwidth"), _fields(vreg, m)))
        elif isinstance(child, AddrmapNode):
            size = child.get_property("window_size")
            if not size or size & (size - 1) or size < child.size or child.address_offset % size:
                raise AccelscopeError(f"{top.inst_name}.{child.inst_name}: window_size must be a power of 2 "
                                      f">= {child.size:#x} that aligns the window's base")
            m.windows.append(Window(child.inst_name, child.address_offset, size))
            if isinstance(child, AddrmapNode) and not any(isinstance(c, AddrmapNode) for c in child.children()) \
                    and child.inst_name == "TOP":
                for reg in child.registers():
                    m.regs.append(Layout(reg.inst_name, child.address_offset + reg.address_offset, reg.size * 8,
                                         _fields(reg, m)))
    return m


# --- writers -------------------------------------------------------------------------
def _vh(m: Model, src: str) -> str:
    p = m.block.upper()
    out = [f"// Generated by tb/regs.py from {src} (make regs): do not edit.",
           "// Included inside the module body: addresses, reset values, field offsets and widths.",
           "/* verilator lint_off UNUSEDPARAM */"]

    def fields(prefix: str, fs: list[Field_]) -> None:
        for f in fs:
            out.append(f"localparam {prefix}_{f.name.upper()}_LSB = {f.lsb};")
            out.append(f"localparam {prefix}_{f.name.upper()}_W = {f.width};")

    for r in m.regs:
        out.append(f"// register {r.name}")
        out.append(f"localparam [31:0] {p}_{r.name}_ADDR = 32'h{r.addr:08x};")
        if r.reset is not None:
            out.append(f"localparam [31:0] {p}_{r.name}_RESET = 32'h{r.reset:08x};")
        fields(f"{p}_{r.name}", r.fields)
    if m.regs:
        end = max(r.addr for r in m.regs if r.addr is not None) + 4
        out.append("// one past the last register")
        out.append(f"localparam [31:0] {p}_REGS_END = 32'h{end:08x};")
    for w in m.mems + m.windows:
        out.append(f"// {'memory' if w in m.mems else 'window'} {w.name}")
        out.append(f"localparam [31:0] {p}_{w.name}_BASE = 32'h{w.base:08x};")
        out.append(f"localparam [31:0] {p}_{w.name}_SIZE = 32'h{w.size:08x};")
        if w.entry_bytes:
            out.append(f"localparam {p}_{w.name}_ENTRY_BYTES = {w.entry_bytes};")
    for e in m.entries:
        out.append(f"// entry layout {e.name} ({e.width} bits)")
        out.append(f"localparam {p}_{e.name}_BITS = {e.width};")
        fields(f"{p}_{e.name}", e.fields)
    for ename, values in m.enums.items():
        width = max(1, max(v for _, v, _ in values).bit_length())
        out.append(f"// enumeration {ename}")
        for n, v, _ in values:
            out.append(f"localparam [{width - 1}:0] {p}_{ename}_{n.upper()} = {width}'d{v};")
    out.append("/* verilator lint_on UNUSEDPARAM */")
    return "\n".join(out) + "\n"


def _py(m: Model, src: str) -> str:
    def layout(items: list[Layout]) -> str:
        rows = []
        for r in items:
            inner = ", ".join(f"{f.name!r}: ({f.lsb}, {f.width})" for f in r.fields)
            rows.append(f"    {r.name!r}: {{{inner}}},")
        return "\n".join(rows)

    regs = "\n".join(f"    {r.name!r}: {r.addr:#08x}," for r in m.regs)
    resets = "\n".join(f"    {r.name!r}: {r.reset:#010x}," for r in m.regs if r.reset is not None)
    mems = "\n".join(f"    {w.name!r}: ({w.base:#08x}, {w.size:#08x}, {w.entry_bytes})," for w in m.mems)
    wins = "\n".join(f"    {w.name!r}: ({w.base:#08x}, {w.size:#08x})," for w in m.windows)
    widths = "\n".join(f"    {e.name!r}: {e.width}," for e in m.entries)
    enums = "\n".join(f"    {k!r}: {{{', '.join(f'{n!r}: {v}' for n, v, _ in vals)}}},"
                      for k, vals in m.enums.items())
    meanings = "\n".join(f"    {k!r}: {{{', '.join(f'{v}: {d!r}' for _, v, d in vals)}}},"
                         for k, vals in m.enums.items())
    return f'''"""Generated by tb/regs.py from {src} (make regs): do not edit."""

# register -> byte address
ADDR: dict[str, int] = {{
{regs}
}}
# one past the last register
REGS_END = {max(r.addr or 0 for r in m.regs) + 4 if m.regs else 0:#x}
# register -> reset value (registers whose every field has one)
RESET: dict[str, int] = {{
{resets}
}}
# register -> field -> (lsb, width)
FIELDS: dict[str, dict[str, tuple[int, int]]] = {{
{layout(m.regs)}
}}
# memory window -> (base, size in bytes, bytes per entry)
MEMS: dict[str, tuple[int, int, int]] = {{
{mems}
}}
# memory entry layout -> field -> (lsb, width)
ENTRIES: dict[str, dict[str, tuple[int, int]]] = {{
{layout(m.entries)}
}}
# memory entry layout -> bits
ENTRY_BITS: dict[str, int] = {{
{widths}
}}
# block window -> (base, size in bytes)
WINDOWS: dict[str, tuple[int, int]] = {{
{wins}
}}
# enumeration -> value name -> code
ENUMS: dict[str, dict[str, int]] = {{
{enums}
}}
# enumeration -> code -> meaning
ENUM_MEANINGS: dict[str, dict[int, str]] = {{
{meanings}
}}
'''


def _md_enums(m: Model) -> str:
    """The enumerations' codes (peakrdl-markdown shows fields, not their encodings)."""
    if not m.enums:
        return ""
    users: dict[str, list[str]] = {}
    for r in m.regs + m.entries:
        for f in r.fields:
            if f.enum:
                users.setdefault(f.enum, []).append(f"{r.name}.{f.name}")
    out = ["## Enumerations", ""]
    for name, values in m.enums.items():
        out += [f"### {name}", "", f"Fields: {', '.join(users.get(name, []))}", "", "| code | name | meaning |",
                "|------|------|---------|"]
        out += [f"| {v} | {n} | {d} |" for n, v, d in values]
        out.append("")
    return "\n".join(out)


def compile_description(root: Path, d: Description) -> AddrmapNode:
    rdlc = RDLCompiler()
    try:
        rdlc.compile_file(str(root / d.rdl), incl_search_paths=[str(root / i) for i in INCLUDE_DIRS])
        return rdlc.elaborate(top_def_name=d.name).top
    except RDLCompileError as exc:
        raise AccelscopeError(f"{d.rdl}: SystemRDL errors (printed above)") from exc


def generate(root: Path, out: Path, only: tuple[Description, ...] = DESCRIPTIONS) -> list[Path]:
    """Write every generated file of `only` under out; returns the paths written."""
    from peakrdl_cheader.exporter import CHeaderExporter
    from peakrdl_markdown import MarkdownExporter

    written: list[Path] = []
    for d in only:
        top = compile_description(root, d)
        model = collect(top)
        o = {k: out / v for k, v in d.outputs().items()}
        for p in o.values():
            p.parent.mkdir(parents=True, exist_ok=True)
        write_text(o["vh"], _vh(model, d.rdl))
        write_text(o["py"], _py(model, d.rdl))
        with tempfile.TemporaryDirectory() as tmp:
            h = Path(tmp) / o["h"].name
            CHeaderExporter().export(top, str(h), wide_reg_subword_size=32)
            write_text(o["h"], h.read_text().replace(str(root) + "/", ""))
            md = Path(tmp) / o["md"].name
            MarkdownExporter().export(top, str(md), input_files=[d.rdl], depth=2 if model.windows else 0)
            write_text(o["md"], md.read_text() + _md_enums(model))
        written += o.values()
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tb.regs", description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None, help="write the generated tree under DIR (default: in place)")
    ap.add_argument("--root", type=Path, default=ROOT, help="checkout whose descriptions to read")
    a = ap.parse_args(argv)
    try:
        for p in generate(a.root, a.out or a.root):
            print(f"accelscope: wrote {p}")
    except AccelscopeError as exc:
        print(f"accelscope: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
