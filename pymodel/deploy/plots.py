"""PNG plots of the deployment reports (matplotlib, imported on first use, Agg backend):
per-layer cycles and utilization, the confusion matrix, a layer's LeBug histogram against
the model's."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

from pymodel import fileio


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_layers(res: dict[str, Any], out: Path) -> None:
    plt = _plt()
    layers = res["layers"]
    names = [f"{i}: {lay['layer'].split('(')[-1].rstrip(')')}\n{lay['m']}x{lay['k']}x{lay['n']}" for i,
             lay in enumerate(layers)]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.6))
    a.bar(names, [lay["cycles"] for lay in layers], color="tab:blue")
    a.set_ylabel("cycles (RTL)")
    a.set_title("Per-layer cycles")
    b.bar(names, [lay["utilization"] for lay in layers], color="tab:green")
    b.set_ylim(0, 1)
    b.set_ylabel("MACs / (K*K*cycles)")
    b.set_title(f"MAC utilization, {res['array']}x{res['array']} array")
    fig.tight_layout()
    _savefig(fig, out)
    plt.close(fig)


def plot_confusion(res: dict[str, Any], out: Path) -> None:
    plt = _plt()
    cm = np.asarray(res["confusion"])
    fig, ax = plt.subplots(figsize=(5, 4.4))
    ax.imshow(cm, cmap="Blues")
    for (i, j), v in np.ndenumerate(cm):
        if v:
            ax.text(j, i, str(v), ha="center", va="center", color="white" if v > cm.max() / 2 else "black",
                    fontsize=8)
    ax.set_xticks(range(len(cm)))
    ax.set_yticks(range(len(cm)))
    on_rtl = bool(res.get("rtl_images"))
    ax.set_xlabel("predicted (RTL)" if on_rtl else "predicted (integer model)")
    ax.set_ylabel("true label")
    ax.set_title(f"Confusion matrix, {res['rtl_images']} images on the RTL" if on_rtl else
                 f"Confusion matrix, integer model on {int(cm.sum())} images")
    fig.tight_layout()
    _savefig(fig, out)
    plt.close(fig)


def plot_histogram(layer: dict[str, Any], out: Path, model_label: str = "integer model") -> None:
    plt = _plt()
    edges = np.asarray(layer["hist_edges"])
    labels = [f"{edges[j] + 1}..{edges[j + 1]}" for j in range(len(edges) - 1)]
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(9, 3.4))
    ax.bar(x - 0.2, layer["hist_hw"], 0.4, label="LeBug trace (RTL)", color="tab:orange")
    ax.bar(x + 0.2, layer["hist_model"], 0.4, label=model_label, color="tab:gray")
    ax.set_xticks(x)
    ax.set_xticklabels(labels, rotation=45, ha="right", fontsize=7)
    ax.set_ylabel("values")
    ax.set_title(f"{layer['layer']} outputs ({layer['out']}): histogram")
    ax.legend()
    fig.tight_layout()
    _savefig(fig, out)
    plt.close(fig)


def _savefig(fig: Any, out: Path) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, dpi=100, format="png")
    fileio.write_bytes(out, buf.getvalue())
