"""Compile a whole sequential network into one bundle without input (docs/bundle.md, "Whole networks").

The network is quantized in full int8 (pymodel.net.quant) and every accelerator layer
becomes one descriptor (docs/systolic.md, "Convolution and pooling"):

  Conv2d (BatchNorm folded, ReLU fused)  one CONV descriptor (implicit GEMM): the first reads
                                         the host's input packed (tiled=0), later ones the
                                         channel-tiled output of the layer before
  MaxPool2d                              fused into the Conv2d before it when its kernel equals its
                                         stride (2..4, square; the CONV's `pool` field: the epilogue
                                         pools the int8 rows), else one POOL descriptor (kernel and
                                         stride up to 4)
  Flatten                                layout only: the next Linear reads each image as one
                                         A row; its weight rows are permuted from PyTorch's
                                         (c, h, w) order to the channel-tiled NHWC order, with
                                         zero rows for the padding lanes
  Linear                                 one GEMM descriptor with M = the batch B
  Dropout, Softmax                       removed by fold / left to the host

Every layer but the last writes int8 into ACT, the next layer's input; the last writes
the logits into OUT (int32, or int8 with `logits="int8"`: descriptor flag OUT8). Activations share ACT by liveness
(pymodel/top/memplan.py).
The bundle holds weights, bias and requantization words, the descriptors of a B-image
batch, the memory plan and the tap firmware; each batch's input is a separate directory
(`input_batches`, pymodel/bundle/inputs.py) written before `start`. The host keeps only
the input quantization (and an optional softmax).

With two banks (the default) the command memory holds the descriptor list twice: list 1
differs from list 0 only in where the first layer reads its input and the last writes the
logits. Batch j uses bank j mod 2 (NUM_DESC.FIRST selects its list), so the host can write
batch j+1's input and read batch j-1's logits while batch j runs (docs/bundle.md,
"Streaming batches"). Both input regions are live for the whole run.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from pymodel.bundle import Bundle, MemorySpec
from pymodel.bundle.hexio import format_image, lanes_to_chunks
from pymodel.bundle.inputs import InputBatch
from pymodel.errors import AccelscopeError
from pymodel.lebug import Firmware
from pymodel.net import digits
from pymodel.net.layers import MaxPool2d, Network, fold, where
from pymodel.net.quant import QuantizedNetwork, quantize
from pymodel.net.steps import (
    Dequantize,
    GemmStep,
    HostFlatten,
    HostMaxPool,
    HostRelu,
    HostSoftmax,
    Quantize,
    channel_shape,
    quantize_tensor,
)
from pymodel.systolic import regmap as sy
from pymodel.systolic.config import ceil_div
from pymodel.systolic.descriptor import OP_CONV, OP_GEMM, OP_NAMES, OP_POOL, POOL_MAX, Descriptor
from pymodel.systolic.layout import (
    conv_blk_rows,
    conv_weight_matrix,
    pack_columns,
    pack_rows,
    pack_tensor,
    pack_weights,
    tensor_row_words,
)
from pymodel.systolic.model import MULT_BITS, descriptor_counters, pack_quant, unpack_out8
from pymodel.top import regmap as tr
from pymodel.top.compile import lebug_memories, systolic_bundle_parts
from pymodel.top.config import TopConfig
from pymodel.top.memplan import HOST, ScratchpadPlan, Tensor, plan_scratchpad, plan_static
from pymodel.top.model import descriptors_of, expected

PACKED, TILED, FEATURES = "packed", "tiled", "features"  # activation layouts (docs/systolic.md)
HIST_BINS = 16  # the default distribution firmware's bins on the tap
BANKS = 2  # input and logit regions (and descriptor lists) a compiled network alternates between
LOGIT_DTYPES = ("int32", "int8")  # what the last layer writes to OUT (manifest network.output.dtype)


# --------------------------------------------------------------------------- structure


@dataclass(frozen=True)
class Activation:
    """An int8 tensor in ACT, per image: (C, H, W) NHWC packed or channel-tiled, or (F,) features
    (one row of ceil(F/K) words per image)."""

    name: str
    layer: str  # the layer that writes it, "host" for the network input
    shape: tuple[int, ...]
    layout: str

    @property
    def image(self) -> bool:
        return self.layout != FEATURES

    def row_words(self, K: int) -> int:
        if not self.image:
            return ceil_div(self.shape[0], K)
        c, _, w = self.shape
        return tensor_row_words(w, c, K, self.layout == TILED)

    def rows(self) -> int:
        return self.shape[1] if self.image else 1

    def image_words(self, K: int) -> int:
        return self.rows() * self.row_words(K)

    def words(self, K: int, batch: int) -> int:
        return batch * self.image_words(K)

    def pack(self, x: np.ndarray, K: int) -> np.ndarray:
        """(B, *shape) int8 values (NCHW for images) -> (words, K) ACT lanes in this layout."""
        x = np.asarray(x, np.int64)
        if not self.image:
            return pack_rows(x.reshape(len(x), -1), K)
        return pack_tensor(x.transpose(0, 2, 3, 1), K, self.layout == TILED)[0]


@dataclass(frozen=True)
class NetLayer:
    """One descriptor: `step` of the quantized network, reading activation `src`, writing
    activation `dst` (None: the logits in OUT, int32 or int8). `flatten`: a GEMM that reads each
    channel-tiled image of `src` as one A row."""

    name: str
    op: int
    step: GemmStep | HostMaxPool
    src: int
    dst: int | None
    out_shape: tuple[int, ...]
    flatten: bool = False
    pool: int = 0  # CONV with a fused max-pool of kernel = stride = pool (0: none)
    pool_name: str = ""  # the fused MaxPool2d's name
    pool_step: HostMaxPool | None = None  # and its step

    @property
    def out_step(self) -> GemmStep | HostMaxPool:
        """The step whose output the layer writes (a fused pool's)."""
        return self.pool_step if self.pool_step is not None else self.step

    @property
    def label(self) -> str:
        """The layer's name in reports: a fused pool's CONV is `conv + pool`."""
        return f"{self.name} + {self.pool_name}" if self.pool else self.name


def fusable_pool(cfg: TopConfig, conv: NetLayer, pool: HostMaxPool) -> int:
    """The `pool` field for fusing `pool` into `conv` (docs/systolic.md, "Fused pooling"), or 0:
    a square kernel equal to its stride, 2..4, after an int8 CONV whose blocks can hold whole
    pooling rows."""
    (kh, kw), (sh, sw) = pool.kernel, pool.stride
    step = conv.step
    if conv.op != OP_CONV or not isinstance(step, GemmStep) or not step.out_int8 or step.layout is None:
        return 0
    if not (kh == kw == sh == sw and 2 <= kh <= POOL_MAX) or step.out_hw is None:
        return 0
    oh, ow = step.out_hw
    if oh < kh or ow < kh or conv_blk_rows(cfg.sys, step.layout.kh, step.layout.stride[0], oh, ow) < kh:
        return 0
    return kh


def _structure(qnet: QuantizedNetwork, cfg: TopConfig, pool_names: Sequence[str], fuse_pool: bool = True
               ) -> tuple[list[NetLayer], list[Activation]]:
    """The chain of on-chip layers and their activations (the input's layout still open). With
    `fuse_pool`, a MaxPool2d that `fusable_pool` allows becomes part of the CONV before it."""
    if qnet.mode != "full_int8":
        raise AccelscopeError(f"a bundle runs a full_int8 network on chip, not {qnet.mode!r}")
    steps = qnet.steps
    if not steps or not isinstance(steps[0], Quantize) or steps[0].scale is None:
        raise AccelscopeError("the network must start with a calibrated input quantization")
    acts = [Activation("input", "host", qnet.input_shape, "")]
    layers: list[NetLayer] = []
    pools = iter(pool_names)
    cur, shape, flat, done = 0, qnet.input_shape, False, False
    last_gemm = qnet.gemms[-1]
    for i, s in enumerate(steps[1:], start=1):
        if isinstance(s, (Dequantize, HostSoftmax)) or (done and isinstance(s, HostFlatten)):
            continue  # the host's: dequantizing or reshaping the logits, softmax
        if done:
            what = next(pools, f"step {i}") if isinstance(s, HostMaxPool) else f"step {i} ({s.kind})"
            raise AccelscopeError(f"{what}: runs on the logits after the last Conv2d/Linear; on chip, "
                                  f"pooling and ReLU follow an int8 layer")
        if isinstance(s, HostFlatten):
            flat = True
        elif isinstance(s, HostRelu):
            raise AccelscopeError(f"step {i} (relu): a ReLU before the first Conv2d/Linear has no layer to fuse "
                                  f"into; a bundle runs every ReLU fused on chip")
        elif isinstance(s, HostMaxPool):
            name = next(pools, f"step {i} (MaxPool2d)")
            (kh, kw), (sh, sw) = s.kernel, s.stride
            if max(kh, kw, sh, sw) > POOL_MAX:
                raise AccelscopeError(f"{name}: kernel {kh}x{kw}, stride {sh}x{sw}: the POOL descriptor takes "
                                      f"kernels and strides up to {POOL_MAX}")
            c, h, w = shape
            shape = (c, (h - kh) // sh + 1, (w - kw) // sw + 1)
            prev = layers[-1] if layers else None
            p = fusable_pool(cfg, prev, s) if fuse_pool and prev is not None and prev.dst == cur else 0
            if p:  # the CONV's epilogue pools: its output is the pooled tensor
                assert prev is not None
                layers[-1] = replace(prev, out_shape=shape, pool=p, pool_name=name, pool_step=s)
                acts[cur] = replace(acts[cur], shape=shape, layer=layers[-1].label)
                continue
            acts.append(Activation(f"{name}.out", name, shape, TILED))
            layers.append(NetLayer(name, OP_POOL, s, cur, len(acts) - 1, shape))
            cur = len(acts) - 1
        elif isinstance(s, GemmStep):
            conv = s.layout is not None
            out_shape = (s.n, *s.out_hw) if conv and s.out_hw else (s.n,)
            dst = None
            if s.out_int8 and s is not last_gemm:  # the last one's int8 output is the logits (OUT8)
                acts.append(Activation(f"{s.name}.out", s.name, out_shape, TILED if conv else FEATURES))
                dst = len(acts) - 1
            layers.append(NetLayer(s.name, OP_CONV if conv else OP_GEMM, s, cur, dst, out_shape,
                                   flatten=flat and len(shape) == 3))
            done = dst is None
            cur, shape, flat = dst if dst is not None else -1, out_shape, False
        else:
            raise AccelscopeError(f"step {i} ({s.kind}): not supported in a full-int8 bundle")
    if not done:
        raise AccelscopeError("the last accelerator layer must output the logits")
    # the host writes the input in the layout of its first reader
    first = layers[0]
    if first.op == OP_CONV:
        acts[0] = Activation("input", "host", qnet.input_shape, PACKED)
    elif first.op == OP_POOL:
        acts[0] = Activation("input", "host", qnet.input_shape, TILED)
    else:  # a Linear: the host writes the features (a flattened image in (c, h, w) order)
        acts[0] = Activation("input", "host", (int(np.prod(qnet.input_shape)),), FEATURES)
        layers[0] = NetLayer(first.name, first.op, first.step, 0, first.dst, first.out_shape, flatten=False)
    return layers, acts


def pool_layer_names(network: Network) -> list[str]:
    """`layer i (MaxPool2d)` of each MaxPool2d after folding (the numbering of GemmStep.name)."""
    return [where(i, layer.kind) for i, layer in enumerate(fold(network).layers) if isinstance(layer, MaxPool2d)]


# --------------------------------------------------------------------------- weights and descriptors


def layer_weights(layer: NetLayer, src: Activation, K: int) -> np.ndarray:
    """The B matrix in the descriptor's row order (docs/systolic.md): CONV rows (ky*kw + kx)*C + c;
    a flattening GEMM rows ((h*W + w)*CT + ct)*K + l for channel c = ct*K + l, zero rows for c >= C."""
    step = layer.step
    assert isinstance(step, GemmStep)
    b = np.asarray(step.b, np.int64)
    if layer.op == OP_CONV:
        assert step.layout is not None
        c = src.shape[0]
        return conv_weight_matrix(b.reshape(c, step.layout.kh, step.layout.kw, -1).transpose(1, 2, 0, 3))
    if layer.flatten:
        c, h, w = src.shape
        ct = ceil_div(c, K)
        pad = np.zeros((ct * K, h, w, b.shape[1]), np.int64)
        pad[:c] = b.reshape(c, h, w, -1)
        return pad.transpose(1, 2, 0, 3).reshape(h * w * ct * K, -1)
    return b


def _kd(layer: NetLayer, src: Activation, K: int) -> int:
    if layer.op == OP_POOL:
        kh, kw = layer.step.kernel  # type: ignore[union-attr]  # a POOL layer's step is a HostMaxPool
        return kh * kw
    if layer.op == OP_GEMM:
        return src.image_words(K) * K if layer.flatten else src.shape[0]
    step = layer.step
    assert isinstance(step, GemmStep) and step.layout is not None
    return step.layout.kh * step.layout.kw * src.shape[0]


def make_descriptor(cfg: TopConfig, layer: NetLayer, src: Activation, batch: int, *, a_base: int = 0,
                    b_base: int = 0, bq_base: int = 0, dst_base: int = 0) -> Descriptor:
    """The layer's descriptor for a `batch`-image run (addresses given by the plan); an error
    naming the layer if a field or the geometry is out of the hardware's range."""
    K = cfg.sys.K
    s = layer.step
    common: dict[str, Any] = dict(m=batch, a_base=a_base,
                                  a_stride=src.image_words(K) if layer.op == OP_GEMM else src.row_words(K))
    try:
        if layer.op == OP_POOL:
            assert isinstance(s, HostMaxPool)
            c, h, w = src.shape
            _, oh, ow = layer.out_shape
            d = Descriptor(**common, kd=_kd(layer, src, K), n=c, d_base=dst_base, d_stride=ceil_div(c, K), int8=True,
                           op=OP_POOL, in_h=h, in_w=w, cin=c, tiled=True, kh=s.kernel[0], kw=s.kernel[1],
                           stride_h=s.stride[0], stride_w=s.stride[1], out_h=oh, out_w=ow)
        else:
            assert isinstance(s, GemmStep)
            nt = ceil_div(s.n, K)
            out: dict[str, Any] = dict(c_base=dst_base, c_stride=nt)  # int32 logits, or int8 logits (OUT8)
            if s.out_int8:
                out = dict(d_base=dst_base, d_stride=nt) if layer.dst is not None else {**out, "out8": True}
            geom: dict[str, Any] = {}
            if layer.op == OP_CONV:
                lay = s.layout
                assert lay is not None and s.out_hw is not None
                c, h, w = src.shape
                oh, ow = s.out_hw
                blk = conv_blk_rows(cfg.sys, lay.kh, lay.stride[0], oh, ow)
                if layer.pool:  # blocks of whole pooling rows
                    blk -= blk % layer.pool
                if blk == 0:
                    raise AccelscopeError(f"kernel height {lay.kh} (stride {lay.stride[0]}) and {ow} output columns: "
                                          f"no block fits the window (WIN_ROWS={cfg.sys.WIN_ROWS}) and the "
                                          f"accumulator (ACC_DEPTH={cfg.sys.ACC_DEPTH})")
                geom = dict(op=OP_CONV, in_h=h, in_w=w, cin=c, tiled=src.layout == TILED, kh=lay.kh, kw=lay.kw,
                            stride_h=lay.stride[0], stride_w=lay.stride[1], pad_t=lay.padding[0],
                            pad_l=lay.padding[1], out_h=oh, out_w=ow, blk_rows=blk, pool=layer.pool)
            d = Descriptor(**common, kd=_kd(layer, src, K), n=s.n, b_base=b_base, bq_base=bq_base, bias=True,
                           relu=s.relu, int8=s.out_int8, **out, **geom)
    except AccelscopeError as err:
        raise AccelscopeError(f"{layer.name}: {err}") from None
    why = d.geometry_error(cfg.sys)
    if why is not None:
        raise AccelscopeError(f"{layer.name}: {OP_NAMES[d.op]} geometry out of the hardware's range: {why}")
    if d.acc_rows() > cfg.sys.ACC_DEPTH:
        raise AccelscopeError(f"{layer.name}: {d.acc_rows()} rows per pass (batch {batch}) exceed the accumulator "
                              f"(ACC_DEPTH={cfg.sys.ACC_DEPTH}); use a smaller --batch")
    return d


# --------------------------------------------------------------------------- the compiled network


@dataclass(frozen=True)
class InputSpec:
    """Where and how the host writes a batch (the manifest's network.input)."""

    base: int  # word address in ACT
    words: int
    layout: str
    shape: tuple[int, ...]  # per image, as the network takes it ((C, H, W) or (F,))
    row_words: int
    scale: float  # the network's input scale (host quantization)

    def as_dict(self) -> dict[str, Any]:
        return {"memory": "sys_act", "base": self.base, "words": self.words, "layout": self.layout,
                "shape": list(self.shape), "row_words": self.row_words, "scale": float(self.scale)}


@dataclass
class CompiledNetwork:
    """A network compiled for a `batch`-image run. `bundle` holds no input; `input_batches(x)`
    gives each batch's input, `with_input(batch)` a bundle that holds one (for replay)."""

    cfg: TopConfig
    qnet: QuantizedNetwork
    batch: int
    layers: list[NetLayer]
    activations: list[Activation]
    descriptors: list[Descriptor]
    plan: dict[str, ScratchpadPlan]
    input: InputSpec
    bundle: Bundle
    images: dict[str, np.ndarray] = field(repr=False)  # the systolic images of the bundle (wgt, bias, quant)

    def input_batches(self, x: np.ndarray) -> list[InputBatch]:
        return input_batches(self.bundle, x)

    def with_input(self, batch: InputBatch) -> Bundle:
        return embed_input(self.bundle, batch)

    def cost(self) -> NetworkCost:
        return network_cost(self.bundle)


def int8_edges(bins: int = HIST_BINS) -> np.ndarray:
    """`bins` + 1 thresholds over every int8 value: bin j = (T[j], T[j+1]], T[0] = -129, T[bins] = 127."""
    if not 1 <= bins <= 256:
        raise AccelscopeError(f"distribution: {bins} bins over the int8 range must be 1..256")
    return -129 + (np.arange(bins + 1, dtype=np.int64) * 256 + bins - 1) // bins


def default_calibration(network: Network) -> np.ndarray | None:
    """The digits training split (scikit-learn's bundled set, no download) shaped for the network,
    if its input is the digits' (64,) or (1, 8, 8); else None."""
    if tuple(network.input_shape) not in ((64,), (1, 8, 8)):
        return None
    x = digits.load().x_train
    return x.reshape((len(x),) + tuple(network.input_shape))


def compile_model(network: Network, calib: np.ndarray, cfg: TopConfig, batch: int, *,
                  tap: str | Firmware = "distribution", tap_args: dict[str, int] | None = None,
                  tap_name: str | None = None, thresholds: np.ndarray | None = None,
                  source: str | None = None, fuse_pool: bool = True, banks: int = BANKS,
                  logits: str = "int32") -> CompiledNetwork:
    """Quantize `network` (full int8, calibrated on the float batch `calib`) and compile it for
    `batch`-image runs. `source` (the model's file) prefixes the errors about the network.
    `logits`: "int32" (the last GEMM's accumulators, 4 bytes a logit) or "int8" (requantized with
    a scale calibrated on the logits, written packed to OUT by the OUT8 flag: 1 byte a logit)."""
    if logits not in LOGIT_DTYPES:
        raise AccelscopeError(f"logits {logits!r}: expected one of {', '.join(LOGIT_DTYPES)}")
    try:
        qnet = quantize(network, np.asarray(calib, np.float32), "full_int8", mult_bits=MULT_BITS,
                        int8_logits=logits == "int8")
    except AccelscopeError as err:
        raise _named(err, source) from None
    return compile_quantized(qnet, cfg, batch, pool_names=pool_layer_names(network), tap=tap, tap_args=tap_args,
                             tap_name=tap_name, thresholds=thresholds, source=source, fuse_pool=fuse_pool,
                             banks=banks)


def _named(err: AccelscopeError, source: str | None) -> AccelscopeError:
    return err if source is None else AccelscopeError(f"{source}: {err}")


def compile_quantized(qnet: QuantizedNetwork, cfg: TopConfig, batch: int, *, pool_names: Sequence[str] = (),
                      tap: str | Firmware = "distribution", tap_args: dict[str, int] | None = None,
                      tap_name: str | None = None, thresholds: np.ndarray | None = None,
                      source: str | None = None, fuse_pool: bool = True, banks: int = BANKS) -> CompiledNetwork:
    """Lower a full-int8 QuantizedNetwork: descriptors, memory plan, images and the bundle.
    Errors about the network (a layer, the memory plan) are prefixed with `source`.
    `fuse_pool`: fuse each MaxPool2d that allows it into its CONV (`fusable_pool`); `banks` 1 or 2
    input/logit regions and descriptor lists (2: batches stream while the previous one runs)."""
    if not 1 <= batch <= 0xFFFF:
        raise AccelscopeError(f"batch {batch}: must be in 1..65535")
    if banks not in (1, 2):
        raise AccelscopeError(f"banks {banks}: must be 1 or 2")
    if thresholds is None and tap == "distribution":
        thresholds = int8_edges((tap_args or {}).get("bins", HIST_BINS))
    lmems, limgs, lregs = lebug_memories(cfg, tap, tap_args or {}, thresholds)
    try:
        layers, acts, lists, plan, images = lower(qnet, cfg, batch, pool_names, fuse_pool, banks)
    except AccelscopeError as err:
        raise _named(err, source) from None
    K = cfg.sys.K
    names = [lay.label for lay in layers]
    act_plan, last = plan["sys_act"], layers[-1]
    assert isinstance(last.step, GemmStep)
    spec = InputSpec(act_plan.base_of("input"), acts[0].words(K, batch), acts[0].layout, tuple(qnet.input_shape),
                     acts[0].row_words(K),
                     float(qnet.steps[0].scale))  # type: ignore[union-attr, arg-type]  # steps[0] is the input's Quantize
    output = {"memory": "sys_out", "base": plan["sys_out"].base_of("logits"), "stride": ceil_div(last.step.n, K),
              "rows": out_rows(last, batch), "cols": last.step.n, "shape": list(last.out_shape),
              "banks": [plan["sys_out"].base_of(bank_name("logits", b)) for b in range(banks)],
              "dtype": "int8" if last.step.out_int8 else "int32", "scale": logit_scale(qnet)}
    smems, simgs, sregs = systolic_bundle_parts(cfg, [d for ds in lists for d in ds], images)
    nd = sy.num_desc_value(0, len(layers), cfg.sys)  # list 0 (bank 0); a stream writes each batch's own
    sregs = [replace(r, value=nd) if r.addr == tr.SYS_BASE + sy.REG_NUM_DESC else r for r in sregs]
    inp = {**spec.as_dict(), "embedded": 0, "banks": [act_plan.base_of(bank_name("input", b)) for b in range(banks)]}
    extra = {"network": {"layers": names, "batch": batch, "input": inp, "output": output,
                         "lists": [{"first": b * len(layers), "count": len(layers)} for b in range(banks)]},
             "tap": {"firmware": tap_name or (tap if isinstance(tap, str) else "firmware file"),
                     "args": dict(tap_args or {})}}
    bundle = Bundle(None, cfg.hardware(), tr.regions(cfg), smems + lmems, sregs + lregs, {**simgs, **limgs},
                    plan=plan_report(plan, names), extra=extra)
    bundle.extra["network"]["cost"] = network_cost(bundle).as_dict()
    return CompiledNetwork(cfg, qnet, batch, layers, acts, lists[0], plan, spec, bundle, images)


def logit_scale(qnet: QuantizedNetwork) -> list[float]:
    """The host's dequantization of the logits, one factor a class: value * scale[c] (the
    Dequantize step after the last GEMM; int32: s_x * s_w[c], int8: the logits' one scale)."""
    deq = next(s for s in qnet.steps[qnet.steps.index(qnet.gemms[-1]):] if isinstance(s, Dequantize))
    return [float(v) for v in deq.scale]


def out_rows(last: NetLayer, batch: int) -> int:
    """Rows of the logits: one an image, or one a pixel for a network ending in a Conv2d."""
    return batch * (int(np.prod(last.out_shape[1:])) if len(last.out_shape) == 3 else 1)


def bank_name(name: str, bank: int) -> str:
    """The plan's name of bank `bank`'s copy of the input or the logits."""
    return name if bank == 0 else f"{name}.bank{bank}"


def lower(qnet: QuantizedNetwork, cfg: TopConfig, batch: int, pool_names: Sequence[str] = (), fuse_pool: bool = True,
          banks: int = BANKS) -> tuple[list[NetLayer], list[Activation], list[list[Descriptor]],
                                       dict[str, ScratchpadPlan], dict[str, np.ndarray]]:
    """Layers, activations, the descriptor list of each bank, the memory plan and the systolic
    images (wgt, bias, quant)."""
    K = cfg.sys.K
    layers, acts = _structure(qnet, cfg, pool_names, fuse_pool)
    for lay in layers:  # every layer's geometry first: clear errors before any planning
        make_descriptor(cfg, lay, acts[lay.src], batch)
    plan = plan_memories(cfg, layers, acts, batch, banks)
    act_plan, wgt, bq = plan["sys_act"], plan["sys_wgt"], plan["sys_bias"]
    descs, w_img, b_img, q_img = [], [], [], []
    for lay in layers:
        src = acts[lay.src]
        dst = act_plan.base_of(acts[lay.dst].name) if lay.dst is not None else plan["sys_out"].base_of("logits")
        kw: dict[str, int] = {"a_base": act_plan.base_of(src.name), "dst_base": dst}
        if isinstance(lay.step, GemmStep):
            s = lay.step
            kw.update(b_base=wgt.base_of(f"{lay.name}.weight"), bq_base=bq.base_of(f"{lay.name}.bias_quant"))
            w_img.append(pack_weights(layer_weights(lay, src, K), K))
            b_img.append(pack_columns(s.bias, K))
            q_img.append(pack_columns(pack_quant(s.mult, s.shift) if s.out_int8 else np.zeros(s.n, np.int64), K))
        d = make_descriptor(cfg, lay, src, batch, **kw)
        code = d.check(cfg.sys)
        if code:  # the plan keeps every range; a failure here is a compiler bug
            raise AccelscopeError(f"{lay.name}: internal error: the descriptor fails CHECK ({code}): {d}")
        descs.append(d)
    lists = [descs]
    for b in range(1, banks):  # the same list reading bank b's input and writing bank b's logits (OUT)
        other = list(descs)
        other[0] = replace(other[0], a_base=act_plan.base_of(bank_name("input", b)))
        other[-1] = replace(other[-1], c_base=plan["sys_out"].base_of(bank_name("logits", b)))
        for lay, d in zip(layers, other):
            if d.check(cfg.sys):
                raise AccelscopeError(f"{lay.name}: internal error: bank {b}'s descriptor fails CHECK: {d}")
        lists.append(other)

    def cat(parts: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts) if parts else np.zeros((0, K), np.int64)

    return layers, acts, lists, plan, {"wgt": cat(w_img), "bias": cat(b_img), "quant": cat(q_img)}


# --------------------------------------------------------------------------- memory plan


def plan_memories(cfg: TopConfig, layers: Sequence[NetLayer], acts: Sequence[Activation], batch: int,
                  banks: int = 1) -> dict[str, ScratchpadPlan]:
    """ACT by liveness; WGT, BIAS/QUANT and OUT (the logits) for the whole run; CMD one descriptor
    a layer and bank. With two banks, both input regions are live for the whole run (the host
    writes the next batch's input while a batch runs) and the logits have a region per bank.
    Errors name the layer and the bytes missing."""
    s, K = cfg.sys, cfg.sys.K
    names = [lay.label for lay in layers]
    need = banks * len(layers)
    if need > s.CMD_DEPTH:
        nb, cb = 32 * need, 32 * s.CMD_DEPTH
        per = f"{len(layers)} a bank, {banks} banks; " if banks > 1 else ""
        hint = " (compile with --banks 1)" if banks > 1 and len(layers) <= s.CMD_DEPTH else ""
        raise AccelscopeError(f"{names[min(s.CMD_DEPTH, len(names) - 1)]}: the network needs {need} descriptors "
                              f"({per}{nb} bytes of CMD), CMD has {cb}: {nb - cb} bytes short{hint}")
    producer = {lay.dst: i for i, lay in enumerate(layers) if lay.dst is not None}
    last_use: dict[int, int] = {}
    for i, lay in enumerate(layers):
        last_use[lay.src] = i
    tensors = [Tensor(a.name, a.layer, producer.get(j, HOST),
                      len(layers) - 1 if j == 0 and banks > 1 else last_use.get(j, producer.get(j, HOST)),
                      a.words(K, batch)) for j, a in enumerate(acts)]
    tensors += [Tensor(bank_name("input", b), "host", HOST, len(layers) - 1, acts[0].words(K, batch))
                for b in range(1, banks)]
    gemms = [lay for lay in layers if isinstance(lay.step, GemmStep)]

    def tiles(lay: NetLayer) -> tuple[int, int]:
        kd = _kd(lay, acts[lay.src], K)
        return ceil_div(kd, K), ceil_div(lay.step.n, K)  # type: ignore[union-attr]  # called on GEMM/CONV layers

    wgt = [(f"{g.name}.weight", g.label, tiles(g)[0] * tiles(g)[1] * K) for g in gemms]
    bq = [(f"{g.name}.bias_quant", g.label, tiles(g)[1]) for g in gemms]
    last = layers[-1]
    assert isinstance(last.step, GemmStep)  # the network ends in a Linear (lower checks)
    logits = out_rows(last, batch) * tiles(last)[1]
    act_b, wide = K, 4 * K  # bytes a word: K int8 lanes, K 32-bit lanes
    plan = {
        "sys_act": plan_scratchpad("sys_act", "ACT", tensors, s.ACT_DEPTH, act_b, "activations", names),
        "sys_wgt": plan_static("sys_wgt", "WGT", wgt, s.WGT_DEPTH, act_b, "weights"),
        "sys_bias": plan_static("sys_bias", "BIAS", bq, s.BQ_DEPTH, wide, "biases"),
        "sys_quant": plan_static("sys_quant", "QUANT", bq, s.BQ_DEPTH, wide, "requantization words"),
        "sys_out": plan_static("sys_out", "OUT", [(bank_name("logits", b), last.label, logits) for b in range(banks)],
                               s.OUT_DEPTH, wide, f"{'int8' if last.step.out_int8 else 'int32'} logits"),
    }
    plan["sys_cmd"] = plan_static("sys_cmd", "CMD", [(bank_name(f"{n}.descriptor", b), n, 1) for b in range(banks)
                                                     for n in names], s.CMD_DEPTH, 32, "descriptors")
    return plan


def plan_report(plan: dict[str, ScratchpadPlan], layers: Sequence[str]) -> dict[str, Any]:
    """The manifest's `plan`: per scratchpad words/bytes used vs capacity and the peak of live
    activations; every tensor with its producer, lifetime and word/byte range."""
    act = plan["sys_act"]
    return {"scratchpads": {name: p.report() for name, p in plan.items()},
            "peak": {"memory": "sys_act", "bytes": act.peak_words * act.word_bytes,
                     "layer": layers[act.peak_at] if 0 <= act.peak_at < len(layers) else "input"},
            "tensors": [t for p in plan.values() for t in p.tensors()]}


def format_plan(report: dict[str, Any]) -> str:
    """The plan as text: one line a scratchpad, then the activation tensors."""
    lines = ["scratchpad   used bytes / capacity   peak live"]
    for name, r in report["scratchpads"].items():
        lines.append(f"{name:<12} {r['bytes']:>10} / {r['capacity_bytes']:<10} {r['peak_bytes']:>9}")
    lines.append("activations (ACT): tensor, written by, live descriptors, words, bytes")
    for t in report["tensors"]:
        if t["memory"] == "sys_act":
            lines.append(f"  {t['tensor']:<28} {t['producer']:<22} {t['live'][0]:>2}..{t['live'][1]:<3} "
                         f"[{t['base']}, {t['end']}) [{t['byte_base']}, {t['byte_end']})")
    return "\n".join(lines)


# --------------------------------------------------------------------------- inputs and logits


def network_meta(bundle: Bundle) -> dict[str, Any]:
    """The manifest's `network` section of a whole-network bundle (layers, batch, input, output, cost)."""
    net = bundle.extra.get("network")
    if not isinstance(net, dict) or "input" not in net or "output" not in net or "batch" not in net:
        raise AccelscopeError("manifest.json network: no input/output description (not a whole-network bundle; "
                              "compile it with this version of accelscope)")
    n = len(net.get("lists") or [None])
    for key, part in (("input.banks", net["input"]), ("output.banks", net["output"])):
        if len(part.get("banks") or [None] * n) != n:
            raise AccelscopeError(f"manifest.json network.{key}: {len(part['banks'])} banks, network.lists has {n}")
    cmd = bundle.images.get("sys_cmd")
    for i, lst in enumerate(net.get("lists") or []):
        if cmd is not None and lst["first"] + lst["count"] > len(cmd):
            raise AccelscopeError(f"manifest.json network.lists[{i}]: descriptors {lst['first']}.."
                                  f"{lst['first'] + lst['count'] - 1}, sys_cmd.hex has {len(cmd)}")
    return net


def program_id(bundle: Bundle) -> str:
    """The SHA-256 of the bundle's descriptors (sys_cmd.hex): an input batch belongs to it."""
    spec = next(m for m in bundle.memories if m.name == "sys_cmd")
    return hashlib.sha256(format_image(bundle.images["sys_cmd"], spec.width).encode()).hexdigest()


def act_memory(bundle: Bundle) -> MemorySpec:
    """The activation scratchpad's window as a MemorySpec (the input region lives in it)."""
    cfg = TopConfig.from_hardware(bundle.hardware)
    return MemorySpec("sys_act", tr.SYS_BASE + sy.BASE["act"], tr.sys_mem_width(cfg, "act"), 0,
                      tr.sys_mem_capacity(cfg, "act"), 4 * sy.chunks(cfg.sys, "act"), "sys_act.hex")


def check_batch(x: np.ndarray, shape: Sequence[int], where: str = "input") -> np.ndarray:
    """A non-empty float batch of images of `shape` (finite real numbers), as float32."""
    x = np.asarray(x)
    if x.dtype.kind not in "iuf" or not np.all(np.isfinite(x)):
        kind = f"dtype {x.dtype}" if x.dtype.kind not in "iuf" else "NaN or infinite values"
        raise AccelscopeError(f"{where}: expected finite real numbers, got {kind}")
    if x.ndim == 0 or x.shape[1:] != tuple(shape) or len(x) == 0:
        raise AccelscopeError(f"{where}: expected shape (n, {', '.join(map(str, shape))}), got {x.shape}")
    return x.astype(np.float32)


def input_batches(bundle: Bundle, x: np.ndarray, where: str = "input") -> list[InputBatch]:
    """Quantize a float batch with the network's input scale (the host's one step), lay it out as
    the first layer reads it and split it into batches of the bundle's B images; the last one is
    padded with zero images."""
    net = network_meta(bundle)
    inp = net["input"]
    shape, B = tuple(inp["shape"]), int(net["batch"])
    x = check_batch(x, shape, where)
    K = TopConfig.from_hardware(bundle.hardware).sys.K
    with np.errstate(over="ignore"):  # values beyond float32 after scaling saturate to -128 / 127, as they should
        q = quantize_tensor(x, np.float32(inp["scale"])).astype(np.int64)
    layout = inp["layout"]
    act = Activation("input", "host", shape if layout != FEATURES else (int(np.prod(shape)),), layout)
    mem, prog, banks = act_memory(bundle), program_id(bundle), input_banks(bundle)
    out: list[InputBatch] = []
    for b0 in range(0, len(q), B):
        part = q[b0:b0 + B]
        full = np.zeros((B,) + part.shape[1:], np.int64)
        full[:len(part)] = part
        words = act.pack(full if layout != FEATURES else full.reshape(B, -1), K)
        if len(words) != inp["words"]:
            raise AccelscopeError(f"{where}: {len(words)} input words, the bundle's input region has {inp['words']}")
        out.append(InputBatch(mem, banks[len(out) % len(banks)], lanes_to_chunks(words, 8), B, len(part), prog))
    return out


def input_banks(bundle: Bundle) -> list[int]:
    """The input region's base word in each bank (batch j uses bank j mod len)."""
    inp = network_meta(bundle)["input"]
    return [int(b) for b in inp.get("banks", [inp["base"]])]


def batch_bank(bundle: Bundle, batch: InputBatch) -> int:
    """The bank a batch was laid out for (by its base word), an error for a foreign base."""
    banks = input_banks(bundle)
    if batch.base not in banks:
        raise AccelscopeError(f"input batch: base word {batch.base} is none of the bundle's input regions {banks}")
    return banks.index(batch.base)


def bank_list(bundle: Bundle, bank: int) -> tuple[int, int]:
    """(FIRST, COUNT) of bank `bank`'s descriptor list (NUM_DESC)."""
    net = network_meta(bundle)
    lists = net.get("lists") or [{"first": 0, "count": len(net["layers"])}]
    return int(lists[bank]["first"]), int(lists[bank]["count"])


def bank_start_records(bundle: Bundle, bank: int) -> list[tuple[int, int]]:
    """What the host writes to run bank `bank`'s list once its input is in place: NUM_DESC, CTRL.start."""
    return [(tr.SYS_BASE + sy.REG_NUM_DESC, sy.num_desc_value(*bank_list(bundle, bank))),
            (tr.SYS_BASE + sy.REG_CTRL, sy.CTRL_START)]


def start_records(bundle: Bundle, batch: InputBatch) -> list[tuple[int, int]]:
    """bank_start_records of the batch's bank."""
    return bank_start_records(bundle, batch_bank(bundle, batch))


def embed_input(bundle: Bundle, batch: InputBatch) -> Bundle:
    """A copy of the bundle whose activation image holds the batch (words 0 .. end of the input
    region), so that replaying it runs that batch: the records are the bundle's plus the batch's."""
    if batch.program != program_id(bundle):
        raise AccelscopeError("input batch: compiled for another program (its descriptors differ from the bundle's)")
    nd = sy.num_desc_value(*bank_list(bundle, batch_bank(bundle, batch)))
    regs = [replace(r, value=nd) if r.addr == tr.SYS_BASE + sy.REG_NUM_DESC else r for r in bundle.registers]
    m = batch.memory
    img = np.zeros((batch.base + len(batch.words), m.chunks), np.uint32)
    img[batch.base:] = batch.words
    spec = MemorySpec(m.name, m.base, m.width, len(img), m.capacity, m.stride, f"{m.name}.hex")
    mems = sorted([x for x in bundle.memories if x.name != m.name] + [spec], key=lambda x: x.base)
    extra = copy.deepcopy(bundle.extra)
    extra["network"]["input"]["embedded"] = batch.images
    extra["network"]["input"]["embedded_bank"] = batch_bank(bundle, batch)
    return Bundle(None, bundle.hardware, bundle.regions, mems, regs,
                  {**bundle.images, m.name: img}, copy.deepcopy(bundle.plan), extra)


def logit_dtype(bundle: Bundle) -> str:
    """"int32" or "int8": what the last layer writes to OUT (manifest network.output.dtype)."""
    dtype = network_meta(bundle)["output"].get("dtype", "int32")
    if dtype not in LOGIT_DTYPES:
        raise AccelscopeError(f"manifest.json network.output.dtype: {dtype!r}, expected one of "
                              f"{', '.join(LOGIT_DTYPES)}")
    return str(dtype)


def logit_positions(bundle: Bundle, bank: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(OUT word, lane) of every logit of bank `bank`, both (rows, cols): row r's first `cols` lanes
    from word base + r*stride (the manifest's network.output; base is the bank's). For int8 logits
    the lane is the column of the int8 row the word holds packed (pymodel.systolic.model.unpack_out8)."""
    o = network_meta(bundle)["output"]
    K = TopConfig.from_hardware(bundle.hardware).sys.K
    col = np.arange(o["cols"])
    base = int(o.get("banks", [o["base"]])[bank])
    words = base + np.arange(o["rows"])[:, None] * o["stride"] + (col // K)[None, :]
    return words, np.broadcast_to(col % K, words.shape)


def logit_chunks(bundle: Bundle, bank: int = 0) -> np.ndarray:
    """The distinct (OUT word, 32-bit chunk) pairs holding bank `bank`'s logits, in address order,
    (n, 2): the APB reads of a batch's logits (an int32 logit is its lane's chunk; 4 int8 ones
    share one, pack_out8)."""
    words, lanes = logit_positions(bundle, bank)
    chunks = lanes // 4 if logit_dtype(bundle) == "int8" else lanes
    return np.unique(np.stack([words.ravel(), chunks.ravel()], axis=1), axis=0)


def read_logits(bundle: Bundle, out: np.ndarray, images: int | None = None, bank: int = 0) -> np.ndarray:
    """The logits of bank `bank` from the OUT scratchpad (K int32 lanes a word, from word 0),
    shaped as the integer model gives them: (B, n), or (B, n, OH, OW) for a network ending in a
    Conv2d; int32 values, or int8 values (in an int32 array)."""
    o = network_meta(bundle)["output"]
    words, lanes = logit_positions(bundle, bank)
    rows = np.asarray(out, np.int64)[words]  # (rows, cols, K): each logit's OUT word
    if logit_dtype(bundle) == "int8":
        rows = unpack_out8(rows, TopConfig.from_hardware(bundle.hardware).sys.K)
    vals = np.take_along_axis(rows, lanes[..., None], axis=-1)[..., 0]
    B = int(network_meta(bundle)["batch"])
    shape = o.get("shape", [o["cols"]])
    if len(shape) == 3:
        vals = vals.reshape(B, shape[1], shape[2], shape[0]).transpose(0, 3, 1, 2)
    return vals[:images].astype(np.int32)


def host_logits(bundle: Bundle, logits: np.ndarray) -> np.ndarray:
    """What the host makes of the logits read back: value * scale[c] (manifest network.output.scale,
    the integer model's Dequantize), float32, class axis 1; the logits as they are if the manifest
    has no scale."""
    scale = network_meta(bundle)["output"].get("scale")
    if scale is None:
        return np.asarray(logits, np.float32)
    return np.asarray(logits, np.float32) * np.asarray(scale, np.float32).reshape(channel_shape(np.ndim(logits)))


def run_on_model(bundle: Bundle, batch: InputBatch) -> tuple[np.ndarray, Any]:
    """One batch through the top-level model (systolic model, tap, LeBug emulator,
    pymodel.top.model.expected): (the batch's logits, the TopExpected)."""
    exp = expected(embed_input(bundle, batch))
    return read_logits(bundle, exp.systolic.mems["out"], batch.images, batch_bank(bundle, batch)), exp


def integer_logits(qnet: QuantizedNetwork, x: np.ndarray) -> np.ndarray:
    """The integer model's logits (int32, or int8 ones): the last accelerator GEMM's output (before the host's
    dequantization), as `QuantizedNetwork.run` computes them."""
    last = qnet.gemms[-1]
    got: dict[str, np.ndarray] = {}
    qnet.run(x, trace=lambda i, s, a: got.__setitem__("y", a) if s is last else None)
    return got["y"]


# --------------------------------------------------------------------------- cost


@dataclass(frozen=True)
class NetworkCost:
    """Per batch of B images, from the model's closed-form counters (no RTL)."""

    batch: int
    K: int
    cycles: int  # sum of the descriptors' CYCLES
    busy: int
    macs: int
    stream_rows: int
    apb_program_words: int  # APB writes to program the bundle once (every record but an embedded input)
    apb_input_words: int  # APB writes of one batch's input
    apb_start_words: int  # the writes that start a batch (NUM_DESC with its bank's list, CTRL.start)
    logits_read_words: int  # 32-bit reads of the logits (an int32 logit a chunk, up to 4 int8 ones)
    layers: tuple[dict[str, Any], ...]
    min_cycles: int = 0  # shape-limited cycles: M*ceil(KD/K)*ceil(N/K) summed over GEMM and CONV (rows for M)

    @property
    def utilization(self) -> float:
        return self.macs / (self.K * self.K * self.cycles) if self.cycles else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"batch": self.batch, "cycles": self.cycles, "cycles_per_image": self.cycles / self.batch,
                "busy": self.busy, "macs": self.macs, "utilization": self.utilization,
                "stream_rows": self.stream_rows, "apb_program_words": self.apb_program_words,
                "apb_input_words": self.apb_input_words, "apb_start_words": self.apb_start_words,
                "logits_read_words": self.logits_read_words, "min_cycles": self.min_cycles,
                "layers": list(self.layers)}


def network_cost(bundle: Bundle) -> NetworkCost:
    """Cycles, MACs, stream rows per batch, and the APB words to program once, to write each
    batch's input and to read its logits (docs/bundle.md, "Cost")."""
    cfg = TopConfig.from_hardware(bundle.hardware)
    K = cfg.sys.K
    net = network_meta(bundle)
    names = net.get("layers") or []
    layers, totals = [], dict(cycles=0, busy=0, macs=0, rows=0)
    descs = descriptors_of(bundle)
    for i, d in enumerate(descs):
        c = descriptor_counters(cfg.sys, d)
        for k in totals:
            totals[k] += getattr(c, k)
        pad = d.out_rows * (d.nt(K) * K - (d.cin if d.op == OP_POOL else d.n))
        layers.append({"layer": names[i] if i < len(names) else f"descriptor {i}", "op": OP_NAMES[d.op],
                       "cycles": c.cycles, "macs": c.macs, "stream_rows": c.rows, "pad_lanes": pad})
    act = next((m for m in bundle.memories if m.name == "sys_act"), None)
    program = len(bundle.records()) - (act.depth * act.chunks if act is not None else 0)
    return NetworkCost(int(net["batch"]), K, totals["cycles"], totals["busy"], totals["macs"], totals["rows"],
                       program, int(net["input"]["words"]) * cfg.sys.act_chunks, len(bank_start_records(bundle, 0)),
                       len(logit_chunks(bundle)), tuple(layers), min_cycles(descs, K))


def network_efficiency(bundle: Bundle, images: int, cycles: int) -> float:
    """The network efficiency of `images` real images run in `cycles`: their shape-limited
    cycles (min_cycles a batch over B, times the images: the zero images that pad the last batch
    count as overhead) over every cycle spent (docs/performance.md, "Whole network on chip")."""
    cost = network_cost(bundle)
    return cost.min_cycles / cost.batch * images / cycles


def min_cycles(descs: Sequence[Descriptor], K: int) -> int:
    """Shape-limited cycles of a descriptor list: M*ceil(KD/K)*ceil(N/K) over the GEMM and CONV
    descriptors (M: their rows; POOL, draining and data movement count as overhead), the
    numerator of the network efficiency (docs/performance.md, "Whole network on chip")."""
    return sum(d.rows * d.kt(K) * d.nt(K) for d in descs if d.op != OP_POOL)
