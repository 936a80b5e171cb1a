"""The report of a streamed run (`accelscope eval BUNDLE`, `replay BUNDLE --inputs DIR`):
accuracy, cycles and APB words, the bundle's static memory plan and the per-layer LeBug
histograms from the single run (docs/deploy.md, "Report")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pymodel import fileio
from pymodel.deploy.plots import plot_histogram
from pymodel.errors import AccelscopeError

KEYS = ("images", "batch", "batches", "sim", "memory_plan", "histograms", "layers")


def _plan_lines(plan: dict[str, Any]) -> list[str]:
    lines = ["## Memory plan", "",
             f"Static, liveness-based (docs/bundle.md, \"Memory plan\"); peak of live activations: "
             f"{plan['peak']['bytes']} bytes of `{plan['peak']['memory']}` while `{plan['peak']['layer']}` runs.", "",
             "| scratchpad | used bytes | capacity bytes | peak live bytes |", "|---|---:|---:|---:|"]
    for name, r in plan["scratchpads"].items():
        lines.append(f"| `{name}` | {r['bytes']} | {r['capacity_bytes']} | {r['peak_bytes']} |")
    lines += ["", "| tensor | memory | written by | live (descriptors) | words | bytes |", "|---|---|---|---|---|---|"]
    for t in plan["tensors"]:
        lines.append(f"| {t['tensor']} | `{t['memory']}` | {t['producer']} | {t['live'][0]}..{t['live'][1]} | "
                     f"[{t['base']}, {t['end']}) | [{t['byte_base']}, {t['byte_end']}) |")
    return lines


def write_stream_report(results: Path, res: dict[str, Any], out_dir: Path) -> Path:

    missing = [k for k in KEYS if k not in res]
    if missing:
        raise AccelscopeError(f"{results}: missing {missing[0]!r} (not a complete stream result)")
    img = out_dir / "img"
    img.mkdir(parents=True, exist_ok=True)
    lines = [f"# `{res['bundle']}`: streamed run", "",
             f"{res['images']} images in {res['batches']} batches of {res['batch']}, one programmed chip, "
             f"simulator `{res['sim']}`. Logits equal the model's bit for bit: **{res['bit_exact']}**."
             + (f" Accuracy: **{res['accuracy']:.2%}**." if "accuracy" in res else ""), ""]
    c = res.get("cycles")
    if c:
        w = c["apb_words"]
        lines += ["## Cycles and host traffic", "", "| | cycles |", "|---|---:|",
                  f"| program (once) | {c['program']} |",
                  f"| per batch: input writes + start | {c['rounds'][-1]['write']} |",
                  f"| per batch: run (until the accelerator, tap and LeBug are done) | {c['rounds'][-1]['run']} |",
                  f"| per batch: reads ({'logits and debug read-back' if c['debug_reads'] else 'logits'}) | "
                  f"{c['rounds'][-1]['read']} |",
                  f"| per image, program excluded | {res['cycles_per_image']:.1f} |",
                  f"| network efficiency (shape-limited GEMM/CONV cycles / these cycles) | {res['efficiency']:.3f} |",
                  "",
                  f"APB words: {w['program']} to program once; per batch {w['input_per_batch']} input, "
                  f"{w['start_per_batch']} start, {w['logits_per_batch']} logits"
                  + (f", {w['debug_per_batch']} debug read-back." if w["debug_per_batch"] else "."), ""]
    lines += _plan_lines(res["memory_plan"]) + [""]
    hist = res["histograms"]
    src = "rtl" if "rtl" in hist else "model"
    lines += ["## LeBug per-layer histograms", "",
              "The tap firmware's histogram at the end of every layer (eof[0]), summed over the batches of the "
              "run; the RTL's trace rows beside the LeBug emulator's over the same stream. Zero lanes of partial "
              "tiles are counted in the bin holding 0.", ""]
    for i, name in enumerate(hist[src]):
        layer = {"layer": name, "out": "stream", "hist_edges": hist["edges"], "hist_hw": hist[src][name],
                 "hist_model": hist["model"][name]}
        plot_histogram(layer, img / f"hist_{i}.png", model_label="LeBug emulator")
        same = hist.get("rtl", hist["model"])[name] == hist["model"][name]
        lines += [f"### {name}: {'equal' if same else 'DIFFERENT'}", "", f"![histogram of {name}](img/hist_{i}.png)",
                  "", f"counts: {hist[src][name]}", ""]
    fileio.write_text(out_dir / "report.md", "\n".join(lines) + "\n")
    return out_dir / "report.md"
