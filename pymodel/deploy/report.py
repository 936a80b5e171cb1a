"""Markdown report with PNG plots from an evaluation's results.json (docs/deploy.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pymodel import fileio
from pymodel.deploy.plots import plot_confusion, plot_histogram, plot_layers
from pymodel.deploy.stream_report import write_stream_report
from pymodel.errors import AccelscopeError


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
        return write_stream_report(results, res, out_dir)
    for key in ("accuracy", "confusion", "layers", "model"):
        if key not in res:
            raise AccelscopeError(f"{results}: missing {key!r} (not an accelscope eval result)")
    img = out_dir / "img"
    img.mkdir(parents=True, exist_ok=True)
    acc = res["accuracy"]
    lines = [f"# {res['model']}: evaluation report", "",
             f"Scenario `{res['scenario']}`; quantization `{res['mode']}`; {res['array']}x{res['array']} systolic "
             f"array; simulator `{res['simulator']}`; {res['rtl_images']} of {res['test_images']} test images "
             "on the RTL.",
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
                  "| # | layer | M x K x N | out | RTL calls | cycles | MACs | utilization | scratchpad bytes "
                  "(act/wgt/bias+quant/out) |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for i, lay in enumerate(res["layers"]):
            sp = lay["scratchpad_bytes"]
            lines.append(f"| {i} | {lay['layer']}{' (im2col)' if lay['im2col'] else ''} | "
                         f"{lay['m']} x {lay['k']} x {lay['n']} | "
                         f"{lay['out']} | {lay['calls']} | {lay['cycles']} | {lay['macs']} | "
                         f"{lay['utilization']:.3f} | "
                         f"{sp.get('sys_act', 0)} / {sp.get('sys_wgt', 0)} / "
                         f"{sp.get('sys_bias', 0) + sp.get('sys_quant', 0)} / {sp.get('sys_out', 0)} |")
        lines += ["", "![per-layer cycles and utilization](img/layers.png)", ""]
        lines += ["## LeBug activation histograms", "",
                  "Distribution firmware (16 bins) on the accelerator's output stream; the hardware histogram "
                  "(trace buffer, with the zero lanes of partial n-tiles removed) beside the integer model's. "
                  f"LeBug build `{res.get('lebug', 'int32')}`" + (" (values saturated to int16: an int32 layer's bins "
                  "cover at most -32768..32766)." if res.get("lebug") == "int16" else "."), ""]
        for i, lay in enumerate(res["layers"]):
            plot_histogram(lay, img / f"hist_{i}.png")
            lines += [f"### {lay['layer']}: {'equal' if lay['hist_match'] else 'DIFFERENT'}", "",
                      f"![histogram of {lay['layer']}](img/hist_{i}.png)", ""]
    plot_confusion(res, img / "confusion.png")
    lines += ["## Confusion matrix", "", "![confusion matrix](img/confusion.png)", ""]
    fileio.write_text(out_dir / "report.md", "\n".join(lines) + "\n")
    return out_dir / "report.md"
