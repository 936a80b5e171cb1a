"""Bundle parts shared by every compiler path (docs/bundle.md): the systolic block's memories,
images and NUM_DESC record for a descriptor list, and LeBug's firmware and threshold memories
for a tap program. pymodel/top/network.py compiles whole networks from them, and
pymodel/deploy/gemm_calls.py the one-descriptor bundles of `accelscope eval`."""

from __future__ import annotations

import numpy as np

from pymodel.bundle import MemorySpec, RegisterWrite, lanes_to_chunks
from pymodel.lebug import Firmware, build, default_thresholds, encode_firmware
from pymodel.lebug import regmap as lb
from pymodel.systolic import regmap as sy
from pymodel.systolic.descriptor import Descriptor
from pymodel.top import regmap as tr
from pymodel.top.config import TopConfig


def lebug_memories(cfg: TopConfig, tap: str | Firmware, tap_args: dict[str, int],
                   thresholds: np.ndarray | None = None
                   ) -> tuple[list[MemorySpec], dict[str, np.ndarray], list[RegisterWrite]]:
    """LeBug's part of a bundle: firmware words (a library name with tap_args, or compiled
    firmware), thresholds (given, the firmware's own, or 0, 1, 2, ...)."""
    fw = tap if isinstance(tap, Firmware) else build(tap, cfg.lebug, **tap_args)
    thr = thresholds if thresholds is not None else (fw.thresholds if fw.thresholds is not None
                                                     else default_thresholds(cfg.lebug))
    thr = np.asarray(thr, dtype=np.int64).ravel()
    if 0 < len(thr) < cfg.lebug.n_thresholds:
        # filter rows the firmware's chains do not use still need defined thresholds (the emulator and
        # the hardware read the whole memory): the last edge repeated gives them empty bins (T, T]
        thr = np.concatenate([thr, np.full(cfg.lebug.n_thresholds - len(thr), thr[-1])])
    words = np.array(encode_firmware(fw, cfg.lebug), dtype=np.uint64)
    chains = np.stack([(words & np.uint64(0xFFFFFFFF)).astype(np.uint32),
                       (words >> np.uint64(32)).astype(np.uint32)], 1)
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
    regs = [RegisterWrite("sys.NUM_DESC", tr.SYS_BASE + sy.REG_NUM_DESC,
                          sy.num_desc_value(0, len(descriptors), cfg.sys))]  # FIRST = 0
    return mems, imgs, regs
