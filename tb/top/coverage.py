"""Functional coverage model of accel_top (cocotb-coverage; bins in docs/top.md,
"Functional coverage"; the testplan in docs/verification.md).

A regression case (tb/regress/cases.py) is a random bundle replayed over APB or loaded by
backdoor, an access to an unmapped address (PSLVERR), a bundle that overflows the tap
FIFO, or a compiled network streamed in overlapped batches. `Model.sample` takes the plain `Sample` the case returns.
Names: `top.<group>.<item>`.
"""

from __future__ import annotations

from tb.regress import funcov
from tb.regress.funcov import Sample

ROOT = "top"
MODES = ["apb", "backdoor"]
# unmapped regions of the top-level map (tb/regress/cases.py, UNMAPPED builds an address in each)
REGIONS = ["sys_regs_gap", "sys_cmd_beyond_depth", "sys_gap_cmd_act", "sys_act_beyond_depth", "sys_past_out",
           "lebug_regs_gap", "lebug_chains_beyond_max", "lebug_thresh_beyond", "lebug_trace_beyond_depth",
           "lebug_past_trace", "top_regs_gap", "past_last_window", "misaligned"]
ACCESS = ["read", "write"]
# the regions with a mapped word just below them (tb/regress/cases.py last_legal_words)
LAST_LEGAL = ["sys_regs_gap", "sys_cmd_beyond_depth", "sys_act_beyond_depth", "sys_past_out", "lebug_regs_gap",
              "lebug_chains_beyond_max", "lebug_thresh_beyond", "lebug_trace_beyond_depth", "top_regs_gap"]
TAP_EDGE = ["last_legal", "one_past"]  # the tap FIFO held exactly TAP_DEPTH rows without a drop / dropped exactly one
LAYERS = ["1_layer", "2_layers", "3_layers"]
BUILDS = ["int32_lanes", "int16_lanes"]
ARRAYS = [2, 4, 8, 16]  # K of the regression's top builds (tb/regress/cases.py configs)
VECTORS = [1, 2, 4]  # LeBug vectors a row
BACKLOG = ["none", "some", "beyond"]  # LeBug's backlog at the end of a batch (pymodel.top.tapmodel.batch_backlog)
READBACK = ["per_batch", "final"]  # trace rows read after each batch (ROWS polled) or once at the end


class Model:
    """Every top-level coverpoint and cross (a fresh database under `top`)."""

    def __init__(self) -> None:
        funcov.reset(ROOT)
        P, X = funcov.point, funcov.cross
        r = ROOT

        @P(f"{r}.load.mode", MODES, rel=lambda s, b: s["mode"] == b)
        @P(f"{r}.load.lebug_build", BUILDS, rel=lambda s, b: s["build"] == b)
        @X(f"{r}.load.mode_x_lebug_build", [f"{r}.load.mode", f"{r}.load.lebug_build"])
        @P(f"{r}.stream.layer_eofs", LAYERS, rel=lambda s, b: s["layers"] == b)
        @P(f"{r}.stream.network_eof", [True], rel=lambda s, b: s["network_eof"] == b)
        @P(f"{r}.tap.fifo_full_with_drops", [True, False], rel=lambda s, b: s["drops"] == b)
        @P(f"{r}.tap.lebug_wrote_rows", [True, False], rel=lambda s, b: s["lebug_rows"] == b)
        def bundle(s: dict) -> None:
            pass

        @P(f"{r}.stream.array_k", ARRAYS, rel=lambda s, b: s["K"] == b)
        @P(f"{r}.stream.vectors_per_row", VECTORS, rel=lambda s, b: s["vectors_per_row"] == b)
        @P(f"{r}.stream.backlog", BACKLOG, multi=True, rel=lambda s, b: b in s["backlog"])
        @P(f"{r}.stream.drops", [True, False], rel=lambda s, b: s["drops"] == b)
        @P(f"{r}.stream.readback", READBACK, rel=lambda s, b: s["readback"] == b)
        @X(f"{r}.stream.backlog_x_readback", [f"{r}.stream.backlog", f"{r}.stream.readback"])
        def stream(s: dict) -> None:
            pass

        @P(f"{r}.pslverr.region", REGIONS, rel=lambda s, b: s[0] == b)
        @P(f"{r}.pslverr.access", ACCESS, rel=lambda s, b: s[1] == b)
        @X(f"{r}.pslverr.region_x_access", [f"{r}.pslverr.region", f"{r}.pslverr.access"])
        def unmapped(s: tuple) -> None:
            pass

        @P(f"{r}.map.id_registers_read", [True])
        def ids(read: bool) -> None:
            pass

        @P(f"{r}.map.first_word_past", REGIONS, multi=True)
        def first_words(hit: set) -> None:
            pass

        @P(f"{r}.map.last_legal_word", LAST_LEGAL, multi=True)
        def last_legal(hit: set) -> None:
            pass

        @P(f"{r}.tap.fifo_edge", TAP_EDGE, multi=True)
        def tap_edge(hit: set) -> None:
            pass

        self._fns = (bundle, unmapped, ids, stream, first_words, last_legal, tap_edge)

    def sample(self, s: Sample) -> None:
        bundle, unmapped, ids, stream, first_words, last_legal, tap_edge = self._fns
        tap_edge(set(s.get("tap_edge", ())))
        if s["kind"] == "unmapped":
            for region, access in s["accesses"]:
                unmapped((region, access))
            ids(bool(s.get("ids")))
            first_words(set(s.get("first_words", ())))
            last_legal(set(s.get("last_legal", ())))
        elif s["kind"] == "stream":
            stream(s)
        else:
            bundle(s)
