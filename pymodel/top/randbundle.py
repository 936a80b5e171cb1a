"""A two-layer network from random weights, compiled into a bundle (tests and demos).

`random_bundle` is the constrained-random top case of `accelscope regress` (tb/regress,
docs/verification.md "Testplan"): 1..3 layers, random batch, random or library firmware
on the tap, and (`stress`) a batch large enough to overflow the tap FIFO."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pymodel.bundle import Bundle
from pymodel.net.layers import Linear, Network, ReLU
from pymodel.top.compile import compile_network
from pymodel.top.config import TopConfig


def random_network(rng: np.random.Generator, sizes: tuple[int, int, int]) -> Network:
    f_in, hidden, f_out = sizes
    w1 = rng.normal(0, 1 / np.sqrt(f_in), (hidden, f_in)).astype(np.float32)
    w2 = rng.normal(0, 1 / np.sqrt(hidden), (f_out, hidden)).astype(np.float32)
    return Network([Linear(w1, rng.normal(0, 0.1, hidden).astype(np.float32)), ReLU(),
                    Linear(w2, rng.normal(0, 0.1, f_out).astype(np.float32))], (f_in,))


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
    return Network(layers, (sizes[0],))


def random_bundle(cfg: TopConfig, rng: np.random.Generator, out: Path, stress: bool = False) -> Bundle:
    """1..3 layers with sizes that are (mostly) not multiples of K, a batch of 1..12, and
    on the tap either random legal firmware (2 in 3) or the distribution histogram.
    `stress`: batch 600..1000, wide layers and a 3-chain tap firmware, so the accelerator
    outruns LeBug and the tap FIFO fills and drops rows."""
    from pymodel.lebug.randfw import random_firmware

    if stress:
        sizes = [int(rng.integers(4, 12)), int(rng.integers(48, 80)), int(rng.integers(48, 80))]
        batch = int(rng.integers(600, 1001))
        tap: object = random_firmware(cfg.lebug, rng, min_chains=3, max_chains=3)
    else:
        sizes = [int(rng.integers(2, 40))] + [int(rng.integers(2, 30)) for _ in range(int(rng.integers(1, 4)))]
        batch = int(rng.integers(1, 13))
        tap = random_firmware(cfg.lebug, rng, cond2=0.5) if rng.random() < 2 / 3 else "distribution"
    net = random_mlp(rng, sizes)
    x = rng.normal(0, 1, (batch, sizes[0])).astype(np.float32)
    args = distribution_args(cfg) if tap == "distribution" else {}
    compiled = compile_network(net, x, cfg, tap, args, tap_name=None if isinstance(tap, str) else "random")  # type: ignore[arg-type]
    compiled.bundle.write(out)
    return compiled.bundle
