"""pymodel.systolic: the model against plain numpy, the requant formula, descriptors, layouts, APB records."""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest

from pymodel.errors import AccelscopeError
from pymodel.systolic import regmap as R
from pymodel.systolic.builder import JobBuilder
from pymodel.systolic.config import SystolicConfig
from pymodel.systolic.descriptor import (
    ERR_A_RANGE,
    ERR_ACC_DEPTH,
    ERR_B_RANGE,
    ERR_BQ_RANGE,
    ERR_C_RANGE,
    ERR_D_RANGE,
    ERR_FLAGS,
    ERR_GEOM,
    ERR_NONE,
    ERR_SHAPE,
    FLAG_INT8,
    FLAG_OUT8,
    Descriptor,
)
from pymodel.systolic.layout import extents, from_hex, gemm_layout, pack_rows, pack_weights, to_hex, unpack_rows
from pymodel.systolic.model import (
    descriptor_counters,
    full_memories,
    pack_out8,
    pack_quant,
    quant_params,
    requantize,
    run,
    unpack_out8,
    unpack_quant,
    wrap32,
)
from pymodel.systolic.randjob import chained_layers, extreme_layers, random_layers
from pymodel.systolic.scenarios import reference_gemm


def _gemm_via_model(cfg, a, b, bias=None, relu=False):
    descs, images = gemm_layout(cfg, a, b, bias, relu)
    res = run(cfg, descs, images)
    return unpack_rows(res.mems["out"], 0, descs[0].nt(cfg.K), a.shape[0], b.shape[1], cfg.K), res, descs


@pytest.mark.parametrize("K", [2, 4, 8, 16])
def test_model_equals_numpy_gemm_random_shapes_up_to_300(K):
    cfg = SystolicConfig.for_array(K)
    rng = np.random.default_rng(K)
    shapes = [(1, 1, 1), (300, 300, 300), (K + 1, 2 * K - 1, 3 * K + 1)]
    shapes += [tuple(int(v) for v in rng.integers(1, 301, size=3)) for _ in range(4)]
    for m, kd, n in shapes:
        a = rng.integers(-128, 128, size=(m, kd)).astype(np.int8)
        b = rng.integers(-128, 128, size=(kd, n)).astype(np.int8)
        bias = rng.integers(-(1 << 31), 1 << 31, size=n) if rng.random() < 0.7 else None
        relu = bool(rng.random() < 0.5)
        c, res, _descs = _gemm_via_model(cfg, a, b, bias, relu)
        want = a.astype(np.int64) @ b
        if bias is not None:
            want = want + bias
        want = ((want + (1 << 31)) % (1 << 32)) - (1 << 31)
        if relu:
            want = np.maximum(want, 0)
        np.testing.assert_array_equal(c, want, err_msg=f"K={K} shape {m}x{kd}x{n}")
        assert res.counters.macs == m * kd * n and res.error == ERR_NONE


def test_accumulator_wraps_like_int32():
    cfg = SystolicConfig(K=4)
    a = np.full((3, 9), -128)
    b = np.full((9, 5), -128)
    bias = np.full(5, (1 << 31) - 1)
    c, _, _ = _gemm_via_model(cfg, a, b, bias)
    assert c[0, 0] == wrap32(9 * 16384 + (1 << 31) - 1) and c[0, 0] < 0


def _requant_reference(y: int, mult: int, shift: int) -> int:
    """Independent: round-half-up of y * mult / 2^shift with exact rationals, then saturate."""
    v = math.floor(Fraction(y * mult, 1 << shift) + Fraction(1, 2)) if shift else y * mult
    return max(-128, min(127, v))


