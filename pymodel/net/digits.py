"""scikit-learn's bundled digits (8x8, 1797 images, no download) and the two example networks.

Data: `load_digits()`; input = pixel / 16 (float32 in [0, 1]); a stratified 80/20
train/test split with `random_state=0` (1437 / 360 images). The MLP sees (64,) vectors,
the CNN (1, 8, 8) images.

Training: `train.train` (numpy Adam, hand-written backprop), He-normal initialization,
fixed seeds, float32: bit-for-bit reproducible on the same machine (docs/net.md).

`python -m pymodel.net.digits [OUT_DIR]` trains both and writes
OUT_DIR/digits_{mlp,cnn}.{onnx,json,npz} (default: examples/).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from pymodel.net.float_model import predict
from pymodel.net.importers import export_onnx, save_json
from pymodel.net.layers import Conv2d, Flatten, Linear, MaxPool2d, Network, ReLU
from pymodel.net.train import TrainConfig, he_init, train

SPLIT_SEED = 0
TEST_FRACTION = 0.2
MLP_CONFIG = TrainConfig(epochs=40, batch=32, lr=3e-3, seed=1)
CNN_CONFIG = TrainConfig(epochs=40, batch=32, lr=3e-3, seed=2)


@dataclass(frozen=True)
class Digits:
    """The split: images (N, 1, 8, 8) float32 in [0, 1], labels (N,) int64."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def flat(self, which: str) -> np.ndarray:
        """'train' or 'test' images as (N, 64) vectors (MLP input)."""
        x = self.x_train if which == "train" else self.x_test
        return x.reshape(len(x), -1)


@lru_cache(maxsize=1)
def load() -> Digits:
    """Deterministic stratified 80/20 split of sklearn's digits, pixels scaled by 1/16."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    x = (data.images / 16.0).astype(np.float32)[:, None, :, :]
    y = data.target.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=TEST_FRACTION, stratify=y, random_state=SPLIT_SEED)
    for arr in (xtr, xte, ytr, yte):
        arr.setflags(write=False)
    return Digits(xtr, ytr, xte, yte)


def init_mlp(seed: int = 1) -> Network:
    """Linear 64->32, ReLU, Linear 32->10 with He-normal weights and zero biases."""
    rng = np.random.default_rng(seed)
    return Network((Linear(he_init((32, 64), 64, rng), np.zeros(32)), ReLU(),
                    Linear(he_init((10, 32), 32, rng), np.zeros(10))), (64,))


def init_cnn(seed: int = 2) -> Network:
    """Conv2d 1->8 3x3 pad 1, ReLU, MaxPool2d 2, Flatten, Linear 128->10."""
    rng = np.random.default_rng(seed)
    return Network((Conv2d(he_init((8, 1, 3, 3), 9, rng), np.zeros(8), (1, 1), (1, 1)), ReLU(), MaxPool2d((2, 2)),
                    Flatten(),
                    Linear(he_init((10, 128), 128, rng), np.zeros(10))), (1, 8, 8))


@lru_cache(maxsize=2)
def trained(kind: str) -> Network:
    """The trained 'mlp' or 'cnn' (cached per process; a few seconds each)."""
    d = load()
    if kind == "mlp":
        return train(init_mlp(MLP_CONFIG.seed), d.flat("train"), d.y_train, MLP_CONFIG)
    if kind == "cnn":
        return train(init_cnn(CNN_CONFIG.seed), d.x_train, d.y_train, CNN_CONFIG)
    raise ValueError(f"kind must be 'mlp' or 'cnn', got {kind!r}")


def inputs(kind: str, which: str = "test") -> np.ndarray:
    """The split's images shaped for the 'mlp' or 'cnn'."""
    d = load()
    return d.flat(which) if kind == "mlp" else (d.x_train if which == "train" else d.x_test)


def accuracy(network: Network, kind: str) -> float:
    """Float test accuracy of a digits network."""
    return float(np.mean(predict(network, inputs(kind)) == load().y_test))


def write_examples(out_dir: str | Path = "examples") -> dict[str, float]:
    """Train both networks and write their ONNX, JSON and npz files; returns the test accuracies."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    acc = {}
    for kind in ("mlp", "cnn"):
        net = trained(kind)
        export_onnx(net, out / f"digits_{kind}.onnx", name=f"digits_{kind}")
        save_json(net, out / f"digits_{kind}.json")
        acc[kind] = accuracy(net, kind)
    return acc


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    for kind, acc in write_examples(args[0] if args else "examples").items():
        print(f"digits_{kind}: float test accuracy {acc:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
