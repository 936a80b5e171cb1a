"""Functional coverage model of the systolic block (cocotb-coverage; bins in docs/systolic.md,
"Functional coverage"; the testplan in docs/verification.md).

`observe` turns one regression case (descriptors, images, the model's result) into a plain
`Sample`; `Model.sample` feeds it to the coverpoints. Names: `systolic.<group>.<item>`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from pymodel.systolic import regs
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.descriptor import OP_CONV, OP_GEMM, OP_NAMES, OP_POOL, OPS, Descriptor
from pymodel.systolic.edges import LIMITS, PAIRS, SIDES, edges, pairs
from pymodel.systolic.model import RunResult, _regions, descriptor_words, full_memories, store, unpack_quant
from tb.regress import funcov
from tb.regress.funcov import Sample

ROOT = "systolic"
M_VS_K = ["M<K", "M=K", "M>K"]
MULTIPLE = ["multiple_of_K", "not_multiple_of_K"]
TILES = ["single_tile", "multiple_K_tiles", "multiple_N_tiles"]
FLAGS = [(a, b, r, i) for a in (0, 1) for b in (0, 1) for r in (0, 1) for i in (0, 1)]
FLAG_LABELS = ["".join(n for n, on in zip(("ACC+", "BIAS+", "RELU+", "INT8+"), f) if on).rstrip("+") or "none"
               for f in FLAGS]
ERR_CODES = sorted(c for c in regs.ENUMS["ERR"].values() if c)  # 1..9
ERR_LABELS = {code: name for name, code in regs.ENUMS["ERR"].items()}  # 1 -> SHAPE, ... (systolic.rdl)
JOB_KINDS = ["single_descriptor", "independent_layers", "chained_through_ACT"]
REQUANT = ["shift_0", "shift_31", "saturate_high", "saturate_low", "rounding_tie"]
OP_KINDS = [OP_NAMES[o] for o in OPS]
CONV_INPUT = ["packed", "channel_tiled"]
CONV_KERNEL = ["1", "2-3", "4-5", "6-7"]  # max(kh, kw)
CONV_STRIDE = ["1", "2", ">2"]  # max(stride_h, stride_w)
CONV_PADDING = ["none", "top_left", "bottom_right"]  # pad_t/pad_l; windows reaching past the input
CONV_BLOCKS = ["one_block", "several_blocks"]  # output-row blocks per image (blk_rows < out_h)
CONV_FUSED_POOL = ["none", "2", "3", "4"]  # the CONV's fused max-pooling (pool field)
POOL_SIZE = ["1", "2", "3", "4"]
OUT8_OPS = [OP_NAMES[OP_GEMM], OP_NAMES[OP_CONV]]  # the ops an OUT8 descriptor can be (INT8 rows to OUT)
POOL_CT = ["one_channel_tile", "several_channel_tiles"]


def _conv(d: Descriptor, K: int) -> dict:
    kmax, smax = max(d.kh, d.kw), max(d.stride_h, d.stride_w)
    bottom = (d.out_h - 1) * d.stride_h + d.kh - d.pad_t > d.in_h
    right = (d.out_w - 1) * d.stride_w + d.kw - d.pad_l > d.in_w
    pad = [p for p, on in zip(CONV_PADDING, (not (d.pad_t or d.pad_l or bottom or right), bool(d.pad_t or d.pad_l),
                                              bottom or right)) if on]
    return {"input": CONV_INPUT[int(d.tiled)], "kernel": CONV_KERNEL[kmax // 2] if kmax > 1 else "1",
            "stride": "1" if smax == 1 else ("2" if smax == 2 else ">2"), "padding": pad,
            "blocks": CONV_BLOCKS[d.blk_rows < d.out_h], "fused_pool": str(d.pool) if d.pool else "none"}


def _pool(d: Descriptor, K: int) -> dict:
    return {"kernel": str(max(d.kh, d.kw)), "stride": str(max(d.stride_h, d.stride_w)),
            "tiles": POOL_CT[d.ct(K) > 1]}


def _shape(d: Descriptor, K: int) -> dict:
    """The descriptor's op, its flags and its op's items (GEMM: shape classes; CONV, POOL: geometry)."""
    base = {"op": OP_NAMES[d.op], "flags": (int(d.acc), int(d.bias), int(d.relu), int(d.int8)), "out8": d.out8}
    if d.op == OP_CONV:
        return {**base, "conv": _conv(d, K)}
    if d.op == OP_POOL:
        return {**base, "pool": _pool(d, K)}
    assert d.op == OP_GEMM
    kt, nt = d.kt(K), d.nt(K)
    return {**base, "m": "M<K" if d.m < K else ("M=K" if d.m == K else "M>K"),
            "kd": MULTIPLE[d.kd % K != 0], "n": MULTIPLE[d.n % K != 0],
            "tiles": [t for t, on in zip(TILES, (kt == 1 and nt == 1, kt > 1, nt > 1)) if on]}


def _requant_edges(cfg: SystolicConfig, descs: Sequence[Descriptor], images: Mapping[str, np.ndarray],
                   upto: int) -> set[str]:
    """Which requantization edges the int8 descriptors 0..upto-1 reach, on the values the
    model feeds the requantizer (the descriptors run in order, as in model.run)."""
    K = cfg.K
    mems = full_memories(cfg, images)
    hit: set[str] = set()
    for d in descs[:upto]:
        reg = _regions(d, K)
        if d.int8 and d.op != OP_POOL:
            # after ReLU (a fused pool pools the requantized values: the requantizer sees every conv row)
            y = descriptor_words(cfg, replace(d, int8=False, pool=0), mems).reshape(d.rows, -1)[:, : d.n]
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
        store(d, K, mems, descriptor_words(cfg, d, mems))
    return hit


def _chained(descs: Sequence[Descriptor], K: int) -> bool:
    """Some descriptor reads ACT words an earlier int8 descriptor wrote (OUT8 ones write OUT)."""
    written: set[int] = set()
    for d in descs:
        reg = _regions(d, K)
        if written & set(reg["a"].ravel().tolist()):
            return True
        if d.writes_act:
            written |= set(reg["d"].ravel().tolist())
    return False


def observe(cfg: SystolicConfig, descs: Sequence[Descriptor], images: Mapping[str, np.ndarray],
            exp: RunResult, first: int = 0) -> Sample:
    """`first`: the CMD slot of descs[0] (exp.err_desc counts CMD slots)."""
    K = cfg.K
    ran = list(descs) if not exp.error else list(descs)[: exp.err_desc - first]
    kind = "single_descriptor" if len(ran) <= 1 else ("chained_through_ACT" if _chained(ran, K)
                                                       else "independent_layers")
    checked = list(descs)[: len(ran) + (1 if exp.error else 0)]  # the ones that ran and the one CHECK stopped
    return {"descs": [_shape(d, K) for d in ran], "error": int(exp.error), "kind": kind,
            "requant": sorted(_requant_edges(cfg, descs, images, len(ran))),
            "edges": sorted({e for d in checked for e in edges(cfg, d)}),
            "pairs": sorted({p for d in checked for p in pairs(d)})}


EDGE_BINS = [f"{lim}:{side}" for lim in LIMITS for side in SIDES]  # pymodel.systolic.edges
APB_MEMS = ["cmd", "act", "wgt", "bias", "quant", "out"]  # memory windows read over APB after a run
APB_WHILE_BUSY = ["waited"]  # ACT/OUT traffic during a run in which a transfer waited (PREADY low)


class Model:
    """Every systolic coverpoint and cross (a fresh database under `systolic`)."""

    def __init__(self) -> None:
        funcov.reset(ROOT)
        P, X = funcov.point, funcov.cross
        r = ROOT

        @P(f"{r}.op.kind", OP_KINDS, rel=lambda s, b: s["op"] == b)
        @P(f"{r}.flags.combination", FLAGS, labels=FLAG_LABELS, rel=lambda s, b: s["flags"] == b)
        def op(s: dict) -> None:
            pass

        @P(f"{r}.shape.m_vs_K", M_VS_K, rel=lambda s, b: s["m"] == b)
        @P(f"{r}.shape.kd", MULTIPLE, rel=lambda s, b: s["kd"] == b)
        @P(f"{r}.shape.n", MULTIPLE, rel=lambda s, b: s["n"] == b)
        @X(f"{r}.shape.m_vs_K_x_kd_x_n", [f"{r}.shape.m_vs_K", f"{r}.shape.kd", f"{r}.shape.n"])
        @P(f"{r}.shape.tiles", TILES, rel=lambda s, b: b in s["tiles"], multi=True)
        def gemm(s: dict) -> None:
            pass

        @P(f"{r}.conv.input", CONV_INPUT, rel=lambda s, b: s["input"] == b)
        @P(f"{r}.conv.kernel", CONV_KERNEL, rel=lambda s, b: s["kernel"] == b)
        @P(f"{r}.conv.stride", CONV_STRIDE, rel=lambda s, b: s["stride"] == b)
        @P(f"{r}.conv.padding", CONV_PADDING, rel=lambda s, b: b in s["padding"], multi=True)
        @P(f"{r}.conv.blocks", CONV_BLOCKS, rel=lambda s, b: s["blocks"] == b)
        @P(f"{r}.conv.fused_pool", CONV_FUSED_POOL, rel=lambda s, b: s.get("fused_pool", "none") == b)
        def conv(s: dict) -> None:
            pass

        @P(f"{r}.pool.kernel", POOL_SIZE, rel=lambda s, b: s["kernel"] == b)
        @P(f"{r}.pool.stride", POOL_SIZE, rel=lambda s, b: s["stride"] == b)
        @P(f"{r}.pool.channel_tiles", POOL_CT, rel=lambda s, b: s["tiles"] == b)
        def pool(s: dict) -> None:
            pass

        @P(f"{r}.out8", OUT8_OPS, rel=lambda s, b: s["op"] == b)
        def out8(s: dict) -> None:
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

        @P(f"{r}.apb.while_busy", APB_WHILE_BUSY, multi=True)
        def apb_busy(names: set) -> None:
            pass

        @P(f"{r}.edge.limit_x_side", EDGE_BINS, multi=True)
        def edge(hit: set) -> None:
            pass

        @P(f"{r}.mode.pair", PAIRS, multi=True)
        def mode_pair(hit: set) -> None:
            pass

        self._fns = (op, gemm, conv, pool, error, kind, requant, apb_reads, apb_busy, out8, edge, mode_pair)

    def sample(self, s: Sample) -> None:
        op, gemm, conv, pool, error, kind, requant, apb_reads, apb_busy, out8, edge, mode_pair = self._fns
        edge(set(s.get("edges", ())))
        mode_pair(set(s.get("pairs", ())))
        apb_reads(set(s.get("apb_reads", ())))
        apb_busy(set(s.get("apb_while_busy", ())))
        for d in s["descs"]:
            op({**d, "flags": tuple(d["flags"])})
            if d.get("out8"):
                out8(d)
            if "conv" in d:
                conv(d["conv"])
            elif "pool" in d:
                pool(d["pool"])
            else:
                gemm(d)
        for code in [s["error"], *s.get("errors", ())]:  # the run's, and those of the edge case's refused rounds
            if code:
                error(code)
        kind(s["kind"])
        requant(set(s["requant"]))
