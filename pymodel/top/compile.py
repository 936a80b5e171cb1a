"""Compile a sequential network into a bundle for the top level (docs/bundle.md).

The network is quantized in full-int8 mode (calibrated on the given input batch),
every accelerator layer becomes one systolic descriptor (int8 results feed the next
layer on chip; the last layer writes int32), and LeBug gets the tap firmware. The
bundle holds the input batch, so replaying it runs the whole network on the RTL.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pymodel.bundle import Bundle, MemorySpec, RegisterWrite, lanes_to_chunks
from pymodel.errors import AccelscopeError
from pymodel.lebug import Firmware, build, default_thresholds, encode_firmware
from pymodel.lebug import regmap as lb
from pymodel.net.layers import Network
from pymodel.net.quant import QuantizedNetwork, quantize
from pymodel.net.steps import Dequantize, GemmStep, HostSoftmax, Quantize, quantize_tensor
from pymodel.systolic import regmap as sy
from pymodel.systolic.builder import JobBuilder
from pymodel.systolic.descriptor import Descriptor
from pymodel.top import regmap as tr
from pymodel.top.config import TopConfig

MULT_BITS = 24  # the systolic block's requantization multiplier width (docs/systolic.md)


@dataclass
class Compiled:
    bundle: Bundle
    qnet: QuantizedNetwork
    descriptors: list[Descriptor]
    x_int8: np.ndarray


def chained_gemms(qnet: QuantizedNetwork) -> list[GemmStep]:
    """The accelerator layers of a network that runs on chip end to end, else a clear error."""
    steps = list(qnet.steps)
    if steps and isinstance(steps[-1], HostSoftmax):
        steps = steps[:-1]
    if not steps or not isinstance(steps[0], Quantize) or steps[0].scale is None:
        raise AccelscopeError("compile: the network must start with a calibrated input quantization")
    if not isinstance(steps[-1], Dequantize):
        raise AccelscopeError("compile: the last accelerator layer must output int32 logits")
    gemms = steps[1:-1]
    for i, s in enumerate(gemms):
        if not isinstance(s, GemmStep) or s.layout is not None:
            what = s.kind if not isinstance(s, GemmStep) else "im2col"
            raise AccelscopeError(f"compile: step {i + 1} ({what}) runs on the host between accelerator layers; "
                                  f"a bundle chains Linear/ReLU layers on chip (use `accelscope eval` for CNNs)")
        if s.out_int8 == (i == len(gemms) - 1):
            raise AccelscopeError(f"compile: layer {s.name}: only the last layer may output int32")
    return gemms  # type: ignore[return-value]


def lebug_memories(cfg: TopConfig, tap: str | Firmware, tap_args: dict[str, int],
                   thresholds: np.ndarray | None = None
                   ) -> tuple[list[MemorySpec], dict[str, np.ndarray], list[RegisterWrite]]:
    """LeBug's part of a bundle: firmware words (a library name with tap_args, or compiled
    firmware), thresholds (given, the firmware's own, or 0, 1, 2, ...)."""
    fw = tap if isinstance(tap, Firmware) else build(tap, cfg.lebug, **tap_args)
    thr = thresholds if thresholds is not None else (fw.thresholds if fw.thresholds is not None
                                                     else default_thresholds(cfg.lebug))
    words = np.array(encode_firmware(fw, cfg.lebug), dtype=np.uint64)
    chains = np.stack([(words & np.uint64(0xFFFFFFFF)).astype(np.uint32), (words >> np.uint64(32)).astype(np.uint32)], 1)
    mems = [MemorySpec("lebug_chains", tr.LEBUG_BASE + lb.CHAIN_BASE, 64, len(words), cfg.lebug.MAX_CHAINS, 8,
                       "lebug_chains.hex"),
            MemorySpec("lebug_thresh", tr.LEBUG_BASE + lb.THRESH_BASE, 32, len(thr), cfg.lebug.n_thresholds, 4,
                       "lebug_thresh.hex")]
    images = {"lebug_chains": chains, "lebug_thresh": lanes_to_chunks(np.asarray(thr).reshape(-1, 1), 32)}
    regs = [RegisterWrite("lebug.NUM_CHAINS", tr.LEBUG_BASE + lb.REG_NUM_CHAINS, fw.num_chains),
            RegisterWrite("lebug.CTRL.clear", tr.LEBUG_BASE + lb.REG_CTRL, lb.CTRL_CLEAR),
            RegisterWrite("lebug.CTRL.enable", tr.LEBUG_BASE + lb.REG_CTRL, lb.CTRL_ENABLE)]
    return mems, images, regs


def systolic_bundle_parts(cfg: TopConfig, descriptors: list[Descriptor], images: dict[str, np.ndarray]
                          ) -> tuple[list[MemorySpec], dict[str, np.ndarray], list[RegisterWrite]]:
    """Memories (non-empty scratchpads and the command memory) and NUM_DESC."""
    mems, imgs = [], {}
    cmd = np.array([d.encode() for d in descriptors], dtype=np.uint32)
    for name, mem in tr.SYS_MEMS.items():
        if mem == "cmd":
            chunks = cmd
        else:
            words = images.get(mem)
            if words is None or len(words) == 0:
                continue
            chunks = lanes_to_chunks(words, 8 if mem in ("act", "wgt") else 32)
        mems.append(MemorySpec(name, tr.SYS_BASE + sy.BASE[mem], tr.sys_mem_width(cfg, mem), len(chunks),
                               tr.sys_mem_capacity(cfg, mem), 4 * sy.chunks(cfg.sys, mem), f"{name}.hex"))
        imgs[name] = chunks
    regs = [RegisterWrite("sys.NUM_DESC", tr.SYS_BASE + sy.REG_NUM_DESC, len(descriptors))]
    return mems, imgs, regs


def memory_plan(cfg: TopConfig, gemms: list[GemmStep], descriptors: list[Descriptor],
                images: dict[str, np.ndarray]) -> dict[str, object]:
    """The static memory plan: where every tensor lives, and how full each scratchpad is."""
    tensors = []
    for g, d in zip(gemms, descriptors):
        kt, nt = d.kt(cfg.sys.K), d.nt(cfg.sys.K)
        tensors += [
            {"tensor": f"{g.name}.input", "memory": "sys_act", "base": d.a_base, "words": d.m * d.a_stride},
            {"tensor": f"{g.name}.weight", "memory": "sys_wgt", "base": d.b_base, "words": nt * kt * cfg.sys.K},
            {"tensor": f"{g.name}.bias_quant", "memory": "sys_bias+sys_quant", "base": d.bq_base, "words": nt},
            {"tensor": f"{g.name}.output", "memory": "sys_act" if d.int8 else "sys_out",
             "base": d.d_base if d.int8 else d.c_base, "words": d.m * (d.d_stride if d.int8 else d.c_stride)},
        ]
    use = {f"sys_{m}": {"words": int(len(images.get(m, ()))), "capacity": tr.sys_mem_capacity(cfg, m)}
           for m in ("act", "wgt", "bias", "quant", "out")}
    return {"tensors": tensors, "scratchpads": use}


def compile_network(net: Network, x: np.ndarray, cfg: TopConfig, tap: str | Firmware = "distribution",
                    tap_args: dict[str, int] | None = None, tap_name: str | None = None,
                    source: str | None = None) -> Compiled:
    """Quantize on `x` (float batch), lay out every layer, and build the bundle. `source` (the
    network's file) prefixes the errors about the network itself."""
    x = np.asarray(x, np.float32)
    try:
        qnet = quantize(net, x, "full_int8", mult_bits=MULT_BITS)
        gemms = chained_gemms(qnet)
    except AccelscopeError as err:
        if source is None:
            raise
        raise AccelscopeError(f"{source}: {err}") from None
    x_int8 = quantize_tensor(x.reshape(len(x), -1), qnet.steps[0].scale).astype(np.int64)
    jb = JobBuilder(cfg.sys)
    base, stride = jb.put_matrix(x_int8)
    for g in gemms:
        base, stride = jb.layer(base, stride, len(x), g.b, bias=g.bias, relu=g.relu,
                                quant=(g.mult, g.shift) if g.out_int8 else None)
    images = jb.images()
    images.pop("out", None)  # int32 destinations are written by the run, not loaded
    smems, simgs, sregs = systolic_bundle_parts(cfg, jb.descriptors, images)
    lmems, limgs, lregs = lebug_memories(cfg, tap, tap_args or {})
    bundle = Bundle(None, cfg.hardware(), tr.regions(cfg), smems + lmems, sregs + lregs, {**simgs, **limgs},
                    plan=memory_plan(cfg, gemms, jb.descriptors, images),
                    extra={"network": {"layers": [g.name for g in gemms], "batch": len(x),
                                       "output": {"memory": "sys_out", "base": base, "stride": stride,
                                                  "rows": len(x), "cols": gemms[-1].n}},
                           "tap": {"firmware": tap_name or (tap if isinstance(tap, str) else "firmware file"),
                                   "args": tap_args or {}}})
    return Compiled(bundle, qnet, jb.descriptors, x_int8)
