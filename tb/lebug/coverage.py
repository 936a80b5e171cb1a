"""Functional coverage model of LeBug (cocotb-coverage; bins in docs/lebug.md, "Functional
coverage"; the testplan in docs/verification.md).

`observe` turns one regression case (firmware, stream, the emulator's result) into a
plain `Sample`; `Model.sample` feeds it to the coverpoints. Names: `lebug.<group>.<item>`.
"""

from __future__ import annotations

from pymodel.lebug.config import LebugConfig
from pymodel.lebug.edges import EDGES, edges
from pymodel.lebug.emulator import EmulationResult, _Flags
from pymodel.lebug.isa import COND_NAMES, Firmware
from pymodel.lebug.randfw import LebugCase
from tb.regress import funcov
from tb.regress.funcov import Sample

ROOT = "lebug"
CONDITIONAL = ["vv_add", "vv_sub", "vv_mul", "vv_max", "v_cache", "v_commit"]
CONDITIONS = ["always", "first", "last", "notfirst", "notlast"]
LEVELS = ["eof0", "eof1"]
INSTRUCTIONS = ["vv_filter", "m_reduce_N", "m_reduce_M", "v_reduce", "v_mc_load", "vv_add", "vv_sub", "vv_mul",
                "vv_max", "v_cache", "v_mc_save", "v_commit"]
MC_PATHS = ["load", "save", "load_and_save_one_chain", "save_then_load_later_chain"]
MAX_CHAINS = 8  # the largest MAX_CHAINS of the regression's configurations (bins 1..8)
FILTER_ROWS = 4  # FU_ROWS of the regression's configurations


def _cond(code: int) -> str:
    return COND_NAMES[code] or "always"


def observe(cfg: LebugConfig, case: LebugCase, exp: EmulationResult) -> Sample:
    """What one case exercised, as plain values."""
    fw: Firmware = case.fw
    cond_uses: list[tuple[str, str, str]] = []  # (instruction, condition, level)
    units: set[str] = set()
    flags = _Flags(case.eof[exp.accepted])
    outcomes: set[tuple[str, str, str]] = set()
    filt: set[tuple[int, str | None]] = set()
    commits: set[str] = set()
    mc: set[str] = set()
    saved_before = False
    for ch in fw.chains:
        conds = []
        if ch.filt_row is not None:
            units |= {"vv_filter", f"m_reduce_{ch.mred}"}
            filt.add((ch.filt_row, ch.mred))
        if ch.vsru:
            units.add("v_reduce")
        if ch.mc_load:
            units.add("v_mc_load")
            mc.add("load")
            if saved_before:
                mc.add("save_then_load_later_chain")
        if ch.mc_save:
            units.add("v_mc_save")
            mc.add("save")
            if ch.mc_load:
                mc.add("load_and_save_one_chain")
        if ch.alu_op is not None:
            conds.append((f"vv_{ch.alu_op}", ch.alu_cond))
        if ch.cache_addr is not None:
            conds.append(("v_cache", ch.cache_cond))
        if ch.commit_size is not None:
            conds.append(("v_commit", ch.commit_cond))
            commits.add({1: "1", cfg.M: "M", cfg.N: "N"}[ch.commit_size])
        for instr, cond in conds:
            units.add(instr)
            for level, code in enumerate(cond):
                name = _cond(code)
                cond_uses.append((instr, name, LEVELS[level]))
                if name != "always" and flags.last.shape[1]:
                    one = [0, 0]
                    one[level] = code
                    held = flags.holds((one[0], one[1]))
                    if held.any():
                        outcomes.add((name, LEVELS[level], "held"))
                    if not held.all():
                        outcomes.add((name, LEVELS[level], "not_held"))
        saved_before = saved_before or ch.mc_save
    return {
        "cfg": "fixed" if cfg.fixed else "integer",
        "order": "vsru_first" if cfg.VSRU_FIRST else "alu_first",
        "chains": fw.num_chains,
        "chains_max": fw.num_chains == cfg.MAX_CHAINS,
        "units": sorted(units),
        "cond_uses": cond_uses,
        "outcomes": sorted(outcomes),
        "filter": sorted(filt),
        "commits": sorted(commits),
        "mc": sorted(mc),
        "drops": int(exp.status.drops) > 0,
        "wrap": int(exp.status.wrap) == 1,
        "rows": int(exp.status.rows),
        "pack_fill": int(exp.status.pack_fill) > 0,
        "program": "over_junk" if case.junk else "after_reset",
        "edges": edges(cfg, case, exp),
    }


