"""Markdown report with PNG plots from an evaluation's results.json (docs/deploy.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from pymodel import fileio
from pymodel.errors import AccelscopeError


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_layers(res: dict[str, Any], out: Path) -> None:
    plt = _plt()
    layers = res["layers"]
    names = [f"{i}: {l['layer'].split('(')[-1].rstrip(')')}\n{l['m']}x{l['k']}x{l['n']}" for i, l in enumerate(layers)]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.6))
    a.bar(names, [l["cycles"] for l in layers], color="tab:blue")
    a.set_ylabel("cycles (RTL)")
    a.set_title("Per-layer cycles")
    b.bar(names, [l["utilization"] for l in layers], color="tab:green")
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
    import io

    buf = io.BytesIO()
    fig.savefig(buf, dpi=100, format="png")
    fileio.write_bytes(out, buf.getvalue())


def load_results(results: Path) -> dict[str, Any]:
    """An eval or replay results.json (one error line naming the file otherwise)."""
    try:
        res = json.loads(Path(results).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AccelscopeError(f"{results}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise AccelscopeError(f"{results}: cannot read ({getattr(e, 'strerror', None) or e})") from None
    except json.JSONDecodeError as e:
        raise AccelscopeError(f"{results}:{e.lineno}: not valid JSON ({e.msg})") from None
    if not isinstance(res, dict):
        raise AccelscopeError(f"{results}: expected a JSON object (an accelscope eval result)")
    return res


def write_report(results: Path, out_dir: Path) -> Path:
    res = load_results(results)
    if res.get("kind") == "stream":
        from pymodel.deploy.stream_report import write_stream_report

        return write_stream_report(results, res, out_dir)
    for key in ("accuracy", "confusion", "layers", "model"):
        if key not in res:
            raise AccelscopeError(f"{results}: missing {key!r} (not an accelscope eval result)")
    img = out_dir / "img"
    img.mkdir(parents=True, exist_ok=True)
    acc = res["accuracy"]
    lines = [f"# {res['model']}: evaluation report", "",
             f"Scenario `{res['scenario']}`; quantization `{res['mode']}`; {res['array']}x{res['array']} systolic "
             f"array; simulator `{res['simulator']}`; {res['rtl_images']} of {res['test_images']} test images on the RTL.",
             "", "## Accuracy", "", "| model | images | accuracy |", "|---|---|---|",
             f"| float | {res['test_images']} | {acc['float']:.2%} |",
             f"| fake-quantized | {res['test_images']} | {acc['fake_quant']:.2%} |",
             f"| integer (numpy) | {res['test_images']} | {acc['integer']:.2%} |"]
    if "rtl" in acc:
        lines += [f"| integer (numpy), RTL images | {res['rtl_images']} | {acc['integer_on_rtl_images']:.2%} |",
                  f"| RTL | {res['rtl_images']} | {acc['rtl']:.2%} |", "",
                  f"RTL logits equal the integer model's bit for bit: **{res['bit_exact']}**."]
    lines += ["", "Host layers (not on the accelerator): " + ", ".join(res["host_layers"]) + ".", ""]
    if res["layers"]:
        plot_layers(res, img / "layers.png")
        lines += ["## Per-layer performance", "",
                  "| # | layer | M x K x N | out | RTL calls | cycles | MACs | utilization | scratchpad bytes (act/wgt/bias+quant/out) |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for i, l in enumerate(res["layers"]):
            sp = l["scratchpad_bytes"]
            lines.append(f"| {i} | {l['layer']}{' (im2col)' if l['im2col'] else ''} | {l['m']} x {l['k']} x {l['n']} | "
                         f"{l['out']} | {l['calls']} | {l['cycles']} | {l['macs']} | {l['utilization']:.3f} | "
                         f"{sp.get('sys_act', 0)} / {sp.get('sys_wgt', 0)} / "
                         f"{sp.get('sys_bias', 0) + sp.get('sys_quant', 0)} / {sp.get('sys_out', 0)} |")
        lines += ["", "![per-layer cycles and utilization](img/layers.png)", ""]
        lines += ["## LeBug activation histograms", "",
                  "Distribution firmware (16 bins) on the accelerator's output stream; the hardware histogram "
                  "(trace buffer, with the zero lanes of partial n-tiles removed) beside the integer model's. "
                  f"LeBug build `{res.get('lebug', 'int32')}`" + (" (values saturated to int16: an int32 layer's bins "
                  "cover at most -32768..32766)." if res.get("lebug") == "int16" else "."), ""]
        for i, l in enumerate(res["layers"]):
            plot_histogram(l, img / f"hist_{i}.png")
            lines += [f"### {l['layer']}: {'equal' if l['hist_match'] else 'DIFFERENT'}", "",
                      f"![histogram of {l['layer']}](img/hist_{i}.png)", ""]
    plot_confusion(res, img / "confusion.png")
    lines += ["## Confusion matrix", "", "![confusion matrix](img/confusion.png)", ""]
    fileio.write_text(out_dir / "report.md", "\n".join(lines) + "\n")
    return out_dir / "report.md"