def test_requant_formula_matches_exact_rational_rounding():
    rng = np.random.default_rng(3)
    y = np.concatenate([rng.integers(-(1 << 31), 1 << 31, 3000), [-(1 << 31), (1 << 31) - 1, 0, -1, 1]])
    mult = np.concatenate([rng.integers(0, 1 << 24, 3000), [(1 << 24) - 1, (1 << 24) - 1, 1, 1, 1]])
    shift = np.concatenate([rng.integers(0, 32, 3000), [31, 31, 0, 1, 1]])
    # make many values land near the rounding boundary and inside the int8 range
    y[:1000] = rng.integers(-300, 300, 1000) << 4
    mult[:1000] = 1
    shift[:1000] = rng.integers(0, 8, 1000)
    got = requantize(y, mult, shift)
    want = [_requant_reference(int(a), int(m), int(s)) for a, m, s in zip(y, mult, shift)]
    np.testing.assert_array_equal(got, want)
    assert requantize(np.array([3]), np.array([1]), np.array([1]))[0] == 2  # 1.5 -> 2 (half up)
    assert requantize(np.array([-3]), np.array([1]), np.array([1]))[0] == -1  # -1.5 -> -1 (half up)


def test_quant_word_round_trip_and_range():
    w = pack_quant(np.array([0, (1 << 24) - 1, 12345]), np.array([0, 31, 7]))
    m, s = unpack_quant(w)
    assert m.tolist() == [0, (1 << 24) - 1, 12345] and s.tolist() == [0, 31, 7]
    with pytest.raises(AccelscopeError, match="multiplier"):
        pack_quant(1 << 24, 0)
    with pytest.raises(AccelscopeError, match="shift"):
        pack_quant(1, 32)


def test_int8_layer_requantizes_per_column():
    cfg = SystolicConfig(K=4)
    rng = np.random.default_rng(1)
    a = rng.integers(-128, 128, (7, 10))
    b = rng.integers(-128, 128, (10, 6))
    bias = rng.integers(-5000, 5000, 6)
    mult = rng.integers(1, 1 << 24, 6)
    shift = rng.integers(0, 32, 6)
    descs, images = gemm_layout(cfg, a, b, bias, relu=True, mult=mult, shift=shift)
    res = run(cfg, descs, images)
    d = descs[0]
    q = unpack_rows(res.mems["act"], d.d_base, d.d_stride, 7, 6, 4)
    y = reference_gemm(a, b, bias, relu=True)
    want = [[_requant_reference(int(y[i, j]), int(mult[j]), int(shift[j])) for j in range(6)] for i in range(7)]
    np.testing.assert_array_equal(q, want)
    # the int8 word of the partial n-tile has zero lanes beyond N
    assert (res.mems["act"][d.d_base + 1::2][:7, 2:] == 0).all()


def test_stream_order_and_eof():
    cfg = SystolicConfig(K=4)
    rng = np.random.default_rng(2)
    descs, images = random_layers(cfg, rng, 3, 11)
    res = run(cfg, descs, images)
    nrows = [d.m * d.nt(4) for d in descs]
    assert len(res.stream) == sum(nrows) == res.counters.rows
    ends = np.cumsum(nrows) - 1
    assert np.flatnonzero(res.eof[:, 0]).tolist() == ends.tolist()
    assert np.flatnonzero(res.eof[:, 1]).tolist() == [ends[-1]]
    # each descriptor's rows: n-tile major, row minor, the stored words (OUT8: packed into OUT)
    for i, d in enumerate(descs):
        dst = (d.d_base, d.d_stride, "act") if d.writes_act else (d.c_base, d.c_stride, "out")
        idx = dst[0] + np.arange(d.m)[None, :] * dst[1] + np.arange(d.nt(4))[:, None]
        rows = res.stream[sum(nrows[:i]): sum(nrows[: i + 1])]
        np.testing.assert_array_equal(pack_out8(rows, 4) if d.out8 else rows, res.mems[dst[2]][idx.ravel()])