class Model:
    """Every LeBug coverpoint and cross (a fresh database under `lebug`)."""

    def __init__(self) -> None:
        funcov.reset(ROOT)
        P, X = funcov.point, funcov.cross
        r = ROOT

        @P(f"{r}.instr.conditional", CONDITIONAL, rel=lambda s, b: s[0] == b)
        @P(f"{r}.instr.condition", CONDITIONS, rel=lambda s, b: s[1] == b)
        @P(f"{r}.instr.eof_level", LEVELS, rel=lambda s, b: s[2] == b)
        @X(f"{r}.instr.conditional_x_condition_x_eof_level",
           [f"{r}.instr.conditional", f"{r}.instr.condition", f"{r}.instr.eof_level"])
        def cond_use(use: tuple) -> None:
            pass

        @P(f"{r}.cond.outcome", [(c, lv, o) for c in CONDITIONS[1:] for lv in LEVELS for o in ("held", "not_held")],
           multi=True)
        def outcomes(values: set) -> None:
            pass

        @P(f"{r}.units.instruction", INSTRUCTIONS, multi=True)
        def units(values: set) -> None:
            pass

        @P(f"{r}.minicache.path", MC_PATHS, multi=True)
        def minicache(values: set) -> None:
            pass

        @P(f"{r}.commit.size", ["1", "M", "N"], multi=True)
        def commits(values: set) -> None:
            pass

        @P(f"{r}.filter.row", list(range(FILTER_ROWS)), rel=lambda s, b: s[0] == b)
        @P(f"{r}.filter.m_reduce", ["N", "M"], rel=lambda s, b: s[1] == b)
        @X(f"{r}.filter.row_x_m_reduce", [f"{r}.filter.row", f"{r}.filter.m_reduce"])
        def filt(f: tuple) -> None:
            pass

        @P(f"{r}.chains.count", list(range(1, MAX_CHAINS + 1)), rel=lambda s, b: s["chains"] == b)
        @P(f"{r}.chains.at_max_chains", [True], rel=lambda s, b: s["chains_max"] == b)
        @P(f"{r}.input_buffer.full_with_drops", [True, False], rel=lambda s, b: s["drops"] == b)
        @P(f"{r}.trace_buffer.wrap", [True, False], rel=lambda s, b: s["wrap"] == b)
        @P(f"{r}.packer.partial_row_left", [True, False], rel=lambda s, b: s["pack_fill"] == b)
        @P(f"{r}.program.state_before", ["after_reset", "over_junk"], rel=lambda s, b: s["program"] == b)
        @P(f"{r}.config.arithmetic", ["integer", "fixed"], rel=lambda s, b: s["cfg"] == b)
        @P(f"{r}.config.unit_order", ["alu_first", "vsru_first"], rel=lambda s, b: s["order"] == b)
        def case(s: dict) -> None:
            pass

        @P(f"{r}.edge.depth_x_side", EDGES, multi=True)
        def edge(hit: set) -> None:
            pass

        self._fns = (cond_use, outcomes, units, minicache, commits, filt, case, edge)

    def sample(self, s: Sample) -> None:
        cond_use, outcomes, units, minicache, commits, filt, case, edge = self._fns
        edge(set(s.get("edges", ())))
        for use in s["cond_uses"]:
            cond_use(tuple(use))
        outcomes(set(map(tuple, s["outcomes"])))
        units(set(s["units"]))
        minicache(set(s["mc"]))
        commits(set(s["commits"]))
        for f in s["filter"]:
            filt(tuple(f))
        case(s)
