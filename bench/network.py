"""The whole network on chip against the host in the loop (docs/performance.md, "Whole network").

Usage: .venv/bin/python -m bench.network [--images 360] [--runs 3] [--sim verilator]

For the example digits CNN and MLP at K=8 (`examples/digits_*.onnx`, quantized on the
digits training split), `--images` test images through each flow on cocotb + `--sim`:

- on chip (the whole network in one bundle): `accelscope compile` (batch 8: pooling fused into the CONV, two banks),
  the bundle programmed once, then the batches streamed through it, batch i+1's input and
  batch i-1's logits over APB while batch i runs (tb/top/stream.py). Measured twice: reading
  only the logits (what an inference costs), and with the debug read-back (LeBug trace rows
  after every batch, counters at the end: what `accelscope eval` does for the per-layer
  histograms); once more compiled `--banks 1 --no-fuse-pool` (a POOL descriptor, batches one
  after the other: the on-chip flow before the overlap); and compiled `--logits int8 --batch 24`
  (int8 logits, 4 a 32-bit read, requantized on a scale calibrated on the logits; batches of 24
  amortize each layer's pipeline fill and divide the 360 images: no padding).
- host in the loop (the flow before): every GEMM a bundle of its own, loaded over APB and
  run on the RTL; im2col, max-pooling and flattening in numpy between layers
  (tb/top/deploy.RtlGemm in "apb" mode, as pymodel.deploy.evaluate drives it, batches of 50).

Per inference: cycles from the first input write to the last logit read (the program
excluded on chip; the host's numpy steps count 0 cycles in the old flow, and its output
reads are counted at APB's 2 cycles a transfer), APB words (host-accelerator traffic).
Network efficiency: the sum over GEMM and CONV layers of M*ceil(KD/K)*ceil(N/K), for the real
images (the zero images padding a last batch are overhead), over those cycles. Images per
second: images over the simulation's wall time (median and spread over `--runs` runs; the
on-chip flow only, the old flow once). Every run's logits must equal the integer model's.
Writes bench/results/network.json; nothing is asserted on time.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import spread, write
from pymodel.bundle import load_bundle
from pymodel.deploy.gemm_calls import eval_config
from pymodel.net import digits
from pymodel.net.importers import load_onnx
from pymodel.top.config import TopConfig
from pymodel.top.network import (
    compile_model,
    default_calibration,
    host_logits,
    input_batches,
    integer_logits,
    network_cost,
    network_efficiency,
)
from tb.cli import main as accelscope
from tb.top.deploy import RtlGemm
from tb.top.stream import run_stream

ROOT = Path(__file__).resolve().parents[1]
MODELS = ("cnn", "mlp")
APB_CYCLES = 2  # an APB transfer: setup + access (tb/common/apb_host.v; an idle accelerator never holds PREADY)


def on_chip(kind: str, x: np.ndarray, want: np.ndarray, labels: np.ndarray, sim: str, runs: int, work: Path,
            options: tuple[str, ...] = ()) -> dict[str, Any]:
    b = work / f"{kind}_bundle{''.join(options)}"
    if accelscope(["compile", str(ROOT / "examples" / f"digits_{kind}.onnx"), "--out", str(b), *options]) != 0:
        raise SystemExit(f"bench/network.py: compile of digits_{kind}.onnx failed")
    bundle = load_bundle(b)
    batches = input_batches(bundle, x)
    B = batches[0].batch
    out: dict[str, Any] = {"batch": B, "batches": len(batches), "compile_options": list(options),
                           "layers": bundle.extra["network"]["layers"]}
    for label, debug in (("logits_only", False), ("with_debug_readback", True)):
        walls, cyc = [], None
        for _ in range(runs if not debug else 1):
            r = run_stream(bundle, batches, sim, debug=debug)
            if not np.array_equal(r.logits, want):
                raise SystemExit(f"bench/network.py: {kind} on chip: logits differ from the integer model")
            walls.append(r.result.wall_s)
            cyc = r.cycles
        assert cyc is not None
        w = cyc["apb_words"]
        per_img = cyc["inference"] / len(x)
        out[label] = {
            "cycles_per_inference": per_img, "program_cycles": cyc["program"], "overlap": cyc["overlap"],
            "per_batch": cyc["rounds"][len(cyc["rounds"]) // 2],  # a round in the middle of the stream
            "apb_words_per_inference": (w["input_per_batch"] + w["start_per_batch"] + w["logits_per_batch"]
                                        + w["debug_per_batch"]) * len(batches) / len(x),
            "apb_words": w, "sim_wall_s": spread(walls), "images_per_s": spread([len(x) / t for t in walls]),
            "efficiency": network_efficiency(bundle, len(x), cyc["inference"])}
    out["min_cycles_per_inference"] = network_cost(bundle).min_cycles / B  # a real image's (padding is overhead)
    out["accuracy"] = float(np.mean(host_logits(bundle, want).argmax(1) == labels))
    out["systolic_cycles_per_inference"] = bundle.extra["network"]["cost"]["cycles"] / B
    out["input_logit_words_per_inference"] = (w["input_per_batch"] + w["logits_per_batch"]) / B
    return out


def host_in_the_loop(kind: str, qnet: Any, x: np.ndarray, want: np.ndarray, sim: str, min_per_img: float
                     ) -> dict[str, Any]:
    rtl = RtlGemm(eval_config(8), sim=sim, mode="apb")
    last = qnet.gemms[-1]
    parts: list[np.ndarray] = []
    t0 = time.perf_counter()
    for b0 in range(0, len(x), 50):  # the int32 logits: the last GEMM's output, as integer_logits takes them
        qnet.run(x[b0:b0 + 50], gemm=rtl, trace=lambda i, s, a: parts.append(a) if s is last else None)
    wall = time.perf_counter() - t0
    got = np.concatenate(parts)
    if not np.array_equal(got, want):
        raise SystemExit(f"bench/network.py: {kind} host in the loop: logits differ from the integer model")
    calls = rtl.calls
    writes = sum(c.apb_writes for c in calls)
    reads = sum(c.apb_output_reads for c in calls)
    cycles = sum(c.prog_cycles + c.run_cycles for c in calls) + APB_CYCLES * reads
    n = len(x)
    return {"rtl_calls": sum(c.chunks for c in calls), "layers": [f"{c.m}x{c.k}x{c.n}" for c in calls],
            "cycles_per_inference": cycles / n, "systolic_cycles_per_inference": sum(c.cycles for c in calls) / n,
            "apb_words_per_inference": (writes + reads) / n, "apb_writes_per_inference": writes / n,
            "apb_output_reads_per_inference": reads / n, "efficiency": min_per_img / (cycles / n),
            "wall_s": wall, "images_per_s": n / wall}


def main(argv: list[str] | None = None) -> int:
    from tqdm import tqdm

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=360, help="digits test images (default: the whole split, 360)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sim", default="verilator", choices=["verilator", "icarus"])
    args = ap.parse_args(argv)
    res: dict[str, Any] = {"images": args.images, "sim": args.sim, "array": 8, "models": {}}
    with tempfile.TemporaryDirectory() as tmp, tqdm(total=4 * len(MODELS), desc="network bench", unit="flow") as bar:
        for kind in MODELS:
            net = load_onnx(ROOT / "examples" / f"digits_{kind}.onnx")
            qnet = compile_model(net, default_calibration(net), TopConfig.for_array(8), 8).qnet
            x = digits.inputs(kind)[:args.images]
            want = integer_logits(qnet, x)
            y = digits.load().y_test[:args.images]
            chip = on_chip(kind, x, want, y, args.sim, args.runs, Path(tmp))
            bar.update()
            seq = on_chip(kind, x, want, y, args.sim, 1, Path(tmp), options=("--banks", "1", "--no-fuse-pool"))
            bar.update()
            q8 = compile_model(net, default_calibration(net), TopConfig.for_array(8), 8, logits="int8").qnet
            chip8 = on_chip(kind, x, integer_logits(q8, x), y, args.sim, args.runs, Path(tmp),
                            options=("--logits", "int8", "--batch", "24"))
            bar.update()
            host = host_in_the_loop(kind, qnet, x, want, args.sim, chip["min_cycles_per_inference"])
            bar.update()
            res["models"][kind] = {"on_chip": chip, "on_chip_one_bank_pool_descriptor": seq,
                                   "on_chip_int8_logits_batch24": chip8, "host_in_the_loop": host}
    path = write("network", res)
    for kind, m in res["models"].items():
        c, h = m["on_chip"]["logits_only"], m["host_in_the_loop"]
        c1 = m["on_chip_one_bank_pool_descriptor"]["logits_only"]
        c8 = m["on_chip_int8_logits_batch24"]["logits_only"]
        print(f"{kind}: on chip {c['cycles_per_inference']:.1f} cycles/inference, {c['apb_words_per_inference']:.1f} "
              f"APB words, efficiency {c['efficiency']:.3f} (one bank, POOL descriptor: {c1['efficiency']:.3f}; "
              f"int8 logits, batch 24: {c8['efficiency']:.3f}, {c8['apb_words_per_inference']:.2f} APB words), "
              f"{c['images_per_s']['median']:.0f} images/s; "
              f"host in the loop {h['cycles_per_inference']:.1f} cycles, {h['apb_words_per_inference']:.1f} APB words, "
              f"efficiency {h['efficiency']:.3f}")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