def test_chained_layers_equal_layer_by_layer_numpy():
    cfg = SystolicConfig(K=8)
    rng = np.random.default_rng(4)
    descs, images = chained_layers(cfg, rng, 13, [20, 30, 9, 17])
    res = run(cfg, descs, images)
    # recompute independently from the images: layer by layer
    x = unpack_rows(images["act"], descs[0].a_base, descs[0].a_stride, 13, 20, 8)
    for _i, d in enumerate(descs):
        w = unpack_rows(images["wgt"], d.b_base, 1, d.nt(8) * d.kt(8) * 8, 8, 8)
        bmat = w.reshape(d.nt(8), d.kt(8) * 8, 8).transpose(1, 0, 2).reshape(d.kt(8) * 8, -1)[: d.kd, : d.n]
        bias = images["bias"][d.bq_base:d.bq_base + d.nt(8)].ravel()[: d.n]
        y = x.astype(np.int64) @ bmat + bias
        if d.acc:
            y = y + unpack_rows(images["out"], d.c_base, d.c_stride, d.m, d.n, 8)
        y = wrap32(y)
        if d.relu:
            y = np.maximum(y, 0)
        if d.int8:
            mult, shift = unpack_quant(images["quant"][d.bq_base:d.bq_base + d.nt(8)].ravel()[: d.n])
            y = np.array([[_requant_reference(int(v), int(mult[j]), int(shift[j])) for j, v in enumerate(r)]
                          for r in y])
            np.testing.assert_array_equal(unpack_rows(res.mems["act"], d.d_base, d.d_stride, d.m, d.n, 8), y)
        else:
            np.testing.assert_array_equal(unpack_rows(res.mems["out"], d.c_base, d.c_stride, d.m, d.n, 8), y)
        x = y


