"""Functional coverage model of the systolic block (cocotb-coverage; bins in docs/systolic.md,
"Functional coverage"; the testplan in docs/verification.md).

`observe` turns one regression case (descriptors, images, the model's result) into a plain
`Sample`; `Model.sample` feeds it to the coverpoints. Names: `systolic.<group>.<item>`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping, Sequence

import numpy as np

from pymodel.systolic.config import SystolicConfig
from pymodel.systolic import regs
from pymodel.systolic.descriptor import Descriptor
from pymodel.systolic.model import RunResult, _gemm, _regions, full_memories, unpack_quant
from tb.regress import funcov
from tb.regress.funcov import Sample

ROOT = "systolic"
M_VS_K = ["M<K", "M=K", "M>K"]
MULTIPLE = ["multiple_of_K", "not_multiple_of_K"]
TILES = ["single_tile", "multiple_K_tiles", "multiple_N_tiles"]
FLAGS = [(a, b, r, i) for a in (0, 1) for b in (0, 1) for r in (0, 1) for i in (0, 1)]
FLAG_LABELS = ["".join(n for n, on in zip(("ACC+", "BIAS+", "RELU+", "INT8+"), f) if on).rstrip("+") or "none"
               for f in FLAGS]
ERR_CODES = list(range(1, 9))
ERR_LABELS = {code: name for name, code in regs.ENUMS["ERR"].items()}  # 1 -> SHAPE, ... (systolic.rdl)
JOB_KINDS = ["single_descriptor", "independent_layers", "chained_through_ACT"]
REQUANT = ["shift_0", "shift_31", "saturate_high", "saturate_low", "rounding_tie"]


def _shape(d: Descriptor, K: int) -> dict:
    kt, nt = d.kt(K), d.nt(K)
    return {"m": "M<K" if d.m < K else ("M=K" if d.m == K else "M>K"),
            "kd": MULTIPLE[d.kd % K != 0], "n": MULTIPLE[d.n % K != 0],
            "tiles": [t for t, on in zip(TILES, (kt == 1 and nt == 1, kt > 1, nt > 1)) if on],
            "flags": (int(d.acc), int(d.bias), int(d.relu), int(d.int8))}


def _requant_edges(cfg: SystolicConfig, descs: Sequence[Descriptor], images: Mapping[str, np.ndarray],
                   upto: int) -> set[str]:
    """Which requantization edges the int8 descriptors 0..upto-1 reach, on the values the
    model feeds the requantizer (the descriptors run in order, as in model.run)."""
    K = cfg.K
    mems = full_memories(cfg, images)
    hit: set[str] = set()
    for d in descs[:upto]:
        reg = _regions(d, K)
        if d.int8:
            y = _gemm(cfg, replace(d, int8=False), mems)[:, : d.n]  # the int32 value after ReLU
            mult, shift = unpack_quant(mems["quant"][reg["bq"]].reshape(d.nt(K) * K))
            mult, shift = mult[None, : d.n], shift[None, : d.n]
            prod = y * mult
            rnd = np.where(shift > 0, np.left_shift(np.int64(1), np.maximum(shift - 1, 0)), 0)
            q = (prod + rnd) >> shift
            if (shift == 0).any():
                hit.add("shift_0")
            if (shift == 31).any():
                hit.add("shift_31")
            if (q > 127).any():
                hit.add("saturate_high")
            if (q < -128).any():
                hit.add("saturate_low")
            low = prod & ((np.left_shift(np.int64(1), shift)) - 1)
            if ((shift > 0) & (low == rnd)).any():
                hit.add("rounding_tie")
        res = _gemm(cfg, d, mems)
        words = res.reshape(d.m, d.nt(K), K)
        if d.int8:
            mems["act"][reg["d"]] = words
        else:
            mems["out"][reg["c"]] = words
    return hit


def _chained(descs: Sequence[Descriptor], K: int) -> bool:
    """Some descriptor reads ACT words an earlier int8 descriptor wrote."""
    written: set[int] = set()
    for d in descs:
        reg = _regions(d, K)
        if written & set(reg["a"].ravel().tolist()):
            return True
        if d.int8:
            written |= set(reg["d"].ravel().tolist())
    return False


def observe(cfg: SystolicConfig, descs: Sequence[Descriptor], images: Mapping[str, np.ndarray],
            exp: RunResult) -> Sample:
    K = cfg.K
    ran = list(descs) if not exp.error else list(descs)[: exp.err_desc]
    kind = "single_descriptor" if len(ran) <= 1 else ("chained_through_ACT" if _chained(ran, K)
                                                       else "independent_layers")
    return {"descs": [_shape(d, K) for d in ran], "error": int(exp.error), "kind": kind,
            "requant": sorted(_requant_edges(cfg, descs, images, len(ran)))}


APB_MEMS = ["cmd", "act", "wgt", "bias", "quant", "out"]  # memory windows read over APB after a run


class Model:
    """Every systolic coverpoint and cross (a fresh database under `systolic`)."""

    def __init__(self) -> None:
        funcov.reset(ROOT)
        P, X = funcov.point, funcov.cross
        r = ROOT

        @P(f"{r}.shape.m_vs_K", M_VS_K, rel=lambda s, b: s["m"] == b)
        @P(f"{r}.shape.kd", MULTIPLE, rel=lambda s, b: s["kd"] == b)
        @P(f"{r}.shape.n", MULTIPLE, rel=lambda s, b: s["n"] == b)
        @X(f"{r}.shape.m_vs_K_x_kd_x_n", [f"{r}.shape.m_vs_K", f"{r}.shape.kd", f"{r}.shape.n"])
        @P(f"{r}.shape.tiles", TILES, rel=lambda s, b: b in s["tiles"], multi=True)
        @P(f"{r}.flags.combination", FLAGS, labels=FLAG_LABELS, rel=lambda s, b: s["flags"] == b)
        def desc(s: dict) -> None:
            pass

        @P(f"{r}.check.error_code", ERR_CODES, labels=[f"{c}_{ERR_LABELS[c]}" for c in ERR_CODES])
        def error(code: int) -> None:
            pass

        @P(f"{r}.job.kind", JOB_KINDS)
        def kind(k: str) -> None:
            pass

        @P(f"{r}.requant.edge", REQUANT, multi=True)
        def requant(edges: set) -> None:
            pass

        @P(f"{r}.apb.memory_read", APB_MEMS, multi=True)
        def apb_reads(names: set) -> None:
            pass

        self._fns = (desc, error, kind, requant, apb_reads)

    def sample(self, s: Sample) -> None:
        desc, error, kind, requant, apb_reads = self._fns
        apb_reads(set(s.get("apb_reads", ())))
        for d in s["descs"]:
            desc({**d, "flags": tuple(d["flags"])})
        if s["error"]:
            error(s["error"])
        kind(s["kind"])
        requant(set(s["requant"]))
