"""Waveforms a person can read: `make sim TEST=... WAVES=1` keeps the run's FST in
sim_build/waves/<test>/ with a GTKWave save file (waves.gtkw) and zoom.tcl, which
`make waves TEST=...` opens. Lanes are shown one trace each as signed decimals (the
harnesses' `lane[i]` viewer taps), control bits in binary, the view zoomed on the RUN
phase (where the data flows), not on programming or read-back."""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pymodel.errors import AccelscopeError
from tb.job import CLK_NS, JobResult

# GTKWave trace flags (hex after '@'): right-justified binary, hex, signed decimal
BIN, HEX, SDEC = "28", "22", "424"
GROUP = "200"


@dataclass(frozen=True)
class Trace:
    path: str  # below the harness instance, e.g. "dut.u_seq.state" or "lane[3].in_x"
    width: int = 1
    fmt: str = ""  # BIN, HEX or SDEC; default: BIN for 1 bit, HEX otherwise
    alias: str = ""  # the name shown (default: the signal's)


def lanes(name: str, count: int, width: int, label: str) -> list[Trace]:
    """One signed-decimal trace per lane of a harness viewer tap lane[i].<name>, shown as '<label> <i>'."""
    return [Trace(f"lane[{i}].{name}", width, SDEC, f"{label} {i}") for i in range(count)]


def dump_file(sim: str, build_dir: Path, work: Path, toplevel: str) -> Path:
    """Where the simulator wrote the FST: Icarus beside the build (cocotb's dump module),
    Verilator in the test directory."""
    f = build_dir / f"{toplevel}.fst" if sim == "icarus" else work / "dump.fst"
    if not f.exists():
        raise AccelscopeError(f"--waves: the {sim} run wrote no {f}")
    return f


def write_view(out: Path, fst: Path, sim: str, toplevel: str, groups: Mapping[str, Sequence[Trace]],
               result: JobResult, margin_cycles: int = 20) -> Path:
    """Copy the FST into `out` and write waves.gtkw and zoom.tcl beside it; returns the FST."""
    out.mkdir(parents=True, exist_ok=True)
    dst = out / "waves.fst"
    if fst.resolve() != dst.resolve():
        shutil.copyfile(fst, dst)
    top = toplevel  # both simulators dump the harness as a top-level scope
    start, end = result.run_window
    t0 = max(0, (start - margin_cycles) * CLK_NS)
    t1 = (end + margin_cycles) * CLK_NS
    lines = [f'[dumpfile] "{dst}"', f'[savefile] "{out / "waves.gtkw"}"', f"[timestart] {t0 * 1000}",
             "[size] 1600 1000"]
    for group, traces in groups.items():
        lines += [f"@{GROUP}", f"-{group}"]
        for t in traces:
            fmt = t.fmt or (BIN if t.width == 1 else HEX)
            name = f"{top}.{t.path}" + (f"[{t.width - 1}:0]" if t.width > 1 else "")
            lines += [f"@{fmt}", f"+{{{t.alias}}} {name}" if t.alias else name]
    (out / "waves.gtkw").write_text("\n".join(lines) + "\n")
    # times in the dump's unit (1 ps: the builds' 1ns/1ps timescale)
    (out / "zoom.tcl").write_text(f"gtkwave::setZoomRangeTimes {t0 * 1000} {t1 * 1000}\n")
    return dst