def test_counters_closed_form():
    cfg = SystolicConfig(K=8)
    for m, kd, n in [(1, 1, 1), (8, 8, 8), (256, 256, 256), (3, 17, 9)]:
        c = descriptor_counters(cfg, Descriptor(m=m, kd=kd, n=n))
        kt, nt, p = -(-kd // 8), -(-n // 8), max(m, 8)
        assert c.busy == nt * kt * p and c.stalls == nt * kt * (p - m)
        assert c.busy - c.stalls == nt * kt * m  # one activation row per issued cycle
        assert c.cycles == 3 + c.busy + 2 * 8 + 6 - (p - m)
        assert c.macs == m * kd * n and c.rows == m * nt
    c = descriptor_counters(cfg, Descriptor(m=256, kd=256, n=256))
    assert c.macs / (64 * c.cycles) > 0.999


def test_error_descriptor_stops_the_run():
    cfg = SystolicConfig(K=4)
    rng = np.random.default_rng(5)
    descs, images = random_layers(cfg, rng, 2, 9)
    bad = Descriptor(m=1, kd=1, n=1, b_base=cfg.WGT_DEPTH - 3)
    res = run(cfg, descs[:1] + [bad] + descs[1:], images)
    first = run(cfg, descs[:1], images)
    assert res.error == ERR_B_RANGE and res.err_desc == 1 and res.status["error"] == 1
    assert res.counters.cycles == first.counters.cycles + 3
    np.testing.assert_array_equal(res.stream, first.stream)
    assert res.eof[:, 1].sum() == 0  # eof[1] only after the last descriptor of a complete run


def test_num_desc_first():
    """NUM_DESC = (FIRST, COUNT) from the generated fields; a run from FIRST is the sublist's,
    with the absolute STATUS.cur_desc; the records put the descriptors at CMD[FIRST..]."""
    cfg = SystolicConfig(K=4)
    lsb_f, w_f = R.F["NUM_DESC"]["FIRST"]
    lsb_c, w_c = R.F["NUM_DESC"]["COUNT"]
    assert (lsb_f, w_f, lsb_c, w_c) == (16, 16, 0, 16)
    assert R.num_desc_value(0, 5) == 5 and R.num_desc_value(2, 3, cfg) == (2 << 16) | 3
    for first, count in ((0, 0), (cfg.CMD_DEPTH - 1, 2), (cfg.CMD_DEPTH, 1), (-1, 1)):
        with pytest.raises(AccelscopeError):
            R.num_desc_value(first, count, cfg)
    rng = np.random.default_rng(6)
    descs, images = random_layers(cfg, rng, 3, 9)
    plain, later = run(cfg, descs, images), run(cfg, descs, images, first=7)
    np.testing.assert_array_equal(plain.stream, later.stream)
    np.testing.assert_array_equal(plain.eof, later.eof)
    assert plain.counters == later.counters and later.status["cur_desc"] == 7 + 2
    with pytest.raises(AccelscopeError):
        run(cfg, descs, images, first=cfg.CMD_DEPTH - 2)
    recs = R.descriptor_records(cfg, descs, first=7)
    assert recs[0][0] == R.word_addr(cfg, "cmd", 7, 0) and recs[-1] == (R.REG_NUM_DESC, R.num_desc_value(7, 3))
    assert R.descriptor_records(cfg, descs)[-1] == (R.REG_NUM_DESC, 3)  # FIRST=0: as before


@pytest.mark.parametrize("desc,code", [
    (dict(m=0, kd=1, n=1), ERR_SHAPE),
    (dict(m=1, kd=1, n=1, reserved_flags=0x400), ERR_FLAGS),
    (dict(m=1025, kd=1, n=1, a_stride=1), ERR_ACC_DEPTH),
    (dict(m=2, kd=1, n=1, a_base=4095, a_stride=1), ERR_A_RANGE),
    (dict(m=1, kd=9, n=1, b_base=4096 - 8), ERR_B_RANGE),
    (dict(m=2, kd=1, n=1, c_base=4095, c_stride=1), ERR_C_RANGE),
    (dict(m=2, kd=1, n=1, int8=True, d_base=4095, d_stride=1), ERR_D_RANGE),
    (dict(m=1, kd=1, n=9, bias=True, bq_base=255, c_stride=3), ERR_BQ_RANGE),
    (dict(m=2, kd=9, n=9, a_stride=2, c_stride=2, bias=True), ERR_NONE),
])
def test_descriptor_checks(desc, code):
    cfg = SystolicConfig(K=8, ACT_DEPTH=4096, WGT_DEPTH=4096, OUT_DEPTH=4096)
    assert Descriptor(**desc).check(cfg) == code


def test_descriptor_encode_decode_round_trip():
    rng = np.random.default_rng(6)
    for _ in range(200):
        f = {k: int(rng.integers(0, 1 << 16)) for k in ("m", "kd", "n", "a_base", "a_stride", "b_base", "bq_base",
                                                           "c_base", "c_stride", "d_base", "d_stride")}
        flags = {k: bool(rng.integers(0, 2)) for k in ("acc", "bias", "relu", "int8", "out8")}
        d = Descriptor(**f, **flags)
        words = d.encode()
        assert len(words) == 8 and all(0 <= w < 1 << 32 for w in words)
        assert Descriptor.decode(words) == d
    assert Descriptor(m=5, kd=7, n=3, relu=True, int8=True).encode()[:2] == [5 | 3 << 16, 7 | 0xC << 16]


@pytest.mark.parametrize("words,msg", [
    ([0] * 7, "expected 8 words"),
    ([0, 1 << 26, 0, 0, 0, 0, 0, 0], "reserved flag bits"),
    ([0, 1 << 31, 0, 0, 0, 0, 0, 0], "reserved flag bits"),
    ([0, 0, 0, 0, 0, 0, 1, 0], "geometry fields .* GEMM"),
    ([1 << 32, 0, 0, 0, 0, 0, 0, 0], "not a 32-bit"),
    ([-1, 0, 0, 0, 0, 0, 0, 0], "not a 32-bit"),
])
def test_descriptor_decode_rejects_malformed(words, msg):
    with pytest.raises(AccelscopeError, match=msg):
        Descriptor.decode(words, "cmd.hex line 3")


@pytest.mark.parametrize("kw,msg", [
    (dict(m=1 << 16, kd=1, n=1), "field m=65536"),
    (dict(m=1, kd=-1, n=1), "field kd=-1"),
    (dict(m=1, kd=1, n=1, relu=1), "flag relu"),
    (dict(m=1, kd=1, n=1, reserved_flags=1), "reserved_flags"),
])
def test_descriptor_fields_validated(kw, msg):
    with pytest.raises(AccelscopeError, match=msg):
        Descriptor(**kw)


def test_model_rejects_hazards():
    cfg = SystolicConfig(K=4)
    images = {"act": np.zeros((64, 4), np.int64), "wgt": np.zeros((64, 4), np.int64),
              "quant": np.zeros((4, 4), np.int64), "bias": np.zeros((4, 4), np.int64)}
    with pytest.raises(AccelscopeError, match="destination rows overlap"):
        run(cfg, [Descriptor(m=3, kd=4, n=8, a_stride=1, c_stride=1)], images)
    with pytest.raises(AccelscopeError, match="overlaps its own input"):
        run(cfg, [Descriptor(m=3, kd=4, n=4, a_stride=1, int8=True, d_base=2, d_stride=1)], images)


def test_layouts_round_trip():
    rng = np.random.default_rng(7)
    a = rng.integers(-128, 128, (13, 19))
    np.testing.assert_array_equal(unpack_rows(pack_rows(a, 8), 0, 3, 13, 19, 8), a)
    b = rng.integers(-128, 128, (19, 11))
    w = pack_weights(b, 8)  # tile (nt, kt) row r at (nt*KT + kt)*8 + r; KT=3, NT=2
    assert w.shape == (2 * 3 * 8, 8)
    np.testing.assert_array_equal(w[(1 * 3 + 2) * 8 + 1, :3], b[2 * 8 + 1, 8:11])
    assert (w[(1 * 3 + 2) * 8 + 3:(1 * 3 + 2) * 8 + 8] == 0).all()  # rows beyond KD padded with zero


@pytest.mark.parametrize("name,bits", [("act", 8), ("out", 32), ("quant", 32)])
def test_hex_and_apb_chunks_round_trip(name, bits):
    rng = np.random.default_rng(8)
    for K in (2, 4, 8, 16):
        cfg = SystolicConfig.for_array(K)
        hi = 1 << bits
        words = rng.integers(0 if name == "quant" else -hi // 2, hi if name == "quant" else hi // 2, (9, K))
        text = to_hex(words, bits)
        assert len(text.splitlines()[0]) == K * bits // 4
        np.testing.assert_array_equal(from_hex(text, K, bits, signed=name != "quant"), words)
        ch = R.words_to_chunks(cfg, name, words)
        assert ch.shape == (9, R.chunks(cfg, name))
        np.testing.assert_array_equal(R.chunks_to_words(cfg, name, ch), words)
        # low chunk first at consecutive addresses; lane 0 in the low bits of chunk 0
        recs = R.mem_records(cfg, name, words[:1], base_word=5)
        assert [a for a, _ in recs] == [R.BASE[name] + 4 * (5 * R.chunks(cfg, name) + c) for c in range(len(recs))]
        assert recs[0][1] & ((1 << bits) - 1) == words[0, 0] & ((1 << bits) - 1)


def test_from_hex_rejects_x_and_bad_lines():
    with pytest.raises(AccelscopeError, match="line 2: not hex"):
        from_hex("0000\nxx00\n", 2, 8)
    with pytest.raises(AccelscopeError, match="line 1: expected 4 hex digits"):
        from_hex("000\n", 2, 8)


def test_program_records_order():
    cfg = SystolicConfig(K=8)
    descs, images = gemm_layout(cfg, np.ones((2, 3), np.int64), np.ones((3, 4), np.int64))
    recs = R.program_records(cfg, descs, images)
    assert recs[-1] == (R.REG_CTRL, R.CTRL_START) and recs[-2] == (R.REG_NUM_DESC, 1)
    cmd = [r for r in recs if R.BASE["cmd"] <= r[0] < R.BASE["act"]]
    assert [d for _, d in cmd] == descs[0].encode()


def test_extents_and_builder_cover_every_touched_word():
    cfg = SystolicConfig(K=4)
    rng = np.random.default_rng(9)
    descs, images = extreme_layers(cfg, rng)
    ext = extents(cfg, descs, images)
    assert all(ext[n] >= len(images[n]) for n in images)
    jb = JobBuilder(cfg)
    with pytest.raises(AccelscopeError, match="act scratchpad full"):
        jb.put("act", np.zeros((cfg.ACT_DEPTH + 1, 4)))


@pytest.mark.parametrize("text,msg", [
    ("K=3", "K=3 must be a power of 2"),
    ("ACT_DEPTH=1000", "ACT_DEPTH=1000 must be a power of 2"),
    ("K=16,OUT_DEPTH=65536", "does not fit its 1 MiB APB window"),
    ("FOO=1", "bad item 'FOO=1'"),
    ("K=x", "is not an integer"),
])
def test_config_errors(text, msg):
    with pytest.raises(AccelscopeError, match=msg):
        SystolicConfig.parse(text)


@pytest.mark.parametrize("K", [2, 4, 8, 16])
def test_for_array_fits_300_cubed(K):
    cfg = SystolicConfig.for_array(K)
    descs, _images = gemm_layout(cfg, np.zeros((300, 300), np.int64), np.zeros((300, 300), np.int64),
                                np.zeros(300, np.int64), relu=True)
    assert len(descs) == 1 and descs[0].check(cfg) == ERR_NONE


def test_quant_params_approximate_the_scale():
    scales = np.array([1.0, 0.5, 1e-3, 3.7e-6, 123.0, 2.0 ** -31])
    mult, shift = quant_params(scales)
    assert (mult < 1 << 24).all() and (shift >= 0).all() and (shift <= 31).all()
    approx = mult / np.exp2(shift)
    assert np.all(np.abs(approx - scales) <= np.exp2(-shift.astype(float)) / 2 + 1e-18)
    assert np.all(np.abs(approx[:5] / scales[:5] - 1) <= 0.5 / mult[:5])  # rounding of a 24-bit mult
    assert np.all(mult[[0, 1, 4]] >= 1 << 23)  # full precision unless the shift limit (31) binds
    with pytest.raises(AccelscopeError, match="scale"):
        quant_params(-1.0)


# ---------------------------------------------------------------------------
# OUT8: the INT8 row written to OUT at c (packed bytes) instead of ACT at d


def _ref_out8_lanes(row, K):
    """Independent: the OUT word of an int8 row as K int32 lanes = APB chunks: column c at bits
    [8c +: 8] of one K*32-bit integer, higher bits 0, chunk l = bits [32l +: 32] as a signed int32."""
    word = 0
    for c, v in enumerate(row):
        word |= (int(v) & 0xFF) << (8 * c)
    chunks = [(word >> 32 * lane) & 0xFFFFFFFF for lane in range(K)]
    return [v - (1 << 32) if v >= 1 << 31 else v for v in chunks]


def _first_mismatch(got, want):
    bad = np.argwhere(np.asarray(got) != np.asarray(want))
    if not len(bad):
        return ""
    return f"first mismatch at {tuple(bad[0])}: got {got[tuple(bad[0])]} want {want[tuple(bad[0])]}"


def _out8_pair(cfg, rng, m, kd, n, acc=False):
    """An INT8 GEMM on a JobBuilder, plus an OUT region of junk words; returns (int8 descriptor, its OUT8
    twin writing to the OUT region with one padding word a row, images)."""
    K = cfg.K
    jb = JobBuilder(cfg)
    jb.put("out", rng.integers(-(1 << 31), 1 << 31, (3, K)))  # junk before the C region
    a_base, a_stride = jb.put_matrix(rng.integers(-128, 128, (m, kd)))
    bias = rng.integers(-(1 << 16), 1 << 16, n)
    quant = (rng.integers(1 << 10, 1 << 24, n), rng.integers(8, 20, n))
    init = rng.integers(-(1 << 20), 1 << 20, (m, n)) if acc else None
    jb.layer(a_base, a_stride, m, rng.integers(-128, 128, (kd, n)), bias=bias, relu=bool(rng.integers(2)),
             quant=quant, acc_init=init)
    d = jb.descriptors[0]
    nt = d.nt(K)
    if acc:  # ACC: the old C is at c (the builder put it there); OUT8 overwrites it with the int8 rows
        d8 = replace(d, out8=True)
    else:
        c_base = jb.put("out", rng.integers(-(1 << 31), 1 << 31, (m * (nt + 1), K)))
        d8 = replace(d, out8=True, c_base=c_base, c_stride=nt + 1)
    jb.put("out", rng.integers(-(1 << 31), 1 << 31, (2, K)))  # junk after it
    return d, d8, jb.images()


@pytest.mark.parametrize("K", [2, 4, 8, 16])
@pytest.mark.parametrize("acc", [False, True])
def test_out8_gemm_writes_the_int8_bytes_to_out(K, acc):
    cfg = SystolicConfig.for_array(K)
    rng = np.random.default_rng([K, acc])
    for m, kd, n in ((1, 1, 1), (K + 3, 2 * K + 1, 2 * K + 3), (2 * K, K, K)):
        d, d8, images = _out8_pair(cfg, rng, m, kd, n, acc)
        assert d8.check(cfg) == ERR_NONE and not d8.writes_act
        r8, ro = run(cfg, [d], images), run(cfg, [d8], images)
        start = full_memories(cfg, images)
        nt = d.nt(K)
        q = np.arange(m)[:, None]
        t = np.arange(nt)[None, :]
        int8_rows = r8.mems["act"][d.d_base + q * d.d_stride + t]  # (m, NT, K): what INT8 writes to ACT
        want_out = start["out"].copy()
        c_idx = d8.c_base + q * d8.c_stride + t
        want_out[c_idx] = np.array([[_ref_out8_lanes(w, K) for w in row] for row in int8_rows])
        got = ro.mems["out"]
        assert np.array_equal(got, want_out), f"K={K} {m}x{kd}x{n} acc={acc}: OUT " + _first_mismatch(got, want_out)
        assert np.array_equal(ro.mems["act"], start["act"]), "ACT written: " + _first_mismatch(ro.mems["act"],
                                                                                             start["act"])
        for name in ("wgt", "bias", "quant"):
            assert np.array_equal(ro.mems[name], start[name]), name
        # the stream (int8 lanes), eof and counters are those of the INT8 descriptor
        assert np.array_equal(ro.stream, r8.stream), _first_mismatch(ro.stream, r8.stream)
        assert np.array_equal(ro.eof, r8.eof) and ro.counters == r8.counters and ro.error == ERR_NONE
        # the model's unpack is the inverse, and the packed lanes are the APB chunks of the OUT word
        assert np.array_equal(unpack_out8(got[c_idx], K), int8_rows)
        flat = got[c_idx].reshape(-1, K)
        chunks = R.words_to_chunks(cfg, "out", flat)
        as_bytes = chunks.astype("<u4").view(np.uint8).reshape(len(flat), 4 * K)
        want_bytes = np.zeros((len(flat), 4 * K), np.uint8)
        want_bytes[:, :K] = (int8_rows.reshape(-1, K) & 0xFF).astype(np.uint8)
        assert np.array_equal(as_bytes, want_bytes), _first_mismatch(as_bytes, want_bytes)


def test_pack_out8_lane_layout():
    row = np.array([[1, -1, 0x12, -128, 127, 0, 5, -2]])
    got = pack_out8(row, 8)
    assert got.tolist() == [[wrap32(0x80_12_FF_01), wrap32(0xFE_05_00_7F), 0, 0, 0, 0, 0, 0]]
    assert pack_out8(np.array([[-1, 3]]), 2).tolist() == [[0x03FF, 0]]
    assert pack_out8(np.array([[-1, 3, 4, 5]]), 4).tolist() == [[0x050403FF, 0, 0, 0]]
    rng = np.random.default_rng(11)
    for K in (2, 4, 8, 16, 32):
        rows = rng.integers(-128, 128, (5, 3, K))
        assert np.array_equal(unpack_out8(pack_out8(rows, K), K), rows)
        assert pack_out8(rows, K).tolist() == [[_ref_out8_lanes(w, K) for w in r] for r in rows]


@pytest.mark.parametrize("desc,code", [
    (dict(m=1, kd=1, n=1, out8=True), ERR_FLAGS),  # without INT8
    (dict(m=1, kd=1, n=1, out8=True, acc=True, bias=True, relu=True), ERR_FLAGS),
    (dict(m=1, kd=1, n=1, int8=True, out8=True, pool=2), ERR_FLAGS),  # FLAGS before GEOM (pool on a GEMM)
    (dict(m=1, kd=1, n=1, int8=True, pool=2), ERR_GEOM),
    (dict(m=0, kd=1, n=1, out8=True), ERR_SHAPE),  # SHAPE first
    (dict(m=2, kd=1, n=1, int8=True, out8=True, c_base=4095, c_stride=1), ERR_C_RANGE),  # C_RANGE applies
    (dict(m=2, kd=1, n=1, int8=True, out8=True, c_base=4094, c_stride=1, d_base=4095, d_stride=1), ERR_NONE),
    (dict(m=2, kd=1, n=1, int8=True, d_base=4095, d_stride=1), ERR_D_RANGE),  # (INT8 alone: D_RANGE)
    (dict(m=1, kd=1, n=9, int8=True, out8=True, bq_base=255, c_stride=2), ERR_BQ_RANGE),
    (dict(m=2, kd=9, n=9, int8=True, out8=True, a_stride=2, c_stride=2), ERR_NONE),
])
def test_out8_checks(desc, code):
    cfg = SystolicConfig(K=8, ACT_DEPTH=4096, WGT_DEPTH=4096, OUT_DEPTH=4096)
    d = Descriptor(**desc)
    assert d.check(cfg) == code
    if code == ERR_FLAGS and d.m:
        with pytest.raises(AccelscopeError, match="OUT8"):
            d.validate(cfg)


def test_out8_encoding_and_flags_error_stops_the_run():
    d = Descriptor(m=2, kd=3, n=4, a_stride=1, c_stride=1, int8=True, out8=True)
    w = d.encode()
    assert (w[1] >> 25) & 1 == 1 and w[1] >> 26 == 0 and FLAG_OUT8 == 1 << 9 and d.flags == FLAG_INT8 | FLAG_OUT8
    assert Descriptor.decode(w) == d
    bad = Descriptor.decode([1 | 1 << 16, 1 | 1 << 25, 0, 0, 0, 0, 0, 0])  # OUT8 alone decodes; CHECK says FLAGS
    assert bad.out8 and not bad.int8
    cfg = SystolicConfig(K=4)
    res = run(cfg, [d, bad, d], {"act": np.ones((8, 4), np.int64)})
    assert (res.error, res.err_desc, res.counters.cycles) == (ERR_FLAGS, 1, descriptor_counters(cfg, d).cycles + 3)
    assert len(res.stream) == 2 and res.eof[:, 1].sum() == 0


def test_out8_hazards_and_extents():
    cfg = SystolicConfig(K=4)
    images = {"act": np.zeros((64, 4), np.int64)}
    # OUT8 rows may overlap the A rows' ACT addresses (they go to OUT); overlapping OUT rows may not
    ok = Descriptor(m=3, kd=4, n=4, a_stride=1, int8=True, out8=True, d_base=2, d_stride=1, c_base=5, c_stride=1)
    run(cfg, [ok], images)
    with pytest.raises(AccelscopeError, match="destination rows overlap"):
        run(cfg, [replace(ok, n=8, c_stride=1)], images)
    ext = extents(cfg, [ok], {})
    assert ext["out"] == 8 and ext["act"] == 3  # c reached, d not
