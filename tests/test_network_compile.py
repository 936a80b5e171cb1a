"""Whole networks in one bundle (pymodel/top/network.py): CONV/POOL/GEMM lowering bit-exact against the
integer model, the bundle without input, input batch files, the tap's per-layer histograms, cost
figures and the `compile` / `inputs` commands."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pymodel.bundle import load_bundle
from pymodel.bundle.inputs import load_input, write_batches
from pymodel.compare import first_mismatch
from pymodel.errors import AccelscopeError
from pymodel.net import digits
from pymodel.net.importers import load_onnx, save_json
from pymodel.net.layers import BatchNorm2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d, Network, ReLU
from pymodel.systolic import regmap as sy
from pymodel.systolic.descriptor import OP_CONV, OP_GEMM, OP_POOL
from pymodel.top import regmap as tr
from pymodel.top.config import TopConfig
from pymodel.top.model import expected
from pymodel.top.network import (
    compile_model,
    default_calibration,
    embed_input,
    host_logits,
    int8_edges,
    integer_logits,
    network_cost,
    read_logits,
    run_on_model,
)
from tb.cli import main
from tb.runner import sims_under_test

EX = Path("examples").resolve()
IMAGES = 120  # >= 100 digits test images


def assert_same(what: str, expected: np.ndarray, actual: np.ndarray) -> None:
    msg = first_mismatch(expected, actual)
    assert msg is None, f"{what}: {msg}"


def onnx_cnn(path: Path, in_ch: int = 1, convs: int = 1, seed: int = 0, hw: tuple[int, int] = (8, 8)) -> Path:
    """Conv(3x3, stride 2, pad 1) -> BatchNormalization -> Relu -> MaxPool(2) [-> Conv(3x3, pad 1) -> Relu]
    -> Flatten -> Gemm, random (seeded) weights, built with onnx.helper."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    oc = 12
    inits, nodes = [], []

    def init(name: str, arr: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.asarray(arr, np.float32), name))
        return name

    nodes.append(helper.make_node("Conv", ["x", init("w0", rng.normal(0, 0.4, (oc, in_ch, 3, 3))),
                                           init("b0", rng.normal(0, 0.1, oc))], ["c0"],
                                  kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("BatchNormalization",
                                  ["c0", init("g", rng.uniform(0.5, 1.5, oc)), init("beta", rng.normal(0, 0.1, oc)),
                                   init("mean", rng.normal(0, 0.1, oc)), init("var", rng.uniform(0.5, 2, oc))],
                                  ["bn"], epsilon=1e-5))
    nodes.append(helper.make_node("Relu", ["bn"], ["r0"]))
    nodes.append(helper.make_node("MaxPool", ["r0"], ["p0"], kernel_shape=[2, 2], strides=[2, 2]))
    cur, c, h, w = "p0", oc, ((hw[0] + 1) // 2) // 2, ((hw[1] + 1) // 2) // 2
    if convs == 2:
        oc2 = 10
        nodes.append(helper.make_node("Conv", [cur, init("w1", rng.normal(0, 0.3, (oc2, oc, 3, 3))),
                                               init("b1", rng.normal(0, 0.1, oc2))], ["c1"],
                                      kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1]))
        nodes.append(helper.make_node("Relu", ["c1"], ["r1"]))
        cur, c = "r1", oc2
    nodes.append(helper.make_node("Flatten", [cur], ["f"], axis=1))
    feats = c * h * w
    nodes.append(helper.make_node("Gemm", ["f", init("wf", rng.normal(0, 0.3, (10, feats))),
                                           init("bf", rng.normal(0, 0.1, 10))], ["y"], transB=1))
    graph = helper.make_graph(nodes, "cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                           ["N", in_ch, *hw])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)
    return path


def compiled_and_logits(net, calib, x, batch, cfg=None, **kw):
    c = compile_model(net, calib, cfg or TopConfig.for_array(8), batch, **kw)
    got = np.concatenate([run_on_model(c.bundle, b)[0] for b in c.input_batches(x)])
    return c, got


@pytest.mark.parametrize("model,batch,fuse", [("digits_mlp.onnx", 8, True), ("digits_cnn.onnx", 8, True),
                                              ("digits_cnn.onnx", 8, False), ("digits_cnn.json", 16, True)])
def test_examples_bit_exact(model, batch, fuse):
    """The compiled bundle (one batch at a time, input files embedded, alternating banks) through the
    top-level model gives the integer model's logits on 120 digits test images; the CNN's MaxPool2d(2)
    is fused into its CONV, or (fuse_pool=False) a POOL descriptor of its own."""
    net = load_onnx(EX / model) if model.endswith(".onnx") else __import__(
        "pymodel.net.importers", fromlist=["load_json"]).load_json(EX / model)
    x = digits.inputs("mlp" if "mlp" in model else "cnn")[:IMAGES]
    c, got = compiled_and_logits(net, default_calibration(net), x, batch, fuse_pool=fuse)
    assert_same(model, integer_logits(c.qnet, x), got)
    want_ops = [OP_GEMM, OP_GEMM] if "mlp" in model else [OP_CONV, OP_GEMM] if fuse else [OP_CONV, OP_POOL, OP_GEMM]
    assert [d.op for d in c.descriptors] == want_ops
    assert next(d.pool for d in c.descriptors) == (2 if fuse and "cnn" in model else 0)


def test_onnx_helper_cnn_bit_exact(tmp_path):
    """Conv(stride 2, pad 1) -> BatchNormalization -> Relu -> MaxPool(2) -> Flatten -> Gemm, random weights:
    BN folded, ReLU fused, 12 channels (a partial channel tile), the Flatten's weight permutation."""
    net = load_onnx(onnx_cnn(tmp_path / "cnn.onnx"))
    x = digits.inputs("cnn")[:IMAGES]
    want = integer_logits(compile_model(net, default_calibration(net), TopConfig.for_array(8), 8).qnet, x)
    c, got = compiled_and_logits(net, default_calibration(net), x, 8, fuse_pool=False)
    assert_same("onnx.helper CNN, POOL descriptor", want, got)
    conv, pool, gemm = c.descriptors
    assert (conv.op, conv.stride_h, conv.stride_w, conv.pad_t, conv.pad_l, conv.tiled) == (OP_CONV, 2, 2, 1, 1, False)
    assert (conv.out_h, conv.out_w, conv.blk_rows, conv.relu, conv.int8, conv.pool) == (4, 4, 4, True, True, 0)
    assert (pool.op, pool.kh, pool.out_h, pool.tiled) == (OP_POOL, 2, 2, True)
    assert (gemm.op, gemm.kd, gemm.a_stride, gemm.int8) == (OP_GEMM, 2 * 2 * 2 * 8, 2 * 2 * 2, False)
    c, got = compiled_and_logits(net, default_calibration(net), x, 8)
    assert_same("onnx.helper CNN, fused pooling", want, got)
    conv, gemm2 = c.descriptors
    assert ((conv.op, conv.out_h, conv.out_w, conv.blk_rows, conv.pool, conv.out_rows)
            == (OP_CONV, 4, 4, 4, 2, 8 * 2 * 2))
    assert (gemm2.kd, gemm2.a_stride, gemm2.a_base) == (gemm.kd, gemm.a_stride, conv.d_base)  # reads the pooled tensor
    assert [lay.label for lay in c.layers] == ["layer 0 (Conv2d) + layer 2 (MaxPool2d)", "layer 4 (Linear)"]


def test_three_channel_two_convs_padded_batch(tmp_path):
    """3-channel packed input (rows of 33 bytes), a second CONV on a channel-tiled input, a batch of 6
    whose last part is padded with zero images."""
    net = load_onnx(onnx_cnn(tmp_path / "cnn3.onnx", in_ch=3, convs=2, seed=3, hw=(9, 11)))
    rng = np.random.default_rng(7)
    calib = rng.normal(0, 1, (64, 3, 9, 11)).astype(np.float32)
    x = rng.normal(0, 1, (21, 3, 9, 11)).astype(np.float32)
    c, got = compiled_and_logits(net, calib, x, 6)
    assert_same("3-channel CNN", integer_logits(c.qnet, x), got)
    assert [d.op for d in c.descriptors] == [OP_CONV, OP_CONV, OP_GEMM]
    conv = c.descriptors[0]  # 5 x 6 conv outputs pooled to 2 x 3: the last row is dropped (floor)
    assert (conv.out_h, conv.out_w, conv.pool, conv.pooled_hw()) == (5, 6, 2, (2, 3))
    assert not c.descriptors[0].tiled and c.descriptors[1].tiled
    batches = c.input_batches(x)
    assert [b.images for b in batches] == [6, 6, 6, 3]


def _topology(kind: str, rng: np.random.Generator):
    """(network, input shape, K, B): shapes no test above covers."""
    n = rng.normal
    if kind == "fully_conv":  # the last layer a CONV: int32 pixels in OUT, logits (B, 3, 3, 3)
        return Network((Conv2d(n(size=(5, 2, 3, 3)), n(size=5), 1, 1), ReLU(),
                        Conv2d(n(size=(3, 5, 2, 2)), n(size=3), 2, 0), Flatten()), (2, 7, 6)), (2, 7, 6), 8, 4
    if kind == "pool_first":  # the host writes a channel-tiled input for a POOL
        return Network((MaxPool2d(2), Conv2d(n(size=(9, 3, 3, 3)), n(size=9), 1, 1), ReLU(), Flatten(),
                        Linear(n(size=(4, 9 * 3 * 4)), n(size=4))), (3, 6, 8)), (3, 6, 8), 8, 4
    if kind == "flatten_first":  # the host writes features in (c, h, w) order
        return Network((Flatten(), Linear(n(size=(20, 75)), n(size=20)), ReLU(), Dropout(0.3),
                        Linear(n(size=(7, 20)), n(size=7))), (3, 5, 5)), (3, 5, 5), 8, 4
    if kind == "deep_k4":  # 5x5 pad 2, pool 3 stride 2, strided conv, two Linear layers, K=4
        one, zero = np.ones(6), np.zeros(6)
        return Network((Conv2d(n(size=(6, 1, 5, 5)), n(size=6), 1, 2), BatchNorm2d(one, zero, zero, one), ReLU(),
                        MaxPool2d(3, 2), Conv2d(n(size=(11, 6, 3, 3)), n(size=11), 2, 1), ReLU(), MaxPool2d(2),
                        Flatten(), Linear(n(size=(16, 44)), n(size=16)), ReLU(), Linear(n(size=(5, 16)), n(size=5))),
                       (1, 15, 15)), (1, 15, 15), 4, 5
    return Network((Conv2d(n(size=(20, 3, 3, 3)), n(size=20), 1, 1), ReLU(), MaxPool2d(2), Flatten(),  # K=16
                    Linear(n(size=(10, 320)), n(size=10))), (3, 8, 8)), (3, 8, 8), 16, 3


@pytest.mark.parametrize("kind", ["fully_conv", "pool_first", "flatten_first", "deep_k4", "k16"])
def test_topologies_bit_exact(kind):
    rng = np.random.default_rng(1)
    net, shape, K, B = _topology(kind, rng)
    calib = rng.normal(size=(32, *shape)).astype(np.float32)
    x = rng.normal(size=(2 * B + 1, *shape)).astype(np.float32)
    c, got = compiled_and_logits(net, calib, x, B, TopConfig.for_array(K))
    assert_same(kind, integer_logits(c.qnet, x), got)


def test_bundle_holds_no_input(tmp_path):
    net = load_onnx(EX / "digits_cnn.onnx")
    c = compile_model(net, default_calibration(net), TopConfig.for_array(8), 8)
    names = {m.name for m in c.bundle.memories}
    assert "sys_act" not in names and {"sys_cmd", "sys_wgt", "sys_bias", "sys_quant"} <= names
    act_lo = tr.SYS_BASE + sy.BASE["act"]
    act_hi = act_lo + 4 * sy.chunks(c.cfg.sys, "act") * c.cfg.sys.ACT_DEPTH
    assert not [a for a, _ in c.bundle.records() if act_lo <= a < act_hi]
    assert c.bundle.extra["network"]["input"]["embedded"] == 0
    c.bundle.write(tmp_path / "b")
    assert not (tmp_path / "b" / "sys_act.hex").exists()
    # the same network on different inputs: the bundle does not change
    b2 = compile_model(net, default_calibration(net), TopConfig.for_array(8), 8).bundle
    assert b2.records() == c.bundle.records()


def test_input_files_round_trip_and_match_the_embedded_bundle(tmp_path):
    net = load_onnx(EX / "digits_cnn.onnx")
    c = compile_model(net, default_calibration(net), TopConfig.for_array(8), 8)
    x = digits.inputs("cnn")[:11]
    batches = c.input_batches(x)
    dirs = write_batches(tmp_path / "in", batches)
    assert [d.name for d in dirs] == ["batch_000", "batch_001"]
    for d, b in zip(dirs, batches):
        back = load_input(d)
        assert back.base == b.base and back.images == b.images and np.array_equal(back.words, b.words)
        assert back.records() == b.records()
        assert (d / "input.hex").read_text().splitlines()[0] == f"@{b.base:x}"
    # the embedded bundle's ACT records above the input base are exactly the batch's records
    emb = embed_input(c.bundle, batches[1])
    act = next(m for m in emb.memories if m.name == "sys_act")
    lo = act.base + batches[1].base * act.stride
    recs = [r for r in emb.records() if lo <= r[0] < act.base + act.depth * act.stride]
    assert recs == batches[1].records()
    # everything else is the bundle's, but NUM_DESC runs bank 1's list (batch 1 is laid out for bank 1)
    nd = tr.SYS_BASE + sy.REG_NUM_DESC
    bank1 = [(a, sy.num_desc_value(2, 2) if a == nd else v) for a, v in c.bundle.records()]
    assert [r for r in emb.records() if not act.base <= r[0] < act.base + act.depth * act.stride] == bank1
    assert [b.base for b in batches] == c.bundle.extra["network"]["input"]["banks"]
    # the padded batch: 3 real images, 5 zero images
    assert batches[1].images == 3 and not np.any(batches[1].words[3 * 8:])


def test_input_file_tampering_is_caught(tmp_path):
    net = load_onnx(EX / "digits_mlp.onnx")
    c = compile_model(net, default_calibration(net), TopConfig.for_array(8), 4)
    (d,) = write_batches(tmp_path / "in", c.input_batches(digits.inputs("mlp")[:4]))
    f = d / "0PROG_D"
    lines = f.read_text().splitlines()
    lines[5] = f"{int(lines[5], 16) ^ 1:08x}"
    f.write_text("\n".join(lines) + "\n")
    with pytest.raises(AccelscopeError, match=r"^0PROG_D: checksum mismatch"):
        load_input(d)


def test_tap_histograms_per_layer():
    """One run: LeBug's distribution firmware commits a 16-bin histogram at each layer's eof[0]; each equals
    numpy's on the integer model's layer output plus the zero padding lanes (int8 bins over -128..127;
    the int32 logits count only inside that range)."""
    net = load_onnx(EX / "digits_cnn.onnx")
    c = compile_model(net, default_calibration(net), TopConfig.for_array(8), 8)
    x = digits.inputs("cnn")[:8]
    _logits, exp = run_on_model(c.bundle, c.input_batches(x)[0])
    eof = exp.systolic.eof
    assert list(np.flatnonzero(eof[:, 0])) == list(np.cumsum([d.out_rows * d.nt(8) for d in c.descriptors]) - 1)
    assert list(np.flatnonzero(eof[:, 1])) == [len(eof) - 1]
    steps = {id(lay.out_step) for lay in c.layers}  # the fused CONV's output is its pool's
    outs = []
    c.qnet.run(x, trace=lambda i, s, a: outs.append(np.asarray(a)) if id(s) in steps else None)
    assert len(outs) == len(c.descriptors) == 2
    edges = int8_edges(16)
    hw = exp.lebug.trace.ravel()[: 16 * len(c.descriptors)].reshape(len(c.descriptors), 16)
    cost = network_cost(c.bundle)
    for i, (vals, layer) in enumerate(zip(outs, cost.layers)):
        v = vals.ravel().astype(np.int64)
        want = np.array([np.count_nonzero((v > edges[j]) & (v <= edges[j + 1])) for j in range(16)])
        want[np.searchsorted(edges, 0) - 1] += layer["pad_lanes"]
        assert_same(f"histogram of {layer['layer']}", want, hw[i])


@pytest.mark.parametrize("kind,batch", [("mlp", 32), ("cnn", 8)])
def test_int8_logits_bit_exact(kind, batch):
    """`logits="int8"`: the last layer requantizes (calibrated on the logits) and writes its int8 row
    packed to OUT (OUT8); through the top-level model the int8 logits equal the integer model's on
    120 digits test images, 4 logits a 32-bit read, and the dequantized predictions equal the int32
    flow's on all but at most one image of the 360."""
    net = load_onnx(EX / f"digits_{kind}.onnx")
    x = digits.inputs(kind)[:IMAGES]
    c, got = compiled_and_logits(net, default_calibration(net), x, batch, logits="int8")
    want = integer_logits(c.qnet, x)
    assert want.min() >= -128 and want.max() <= 127 and int(want.max()) - int(want.min()) > 100  # int8, spread
    assert_same(f"{kind} int8 logits", want, got)
    last = c.descriptors[-1]
    assert last.int8 and last.out8 and all(not d.out8 for d in c.descriptors[:-1])
    out = c.bundle.extra["network"]["output"]
    assert out["dtype"] == "int8" and len(out["scale"]) == 10 and len(set(out["scale"])) == 1
    # 10 classes at K=8: tile 0 holds 8 logits (2 chunks), tile 1 holds 2 (1 chunk)
    assert c.cost().logits_read_words == batch * 3
    both = digits.inputs(kind)
    c32 = compile_model(net, default_calibration(net), TopConfig.for_array(8), 8)
    p8, p32 = c.qnet.run(both).argmax(1), c32.qnet.run(both).argmax(1)
    assert np.sum(p8 != p32) <= 1, np.flatnonzero(p8 != p32)


def test_host_logits_dequantize_per_class():
    """eval's predictions are taken on logits * scale[c] (the integer model's float output), which
    is not the argmax of the raw int32 logits: on the digits MLP they differ on some test images."""
    net = load_onnx(EX / "digits_mlp.onnx")
    c = compile_model(net, default_calibration(net), TopConfig.for_array(8), 8)
    x = digits.inputs("mlp")
    raw = integer_logits(c.qnet, x)
    np.testing.assert_array_equal(host_logits(c.bundle, raw), c.qnet.run(x))
    assert np.sum(raw.argmax(1) != c.qnet.run(x).argmax(1)) > 0


def test_cost_from_the_model():
    net = load_onnx(EX / "digits_cnn.onnx")
    c = compile_model(net, default_calibration(net), TopConfig.for_array(8), 8)
    batch = c.input_batches(digits.inputs("cnn")[:8])[0]
    _, exp = run_on_model(c.bundle, batch)
    cost = c.cost()
    assert cost.cycles == exp.systolic.counters.cycles and cost.macs == exp.systolic.counters.macs
    assert cost.stream_rows == len(exp.systolic.stream)
    assert cost.macs == sum(s.macs(8) for s in c.qnet.gemms)
    assert cost.apb_program_words == len(c.bundle.records())
    assert cost.apb_input_words == len(batch.records())
    assert cost.logits_read_words == 8 * 10
    assert c.bundle.extra["network"]["cost"]["cycles"] == cost.cycles
    assert network_cost(embed_input(c.bundle, batch)).apb_program_words == cost.apb_program_words


@pytest.mark.parametrize("layers,msg", [
    ("pool5", "layer 2 (MaxPool2d): kernel 5x5, stride 5x5: the POOL descriptor takes kernels and strides up to 4"),
    ("wide", "layer 0 (Conv2d): CONV geometry out of the hardware's range: an input row of in_w*P = 64*3 = 192 "
             "bytes > WIN_BYTES=128 (packed)"),
])
def test_unsupported_geometry(layers, msg):
    rng = np.random.default_rng(0)
    if layers == "pool5":
        shape = (1, 10, 10)
        net = Network((Conv2d(rng.normal(size=(4, 1, 3, 3)), np.zeros(4), 1, 1), ReLU(), MaxPool2d(5), Flatten(),
                       Linear(rng.normal(size=(10, 16)), np.zeros(10))), shape)
    else:
        shape = (3, 4, 64)
        net = Network((Conv2d(rng.normal(size=(4, 3, 3, 3)), np.zeros(4), 1, 1), ReLU(), Flatten(),
                       Linear(rng.normal(size=(10, 4 * 4 * 64)), np.zeros(10))), shape)
    calib = rng.normal(size=(16, *shape)).astype(np.float32)
    with pytest.raises(AccelscopeError) as e:
        compile_model(net, calib, TopConfig.for_array(8), 4, source="n.json")
    assert str(e.value) == f"n.json: {msg}"


# -------------------------------------------------------------------------------------------- CLI


def test_cli_compile_onnx_then_inputs(tmp_path, capsys):
    b, i = tmp_path / "b", tmp_path / "in"
    assert main(["compile", str(EX / "digits_cnn.onnx"), "--out", str(b), "--batch", "8"]) == 0
    out = capsys.readouterr().out
    assert "no input" in out and "sys_act" in out and "cycles" in out
    x = digits.inputs("cnn")[:IMAGES]
    np.save(tmp_path / "x.npy", x)
    assert main(["inputs", str(b), "--input", str(tmp_path / "x.npy"), "--out", str(i)]) == 0
    assert main(["prog", "--check", str(b)]) == 0
    bundle = load_bundle(b)
    assert "sys_act" not in {m.name for m in bundle.memories}
    dirs = sorted(i.iterdir())
    assert len(dirs) == 15
    got = np.concatenate([run_on_model(bundle, load_input(d))[0] for d in dirs])
    net = load_onnx(EX / "digits_cnn.onnx")
    c = compile_model(net, default_calibration(net), TopConfig.for_array(8), 8)
    assert_same("CLI bundle + input files", integer_logits(c.qnet, x), got)
    meta = json.loads((b / "manifest.json").read_text())
    assert meta["network"]["input"]["layout"] == "packed" and meta["network"]["batch"] == 8
    # two input banks of 8 x 8 rows x 1 word, the fused conv's pooled output 8 x 4 x 4 pixels x 1 word
    assert meta["plan"]["scratchpads"]["sys_act"]["peak_bytes"] == (2 * 64 + 128) * 8


def test_cli_compile_input_embeds_one_batch(tmp_path, capsys):
    x = digits.inputs("mlp")[:5]
    np.save(tmp_path / "x.npy", x)
    assert main(["compile", str(EX / "digits_mlp.json"), "--out", str(tmp_path / "b"), "--input",
                 str(tmp_path / "x.npy"), "--batch", "8"]) == 0
    b = load_bundle(tmp_path / "b")
    assert b.extra["network"]["input"]["embedded"] == 5 and b.extra["network"]["batch"] == 8

    net = load_onnx(EX / "digits_mlp.onnx")
    c = compile_model(net, default_calibration(net), TopConfig.for_array(8), 8)
    assert_same("embedded batch", integer_logits(c.qnet, x), read_logits(b, expected(b).systolic.mems["out"], 5))


def _big_conv_model(d: Path) -> list[str]:
    rng = np.random.default_rng(0)
    net = Network((Conv2d(rng.normal(size=(8, 1, 3, 3)), np.zeros(8), 1, 1), ReLU(), MaxPool2d(2), Flatten(),
                   Linear(rng.normal(size=(10, 8 * 32 * 32)) * 0.01, np.zeros(10))), (1, 64, 64))
    save_json(net, d / "big.json")
    np.save(d / "cal.npy", rng.normal(size=(4, 1, 64, 64)).astype(np.float32))
    return ["compile", str(d / "big.json"), "--calib", str(d / "cal.npy"), "--out", str(d / "c"), "--no-fuse-pool"]


@pytest.mark.parametrize("setup,msg", [
    (_big_conv_model, r"big\.json \(calibrated on --calib .*cal\.npy\): layer 2 \(MaxPool2d\): activations need "
                      r"393216 bytes of ACT at peak, ACT has 131072: 262144 bytes short"),
    (lambda d: ["compile", str(EX / "digits_cnn.onnx"), "--out", str(d / "c"), "--input",
                str(_npy(d, "x.npy", np.zeros((9, 1, 8, 8)))), "--batch", "8"], r"9 images, more than --batch 8"),
    (lambda d: ["compile", str(EX / "digits_cnn.onnx"), "--out", str(d / "c"), "--calib",
                str(_npy(d, "x.npy", np.full((3, 1, 8, 8), np.nan)))], r"--calib .*x\.npy: expected finite real"),
    (lambda d: ["inputs", str(d / "nowhere"), "--input", str(_npy(d, "x.npy", np.zeros((3, 64)))),
                "--out", str(d / "c")], r"manifest\.json: no such file"),
])
def test_cli_errors_one_line_nothing_written(tmp_path, capsys, setup, msg):
    import re

    argv = setup(tmp_path)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("accelscope: error: ") and re.search(msg, err[0]), err
    assert not (tmp_path / "c").exists()
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_cli_inputs_wrong_shape(tmp_path, capsys):
    assert main(["compile", str(EX / "digits_mlp.onnx"), "--out", str(tmp_path / "b")]) == 0
    np.save(tmp_path / "x.npy", np.zeros((3, 1, 8, 8), np.float32))
    capsys.readouterr()
    assert main(["inputs", str(tmp_path / "b"), "--input", str(tmp_path / "x.npy"), "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"accelscope: error: --input {tmp_path / 'x.npy'}: expected shape (n, 64), got (3, 1, 8, 8)"]
    assert not (tmp_path / "c").exists()


def _npy(d: Path, name: str, arr) -> Path:
    np.save(d / name, np.asarray(arr, np.float32))
    return d / name


# -------------------------------------------------------------------------------------------- RTL


def _rtl_sims() -> list[str]:
    return sims_under_test(native=True)


@pytest.mark.parametrize("sim", _rtl_sims())
@pytest.mark.parametrize("model", ["digits_cnn.onnx", "helper_cnn"])
def test_whole_cnn_on_rtl(tmp_path, capsys, sim, model):
    """`compile --input` (one batch embedded) replayed on accel_top: every output word, stream row,
    counter and LeBug trace row equal the model (replay checks them) and the logits the integer
    model's."""
    path = EX / model if model.endswith(".onnx") else onnx_cnn(tmp_path / "cnn.onnx")
    x = digits.inputs("cnn")[:8]
    np.save(tmp_path / "x.npy", x)
    assert main(["compile", str(path), "--out", str(tmp_path / "b"), "--input", str(tmp_path / "x.npy")]) == 0
    assert main(["replay", str(tmp_path / "b"), "--sim", sim]) == 0
    res = json.loads((tmp_path / "b" / "results.json").read_text())
    net = load_onnx(path)
    c = compile_model(net, default_calibration(net), TopConfig.for_array(8), 8)
    assert_same(f"{model} on {sim}", integer_logits(c.qnet, x), np.array(res["outputs"]["logits"]))
    assert res["systolic"]["cycles"] == c.cost().cycles and res["tap"]["drops"] == 0
