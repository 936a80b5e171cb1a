"""A two-layer network from random weights, compiled into a bundle (tests and demos)."""

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
