"""Waveforms a person can read: `make sim TEST=... WAVES=1` keeps the run's FST in
sim_build/waves/<test>/ with a GTKWave save file (waves.gtkw) and zoom.tcl, which
`make waves TEST=...` opens. Lanes are shown one trace each as signed decimals (the
harnesses' `lane[i]` viewer taps), control bits in binary, state registers by their state
names (a GTKWave translate filter file made from the RTL's `S_*` localparams), the view
zoomed on the RUN phase (where the data flows), not on programming or read-back."""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pymodel.errors import AccelscopeError
from tb.job import CLK_NS, JobResult

# GTKWave trace flags (hex after '@'): right-justified binary, hex, signed decimal; hex through a
# translate filter file (TR_FTRANSLATED, 1 << 13)
BIN, HEX, SDEC, NAMED = "28", "22", "424", "2022"
GROUP = "200"
STATE = re.compile(r"\b(S_[A-Z0-9_]+)\s*=\s*\d+'[dD](\d+)")  # a state localparam: S_NAME = W'dV


@dataclass(frozen=True)
class Trace:
    path: str  # below the harness instance, e.g. "dut.u_seq.state" or "lane[3].in_x"
    width: int = 1
    fmt: str = ""  # BIN, HEX or SDEC; default: BIN for 1 bit, HEX otherwise
    alias: str = ""  # the name shown (default: the signal's)
    states: Path | None = None  # a Verilog file whose S_* localparams name this register's values


def state_names(src: Path) -> dict[int, str]:
    """Value -> name of the `S_*` state localparams in a Verilog file (the prefix dropped)."""
    names = {int(v): n.removeprefix("S_") for n, v in STATE.findall(src.read_text())}
    if not names:
        raise AccelscopeError(f"--waves: no S_* state localparams in {src}")
    return names


JOB_ENGINE = Path(__file__).resolve().parent / "common" / "job_engine.v"  # the harnesses' job FSM (u_job)


def job_state() -> Trace:
    """The harness job engine's state, by name."""
    return Trace("u_job.state", 4, states=JOB_ENGINE)


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
    filters: dict[Path, str] = {}  # RTL file -> "^<number> <its translate filter file>" (numbered from 1)
    for group, traces in groups.items():
        lines += [f"@{GROUP}", f"-{group}"]
        for t in traces:
            fmt = t.fmt or (BIN if t.width == 1 else HEX)
            name = f"{top}.{t.path}" + (f"[{t.width - 1}:0]" if t.width > 1 else "")
            if t.states is not None:
                if t.states not in filters:
                    f = out / f"states_{t.states.stem}.txt"
                    f.write_text("".join(f"{v:x} {n}\n" for v, n in sorted(state_names(t.states).items())))
                    filters[t.states] = f"^{len(filters) + 1} {f}"
                lines += [f"@{NAMED}", filters[t.states]]
            else:
                lines.append(f"@{fmt}")
            lines.append(f"+{{{t.alias}}} {name}" if t.alias else name)
    (out / "waves.gtkw").write_text("\n".join(lines) + "\n")
    # times in the dump's unit (1 ps: the builds' 1ns/1ps timescale)
    (out / "zoom.tcl").write_text(f"gtkwave::setZoomRangeTimes {t0 * 1000} {t1 * 1000}\n")
    return dst
