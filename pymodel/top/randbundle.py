"""A two-layer network from random weights, compiled into a bundle (tests and demos).

`compile_network` makes a self-contained bundle: a whole network (pymodel/top/network.py)
calibrated on one float batch, with that batch embedded in the activation image, so that
replaying the bundle alone runs it.

`random_bundle` is the constrained-random top case of `accelscope regress` (tb/regress,
docs/verification.md "Testplan"): 1..3 layers, random batch, random or library firmware
on the tap, and (`stress`) a batch large enough to overflow the tap FIFO."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pymodel.bundle import Bundle
from pymodel.bundle.inputs import InputBatch
from pymodel.errors import AccelscopeError
from pymodel.lebug import Firmware
from pymodel.lebug.randfw import random_firmware
from pymodel.net.layers import Linear, Network, ReLU
from pymodel.net.quant import QuantizedNetwork
from pymodel.net.steps import quantize_tensor
from pymodel.systolic.descriptor import Descriptor
from pymodel.top.config import TopConfig
from pymodel.top.network import compile_model, input_batches
from pymodel.top.tapmodel import tap_intake


@dataclass
class Compiled:
    bundle: Bundle
    qnet: QuantizedNetwork
    descriptors: list[Descriptor]
    x_int8: np.ndarray


def compile_network(net: Network, x: np.ndarray, cfg: TopConfig, tap: str | Firmware = "distribution",
                    tap_args: dict[str, int] | None = None, tap_name: str | None = None,
                    source: str | None = None) -> Compiled:
    """Compile `net` for one batch of len(x) images, calibrated on the float batch `x` itself, and
    embed x: the bundle runs x when replayed (the random bundles below, the top-level tests).
    `accelscope compile --input` embeds a batch too, but calibrates on the network's calibration
    set (compile_model, then CompiledNetwork.with_input). `source` (the network's file) prefixes
    the errors about the network itself."""
    x = np.asarray(x, np.float32)
    compiled = compile_model(net, x, cfg, len(x), tap=tap, tap_args=tap_args, tap_name=tap_name, source=source,
                             banks=1)  # one embedded batch, nothing streamed
    batch = compiled.input_batches(x)[0]
    x_int8 = quantize_tensor(x.reshape(len(x), -1), compiled.input.scale).astype(np.int64)
    return Compiled(compiled.with_input(batch), compiled.qnet, compiled.descriptors, x_int8)


def random_network(rng: np.random.Generator, sizes: tuple[int, int, int]) -> Network:
    f_in, hidden, f_out = sizes
    w1 = rng.normal(0, 1 / np.sqrt(f_in), (hidden, f_in)).astype(np.float32)
    w2 = rng.normal(0, 1 / np.sqrt(hidden), (f_out, hidden)).astype(np.float32)
    return Network((Linear(w1, rng.normal(0, 0.1, hidden).astype(np.float32)), ReLU(),
                    Linear(w2, rng.normal(0, 0.1, f_out).astype(np.float32))), (f_in,))


def distribution_args(cfg: TopConfig) -> dict[str, int]:
    return {"bins": cfg.lebug.M * min(cfg.lebug.FU_ROWS, cfg.lebug.MAX_CHAINS)}


def random_two_layer(cfg: TopConfig, seed: int, out: Path, batch: int = 6) -> Bundle:
    """Shapes that are not multiples of K, random weights and inputs, distribution on the tap."""
    rng = np.random.default_rng(seed)
    sizes = (int(rng.integers(5, 40)), int(rng.integers(3, 30)), int(rng.integers(2, 12)))
    net = random_network(rng, sizes)
    x = rng.normal(0, 1, (batch, sizes[0])).astype(np.float32)
    compiled = compile_network(net, x, cfg, "distribution", distribution_args(cfg))
    compiled.bundle.write(out)
    return compiled.bundle


def random_mlp(rng: np.random.Generator, sizes: list[int]) -> Network:
    """Linear layers sizes[0] -> sizes[1] -> ..., ReLU between them."""
    layers: list = []
    for i in range(1, len(sizes)):
        w = rng.normal(0, 1 / np.sqrt(sizes[i - 1]), (sizes[i], sizes[i - 1])).astype(np.float32)
        layers.append(Linear(w, rng.normal(0, 0.1, sizes[i]).astype(np.float32)))
        if i < len(sizes) - 1:
            layers.append(ReLU())
    return Network(tuple(layers), (sizes[0],))


def random_bundle(cfg: TopConfig, rng: np.random.Generator, out: Path, stress: bool = False) -> Bundle:
    """1..3 layers with sizes that are (mostly) not multiples of K, a batch of 1..12, and
    on the tap either random legal firmware (2 in 3) or the distribution histogram.
    `stress`: batch 600..1000, layers 6..10 tiles wide and a 3-chain tap firmware, so the accelerator
    outruns LeBug and the tap FIFO fills and drops rows."""
    if stress:  # 6..10 tiles of K a layer: the array's bursts of rows outrun LeBug at any K
        K = cfg.sys.K
        sizes = [int(rng.integers(4, 12)), int(rng.integers(6 * K, 10 * K)), int(rng.integers(6 * K, 10 * K))]
        batch = int(rng.integers(600, 1001))
        tap: str | Firmware = random_firmware(cfg.lebug, rng, min_chains=3, max_chains=3)
    else:
        sizes = [int(rng.integers(2, 40))] + [int(rng.integers(2, 30)) for _ in range(int(rng.integers(1, 4)))]
        batch = int(rng.integers(1, 13))
        tap = random_firmware(cfg.lebug, rng, cond2=0.5) if rng.random() < 2 / 3 else "distribution"
    net = random_mlp(rng, sizes)
    x = rng.normal(0, 1, (batch, sizes[0])).astype(np.float32)
    args = distribution_args(cfg) if tap == "distribution" else {}
    compiled = compile_network(net, x, cfg, tap, args,
                               tap_name=None if isinstance(tap, str) else "random")
    compiled.bundle.write(out)
    return compiled.bundle


def random_stream(cfg: TopConfig, rng: np.random.Generator, out: Path,
                  slow: bool = False) -> tuple[Bundle, list[InputBatch]]:
    """A compiled network (two banks: overlapped batches) and 2..6 input batches of 1..8 images: a
    random MLP of 1..3 layers, on the tap the distribution histogram or random legal firmware.
    `slow`: the firmware has MAX_CHAINS chains, so LeBug is as slow as the build allows, and the layers
    read one K-tile and are 3..6 tiles wide, so the array's rows come in bursts: LeBug falls behind (its
    backlog crosses batches, and a shallow tap FIFO drops rows)."""
    K = cfg.sys.K
    if slow:  # one K-tile of input, wide layers: the array's bursts of rows outrun LeBug
        sizes = [int(rng.integers(2, K + 1))] + [int(rng.integers(3 * K, 6 * K))
                                                 for _ in range(int(rng.integers(1, 4)))]
        batch = int(rng.integers(4, 9))
    else:
        sizes = [int(rng.integers(2, 40))] + [int(rng.integers(2, 30)) for _ in range(int(rng.integers(1, 4)))]
        batch = int(rng.integers(1, 9))
    net = random_mlp(rng, sizes)
    n_batches = int(rng.integers(2, 7))
    calib = rng.normal(0, 1, (32, sizes[0])).astype(np.float32)
    if slow:
        tap: str | Firmware = random_firmware(cfg.lebug, rng, min_chains=cfg.lebug.MAX_CHAINS, cond2=0.5)
    else:
        tap = random_firmware(cfg.lebug, rng, cond2=0.5) if rng.random() < 1 / 2 else "distribution"
    args = distribution_args(cfg) if tap == "distribution" else {}
    compiled = compile_model(net, calib, cfg, batch, tap=tap, tap_args=args,
                             tap_name=None if isinstance(tap, str) else "random")
    compiled.bundle.write(out)
    x = rng.normal(0, 1, (batch * n_batches - int(rng.integers(0, batch)), sizes[0])).astype(np.float32)
    return compiled.bundle, input_batches(compiled.bundle, x)


def tap_edge_rows(cfg: TopConfig, chains: int, past: bool) -> int | None:
    """Rows arriving on consecutive cycles that fill the tap FIFO to exactly TAP_DEPTH without a drop
    (`past`: that drop exactly one), LeBug at `chains` chains (the tap model); None beyond ACC_DEPTH
    rows (one GEMM's most)."""
    want = (int(past), cfg.TAP_DEPTH)
    for rows in range(cfg.TAP_DEPTH, cfg.sys.ACC_DEPTH + 1):
        got = tap_intake(np.arange(rows), cfg.TAP_DEPTH, cfg.vectors_per_row, cfg.lebug.IB_DEPTH, chains)
        if (got.drops, got.maxfill) == want:
            return rows
        if got.drops > want[0]:
            return None
    return None


def tap_edge_possible(cfg: TopConfig) -> bool:
    """One GEMM's rows can fill the build's tap FIFO (the fastest firmware that can: 2 chains)."""
    return cfg.lebug.MAX_CHAINS >= 2 and tap_edge_rows(cfg, 2, True) is not None


def tap_edge_bundle(cfg: TopConfig, rng: np.random.Generator, out: Path, past: bool) -> Bundle:
    """A one-layer network on one K-tile (a GEMM whose rows leave the array on consecutive cycles) with
    a batch that fills the tap FIFO to exactly TAP_DEPTH rows without a drop, or (`past`) drops exactly
    one row, under random firmware of 2..MAX_CHAINS chains (tap_edge_rows gives the batch)."""
    K, lb = cfg.sys.K, cfg.lebug
    fw = random_firmware(lb, rng, cond2=0.5, min_chains=2)
    rows = tap_edge_rows(cfg, fw.num_chains, past)
    if rows is None:
        raise AccelscopeError(f"tap_edge_bundle: {cfg.TAP_DEPTH} FIFO rows cannot be filled by one GEMM of at most "
                              f"{cfg.sys.ACC_DEPTH} rows at {fw.num_chains} chains (tap_edge_possible)")
    sizes = [int(rng.integers(1, K + 1)), int(rng.integers(1, K + 1))]
    net = random_mlp(rng, sizes)
    x = rng.normal(0, 1, (rows, sizes[0])).astype(np.float32)
    compiled = compile_network(net, x, cfg, fw, {}, tap_name="random")
    compiled.bundle.write(out)
    return compiled.bundle
