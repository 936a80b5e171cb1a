"""The `accelscope` command line (docs/cli.md). Model-only commands use pymodel; commands
that simulate go through tb.runner, whose SIMULATORS registry gives every --sim choice."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pymodel import fileio
from pymodel.bundle import load_bundle
from pymodel.bundle.bundle import MANIFEST, check_prog_targets
from pymodel.bundle.inputs import load_input, write_batches
from pymodel.compare import first_mismatch
from pymodel.deploy.evaluate import check_model, evaluate
from pymodel.deploy.report import write_report
from pymodel.deploy.scenario import load_scenario
from pymodel.errors import AccelscopeError
from pymodel.lebug import Firmware, LebugConfig, build, default_thresholds, emulate, to_raw, to_real
from pymodel.lebug.fwtext import disassemble, load_firmware_file
from pymodel.lebug.regmap import trace_from_mem
from pymodel.net import digits
from pymodel.net.importers import load_json, load_onnx
from pymodel.net.layers import Network
from pymodel.systolic.config import MAX_DEPTH
from pymodel.systolic.scenarios import gemm
from pymodel.top.config import TopConfig
from pymodel.top.model import expected
from pymodel.top.network import (
    LOGIT_DTYPES,
    check_batch,
    compile_model,
    default_calibration,
    format_plan,
    host_logits,
    input_batches,
    network_meta,
    program_id,
    read_logits,
)
from pymodel.top.taprate import check_tap_rate, tap_rate
from tb.lebug.jobs import run_lebug
from tb.regress.cases import BLOCKS
from tb.regress.engine import regress
from tb.regress.options import Options
from tb.runner import NATIVE_SIMS, SIMULATORS, check_simulator
from tb.sims import registry, run_lebug_test
from tb.systolic.jobs import gemm_on_rtl
from tb.top.evaluation import rtl_gemm_factory, rtl_stream, scenario_sims, summary
from tb.top.jobs import replay
from tb.top.stream import format_results, stream_results


def load_npy(path: str, what: str) -> np.ndarray:
    """np.load of plain arrays only (allow_pickle=False); one clear error naming the file."""
    try:
        with fileio.quiet_npy_headers():
            arr = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise AccelscopeError(f"{what}: {path}: no such file") from None
    except IsADirectoryError:
        raise AccelscopeError(f"{what}: {path}: is a directory, not a .npy file") from None
    except EOFError:
        raise AccelscopeError(f"{what}: {path}: empty file, not a .npy array") from None
    except fileio.NPY_ERRORS as e:  # a damaged header or archive included
        raise AccelscopeError(f"{what}: {path}: not a plain .npy array ({e})") from None
    if not isinstance(arr, np.ndarray):  # an .npz archive under a .npy name
        if hasattr(arr, "close"):
            arr.close()
        raise AccelscopeError(f"{what}: {path}: an .npz archive, not a plain .npy array")
    return arr


def one_line(text: str) -> str:
    """The error as one printable line: a newline, carriage return or other control character
    that came from the input (a key, a token, a file name) is shown escaped."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def positive(value: int, flag: str) -> int:
    if value < 1:
        raise AccelscopeError(f"{flag} {value}: must be >= 1")
    return value


def parse_kv_ints(items: Sequence[str], flag: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        key, sep, val = item.partition("=")
        try:
            if not sep or not key:
                raise ValueError
            out[key.strip()] = int(val, 0)
        except ValueError:
            raise AccelscopeError(f"{flag} {item!r}: expected NAME=INT") from None
    return out


# --------------------------------------------------------------------------
# lebug
# --------------------------------------------------------------------------

def sim_choice(name: str, model: bool = True) -> str:
    """--sim: a simulator of tb.runner's registry (or "model"); one line listing them otherwise."""
    choices = [*SIMULATORS, *(["model"] if model else [])]
    if name not in choices:
        raise AccelscopeError(f"--sim {name!r}: choose one of: {', '.join(choices)}")
    return name


def lebug_firmware(args: argparse.Namespace, cfg: LebugConfig) -> tuple[Firmware, str]:
    """The firmware to run: a library program (with --arg) or --firmware-file."""
    if args.firmware_file:
        if args.firmware or args.arg:
            raise AccelscopeError("--firmware-file: give either a library firmware name (with --arg) or a file")
        return load_firmware_file(args.firmware_file, cfg), Path(args.firmware_file).stem
    if not args.firmware:
        raise AccelscopeError("lebug: name a library firmware or give --firmware-file FILE")
    return build(args.firmware, cfg, **parse_kv_ints(args.arg, "--arg")), args.firmware


def cmd_lebug(args: argparse.Namespace) -> int:
    sim = sim_choice(args.sim)
    cfg = LebugConfig.parse(args.config)
    fw, label = lebug_firmware(args, cfg)
    if args.disassemble:
        sys.stdout.write(disassemble(fw, cfg))
        return 0
    if not args.input or not args.out:
        raise AccelscopeError("lebug: --input and --out are required (except with --disassemble)")
    fileio.check_out_file(args.out, "--out")
    if sim != "model":
        check_simulator(sim)
    x = load_npy(args.input, "--input")
    if x.ndim != 2 or x.shape[1] != cfg.N:
        raise AccelscopeError(f"--input {args.input}: expected shape (n, N={cfg.N}), got {x.shape}")
    if not cfg.fixed and not np.issubdtype(x.dtype, np.integer):
        # NaN, inf and values beyond DATA_W are to_raw's errors below (no cast of them here)
        if not np.issubdtype(x.dtype, np.floating) or not np.all(np.mod(x[np.isfinite(x)], 1) == 0):
            raise AccelscopeError(f"--input {args.input}: integer mode (FRAC_W=0) needs integer values; "
                                  f"use --config FRAC_W=... for real numbers")
    eof = load_npy(args.eof, "--eof") if args.eof else np.zeros((len(x), 2), dtype=np.int64)
    if eof.shape != (len(x), 2):
        raise AccelscopeError(f"--eof {args.eof}: expected shape ({len(x)}, 2) (one row per vector of --input "
                              f"{args.input}), got {eof.shape}")
    if eof.dtype.kind not in "biuf" or not np.isin(eof, (0, 1)).all():
        bad = [v for v in np.unique(eof).tolist() if v not in (0, 1)][:3] if eof.dtype.kind in "biuf" else eof.dtype
        raise AccelscopeError(f"--eof {args.eof}: values must be 0 or 1, got {bad}")
    if args.thresholds:
        t = load_npy(args.thresholds, "--thresholds")
        if t.shape != (cfg.n_thresholds,):
            raise AccelscopeError(f"--thresholds {args.thresholds}: expected {cfg.n_thresholds} values "
                                  f"(FU_ROWS*M+1), got shape {t.shape}")
        thr = to_raw(t, cfg, f"--thresholds {args.thresholds}")
    else:
        thr = fw.thresholds if fw.thresholds is not None else default_thresholds(cfg)
    raw = to_raw(x, cfg, f"--input {args.input}")
    exp = emulate(cfg, fw, raw, eof, thr)
    trace = exp.trace
    if sim != "model":
        hw = run_lebug(cfg, fw, thr, raw, eof, sim)
        mismatch = first_mismatch(exp.tb_mem, hw.tb_mem)
        bad_status = {k: (v, hw.status.get(k)) for k, v in exp.status.as_dict().items() if hw.status.get(k) != v}
        if mismatch or bad_status:
            raise AccelscopeError(f"RTL disagrees with the model: trace {mismatch or 'equal'}; "
                                  f"status (expected, actual) {bad_status or 'equal'}")
        trace = trace_from_mem(hw.tb_mem, hw.status["rows"])
        print(f"RTL ({sim}) matches the model bit for bit; cycles {hw.result.cycles()}")
    fileio.save_npy(args.out, to_real(trace, cfg))
    print(f"{label}: {len(x)} vectors, {exp.status.rows} rows written, status {exp.status.as_dict()}; "
          f"wrote {len(trace)} rows to {args.out}")
    return 0


def _int_matrix(path: str, flag: str, ndim: int, lo: int, hi: int, what: str) -> np.ndarray:
    """An integer array (any integer dtype, or floats holding integers) with values in lo..hi."""
    x = load_npy(path, flag)
    if x.ndim != ndim:
        raise AccelscopeError(f"{flag} {path}: expected a {ndim}-D array, got shape {x.shape}")
    if x.size == 0:
        raise AccelscopeError(f"{flag} {path}: empty array (shape {x.shape})")
    if x.dtype.kind not in "iuf":  # not bool, complex, timedelta (a numpy "integer"), strings, ...
        raise AccelscopeError(f"{flag} {path}: expected {what} integers, got dtype {x.dtype}")
    if np.issubdtype(x.dtype, np.floating):
        if not np.all(np.isfinite(x)) or not np.all(np.mod(x, 1) == 0):
            raise AccelscopeError(f"{flag} {path}: expected {what} integers, got non-integer {x.dtype} values")
    mn, mx = x.min().item(), x.max().item()  # Python numbers: no cast of lo/hi to a narrow dtype
    if mn < lo or mx > hi:
        raise AccelscopeError(f"{flag} {path}: values must be {what} ({lo}..{hi}), got {mn}..{mx}")
    return x.astype(np.int64)


def cmd_gemm(args: argparse.Namespace) -> int:
    import json

    sim_choice(args.sim)
    fileio.check_out_file(args.out, "--out")
    if args.stats:
        fileio.check_out_file(args.stats, "--stats")
    a = _int_matrix(args.a, "--a", 2, -128, 127, "int8")
    b = _int_matrix(args.b, "--b", 2, -128, 127, "int8")
    if a.shape[1] != b.shape[0]:
        raise AccelscopeError(f"--a {args.a} is {a.shape[0]}x{a.shape[1]} but --b {args.b} is "
                              f"{b.shape[0]}x{b.shape[1]}: inner dimensions differ")
    for flag, dim in (("--a rows", a.shape[0]), ("--a columns", a.shape[1]), ("--b columns", b.shape[1])):
        if dim >= MAX_DEPTH:
            raise AccelscopeError(f"{flag}: {dim} exceeds the 16-bit descriptor field (max {MAX_DEPTH - 1})")
    bias = None
    if args.bias:
        bias = _int_matrix(args.bias, "--bias", 1, -(1 << 31), (1 << 31) - 1, "int32")
        if bias.shape != (b.shape[1],):
            raise AccelscopeError(f"--bias {args.bias}: expected shape ({b.shape[1]},) (one per output column of "
                                  f"--b {args.b}), got {bias.shape}")
    if sim_choice(args.sim) == "model":
        res = gemm(a, b, bias, args.relu, K=args.array)
    else:
        res = gemm_on_rtl(a, b, bias, args.relu, K=args.array, sim=args.sim)
    if res.problems:
        raise AccelscopeError(f"RTL ({args.sim}) disagrees with the model: " + "; ".join(res.problems))
    fileio.save_npy(args.out, res.c)
    st = res.stats()
    if args.stats:
        st["sim"] = args.sim
        fileio.write_text(args.stats, json.dumps(st, indent=1) + "\n")
    where = f"RTL ({args.sim}) matches the model bit for bit; " if res.hardware is not None else ""
    print(f"{where}C[{a.shape[0]} x {b.shape[1]}] int32 -> {args.out}; {st['cycles']} cycles, {st['macs']} MACs, "
          f"utilization {st['utilization']:.4f} on a {args.array}x{args.array} array")
    return 0


def load_batches(directory: str, bundle: Any) -> list:
    """--inputs DIR: every batch_NNN/ (accelscope inputs), validated, belonging to `bundle`."""
    d = Path(directory)
    if not d.is_dir():
        raise AccelscopeError(f"--inputs {d}: no such directory")
    dirs = sorted(p for p in d.iterdir() if p.is_dir() and p.name.startswith("batch_"))
    if not dirs:
        raise AccelscopeError(f"--inputs {d}: no batch_NNN directory (write them with `accelscope inputs`)")
    batches = [load_input(p) for p in dirs]
    for p, b in zip(dirs, batches):
        if b.program != program_id(bundle):
            raise AccelscopeError(f"--inputs {p}: input.json program: compiled for another bundle than {bundle.path}")
    return batches


def cmd_eval_bundle(args: argparse.Namespace) -> int:
    """eval BUNDLE: stream test images through one programmed chip (tb/top/stream.py)."""
    import json

    fileio.check_out_file(args.out, "--out")
    sim = sim_choice(args.sim or "icarus")
    if sim != "model":
        check_simulator(sim)
    bundle = load_bundle(Path(args.scenario))
    shape = tuple(network_meta(bundle)["input"]["shape"])
    labels = None
    if args.input:
        x = load_npy(args.input, "--input")
        if args.labels:
            labels = load_npy(args.labels, "--labels")
            if labels.ndim != 1 or len(labels) != len(x) or labels.dtype.kind not in "iu":
                raise AccelscopeError(f"--labels {args.labels}: expected {len(x)} integer labels, got "
                                      f"{labels.dtype} {labels.shape}")
    elif args.labels:
        raise AccelscopeError("--labels: give --input too")
    else:
        if shape not in ((64,), (1, 8, 8)):
            raise AccelscopeError(f"{args.scenario}: input shape {shape} is not a digits image; give --input X.npy")
        x = digits.inputs("mlp" if shape == (64,) else "cnn")
        labels = digits.load().y_test
    if args.samples is not None:
        n = positive(args.samples, "--samples")
        x, labels = x[:n], (labels[:n] if labels is not None else None)
    batches = input_batches(bundle, x, f"--input {args.input}" if args.input else "digits test images")
    res = stream_results(bundle, batches, sim, labels, progress=True)
    fileio.write_text(args.out, json.dumps(res, indent=1) + "\n")
    print(format_results(res))
    print(f"wrote {args.out}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    import json
    from dataclasses import replace

    if Path(args.scenario).is_dir():
        if not (Path(args.scenario) / "manifest.json").is_file():
            raise AccelscopeError(f"{args.scenario}: is a directory without manifest.json (eval takes a bundle "
                                  f"directory from `accelscope compile` or a scenario .json)")
        return cmd_eval_bundle(args)
    if args.input or args.labels:
        raise AccelscopeError("--input/--labels: only with a bundle directory (a scenario names its dataset)")

    fileio.check_out_file(args.out, "--out")
    sc = load_scenario(args.scenario, scenario_sims())
    if args.samples is not None:
        sc = replace(sc, samples=positive(args.samples, "--samples"))
    if args.sim is not None:
        sc = replace(sc, simulator=sim_choice(args.sim))

    check_model(sc)  # the model loads and fits the dataset before any simulator starts
    if sc.simulator != "model":
        check_simulator(sc.simulator)
    res = evaluate(sc, rtl_gemm=rtl_gemm_factory, rtl_stream=rtl_stream)
    fileio.write_text(args.out, json.dumps(res, indent=1) + "\n")
    print(summary(res))
    print(f"wrote {args.out}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    res = Path(args.results)
    out = Path(args.out) if args.out else res.parent / f"{res.stem}_report"
    fileio.check_out_dir(out, "--out")
    path = write_report(res, out)
    print(f"wrote {path} and {len(list((out / 'img').glob('*.png')))} plots in {out / 'img'}")
    return 0


def cmd_sim(args: argparse.Namespace) -> int:
    reg = registry()
    if args.test == "list":
        print("registered tests: " + ", ".join(reg))
        return 0
    if args.test not in reg:
        if Path(args.test).is_file():  # a LeBug firmware file (docs/lebug.md text format)

            return run_lebug_test(Path(args.test).stem, sim_choice(args.sim, model=False), args.waves,
                                  firmware_file=args.test)
        raise AccelscopeError(f"unknown test {args.test!r}; registered: {', '.join(reg)} "
                              f"(or a LeBug firmware file)")
    return reg[args.test](sim_choice(args.sim, model=False), args.waves)


TORCH_SUFFIXES = (".pt", ".pth", ".pkl", ".ckpt")


def load_network(path: str) -> Network:
    """A model file by its suffix: ONNX or JSON (+ npz beside it, docs/net.md)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".onnx":
        return load_onnx(path)
    if suffix == ".json":
        return load_json(path)
    if suffix in TORCH_SUFFIXES:
        raise AccelscopeError(f"{path}: a torch file holds serialized Python objects, which accelscope never loads; "
                              f"convert the module with pymodel.net.importers.from_torch (then "
                              "save_json or export_onnx)")
    raise AccelscopeError(f"{path}: expected an .onnx or .json (+npz) model (docs/net.md)")


def float_batch(path: str, flag: str, shape: Sequence[int]) -> np.ndarray:
    """A float batch (n, *shape) from a .npy: finite real numbers."""
    return check_batch(load_npy(path, flag), shape, f"{flag} {path}")


def cmd_compile(args: argparse.Namespace) -> int:
    if args.batch is not None:
        positive(args.batch, "--batch")
    out = fileio.check_out_dir(args.out, "--out")
    if out.exists() and any(out.iterdir()):
        raise AccelscopeError(f"--out {out}: directory exists and is not empty")
    net = load_network(args.network)
    lcfg = LebugConfig.parse(args.lebug_config, LebugConfig(N=args.array, M=min(4, args.array)))
    cfg = TopConfig(TopConfig.for_array(args.array).sys, lcfg, args.tap_depth)
    shape = tuple(net.input_shape)
    calib: np.ndarray | None
    if args.calib:
        calib = float_batch(args.calib, "--calib", shape)
    else:
        calib = default_calibration(net)
        if calib is None:
            raise AccelscopeError(f"{args.network}: input shape {shape} is not the digits' (64,) or (1, 8, 8): "
                                  f"give --calib X.npy, a float batch to calibrate the quantization on")
    x = float_batch(args.input, "--input", shape) if args.input else None
    batch = args.batch or (len(x) if x is not None else 8)
    if x is not None and len(x) > batch:
        raise AccelscopeError(f"--input {args.input}: {len(x)} images, more than --batch {batch} (a bundle embeds "
                              f"one batch; write the others with `accelscope inputs`)")
    tap: str | Firmware = args.tap
    tap_name = args.tap
    if args.tap_file:
        if args.tap_arg:
            raise AccelscopeError("--tap-file: --tap-arg applies to library firmware only")
        tap, tap_name = load_firmware_file(args.tap_file, cfg.lebug), Path(args.tap_file).name
    source = args.network + (f" (calibrated on --calib {args.calib})" if args.calib else "")
    tap_args = parse_kv_ints(args.tap_arg, "--tap-arg")
    compiled = compile_model(net, calib, cfg, batch, tap=tap, tap_args=tap_args,
                             tap_name=tap_name, source=source, fuse_pool=not args.no_fuse_pool, banks=args.banks,
                             logits=args.logits)
    bundle = compiled.bundle
    rate = tap_rate(bundle)
    check_tap_rate(rate, args.network)
    if x is not None:
        bundle = compiled.with_input(compiled.input_batches(x)[0])
    bundle.write(out)
    cost = compiled.cost()
    print(f"{out}: {len(compiled.descriptors)} layers ({', '.join(compiled.bundle.extra['network']['layers'])}) "
          f"x {len(compiled.bundle.extra['network']['lists'])} banks "
          f"on a {cfg.sys.K}x{cfg.sys.K} array, batch {batch}, tap {tap_name} on LeBug N={cfg.lebug.N}; "
          f"{len(bundle.memories)} memories, {len(bundle.records())} PROG records; "
          + (f"input: {len(x)} images embedded" if x is not None else "no input (write batches with "
             "`accelscope inputs`)"))
    print(format_plan(bundle.plan))
    print(f"per batch of {batch}: {cost.cycles} cycles ({cost.cycles / batch:.1f} an image), {cost.macs} MACs, "
          f"utilization {cost.utilization:.3f}; APB words: {cost.apb_program_words} to program once, "
          f"{cost.apb_input_words} input + {cost.apb_start_words} start a batch, {cost.logits_read_words} logit reads")
    print(rate.describe())
    return 0


def cmd_inputs(args: argparse.Namespace) -> int:
    out = fileio.check_out_dir(args.out, "--out")
    if out.exists() and any(out.iterdir()):
        raise AccelscopeError(f"--out {out}: directory exists and is not empty")
    bundle = load_bundle(Path(args.bundle))
    x = load_npy(args.input, "--input")
    batches = input_batches(bundle, x, f"--input {args.input}")
    dirs = write_batches(out, batches)
    b = batches[-1]
    print(f"{out}: {len(dirs)} batch{'es' if len(dirs) > 1 else ''} of {b.batch} images ({len(x)} images"
          + (f", the last padded with {b.batch - b.images} zero images" if b.images < b.batch else "")
          + f"); each {len(b.words)} ACT words at word {b.base}, {len(b.records())} APB records")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    check_simulator(sim_choice(args.sim, model=False))
    if args.sim == "verilator-native" and args.waves:
        raise AccelscopeError("--waves: not available with --sim verilator-native; use --sim icarus or verilator")
    path = Path(args.bundle)
    bundle = load_bundle(path)  # the whole bundle is validated before anything is applied
    fileio.check_out_file(path / "results.json", "replay: results")
    if args.inputs:
        if args.waves:
            raise AccelscopeError("--inputs: no --waves for a stream (use a bundle with an embedded batch)")
        res = stream_results(bundle, load_batches(args.inputs, bundle), args.sim, mode=args.mode, progress=True)
        fileio.write_text(path / "results.json", json.dumps(res, indent=1) + "\n")
        print(format_results(res))
        print(f"wrote {path / 'results.json'}")
        return 0
    net_input = (bundle.extra.get("network") or {}).get("input")
    if isinstance(net_input, dict) and not net_input.get("embedded"):
        raise AccelscopeError(f"{path}: a whole-network bundle without input: give --inputs DIR (batches from "
                              f"`accelscope inputs`), or compile it with --input")
    exp = expected(bundle)
    hw = replay(path, exp.cfg, args.mode, args.sim, waves=args.waves)  # raises unless equal to the model
    K = exp.cfg.sys.K
    c = hw.counters
    logits = None
    if isinstance(net_input, dict) and "out" in hw.mems:  # a whole network with its batch embedded

        addrs = exp.written()["out"]
        out = np.zeros((int(addrs.max()) + 1, K), np.int64)
        out[addrs] = hw.mems["out"]
        logits = read_logits(bundle, out, int(net_input["embedded"]), int(net_input.get("embedded_bank", 0)))
    results = {
        "bundle": str(path), "mode": args.mode, "sim": args.sim, "match": True,
        "systolic": {**c, "utilization": c["macs"] / (K * K * c["cycles"]) if c["cycles"] else 0.0},
        "per_descriptor": [pc.as_dict() for pc in exp.systolic.per_desc],
        "tap": {**hw.tap, "max_fill": hw.maxfill},
        "lebug": {"status": hw.lebug_status, "trace": exp.lebug.trace.tolist()},
        "outputs": {"logits": logits.tolist() if logits is not None else None,
                    "argmax": host_logits(bundle, logits).argmax(1).tolist()
                    if logits is not None and logits.ndim == 2 else None},
    }
    fileio.write_text(path / "results.json", json.dumps(results, indent=1) + "\n")
    print(f"replayed {len(bundle.records())} PROG records ({args.mode}) on {args.sim}: outputs, {len(hw.stream)} "
          f"stream rows, counters and {hw.lebug_status['rows']} LeBug trace rows equal the model")
    print(f"cycles {c['cycles']}, MACs {c['macs']}, utilization {results['systolic']['utilization']:.4f}; "
          f"tap {hw.tap}; wrote {path / 'results.json'}")
    return 0


def cmd_prog(args: argparse.Namespace) -> int:
    from pathlib import Path

    path = Path(args.bundle)
    if args.check:
        b = load_bundle(path, check_prog=True)
        TopConfig.from_hardware(b.hardware, str(path / MANIFEST))
        print(f"{path}: valid bundle: {len(b.memories)} memories, {len(b.registers)} registers, "
              f"{len(b.records())} PROG records match the images, every checksum matches")
        return 0
    # manifest and images are validated (checksums included); PROG is rewritten
    b = load_bundle(path, check_prog=False)
    TopConfig.from_hardware(b.hardware, str(path / MANIFEST))
    check_prog_targets(path)
    recs = b.rewrite_prog(path)
    print(f"{path}: wrote prog/0PROG_A and prog/0PROG_D ({len(recs)} records) and their checksums in {MANIFEST}")
    return 0


def cmd_regress(args: argparse.Namespace) -> int:
    """Seeded random cases per block, bit-exact against the models, with coverage (tb/regress)."""
    blocks = list(BLOCKS) if args.block == "all" else [args.block]
    if args.workers is not None and args.workers < 0:
        raise AccelscopeError(f"--workers {args.workers}: must be >= 0 (0: in this process, no Dask)")
    res = regress(Options(blocks=blocks, seeds=positive(args.seeds, "--seeds"), sim=args.sim,
                          first_seed=args.first_seed, out=Path(args.out), workers=args.workers,
                          scheduler=args.scheduler, chunk=args.chunk and positive(args.chunk, "--chunk"),
                          coverage=args.coverage, coverage_every=positive(args.coverage_every, "--coverage-every"),
                          progress=not args.quiet))
    for b, d in res["blocks"].items():
        t = d["functional"]["totals"]
        print(f"{b}: {d['passed']}/{d['cases']} passed; functional coverage {t['all']:.1f} % "
              f"(coverpoints {t['points']:.1f} %, crosses {t['crosses']:.1f} %)")
        for f in d["failures"]:
            print(f"  FAIL seed {f['seed']}: {f['error'][:160]}\n    rerun: {f['rerun']}")
    if res["code_coverage"]:
        tot = res["code_coverage"]["total"]
        print("code coverage of rtl/: " + ", ".join(f"{k} {v:.1f} %" for k, v in tot.items() if v is not None))
    print(f"report: {Path(args.out) / 'report.md'}")
    return 0 if res["passed"] else 1


# --------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    sims = ", ".join(SIMULATORS)
    p = argparse.ArgumentParser(prog="accelscope", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    lb = sub.add_parser("lebug", help="run LeBug firmware (library or --firmware-file) on an input stream")
    lb.add_argument("firmware", nargs="?", help="library firmware name (docs/lebug.md)")
    lb.add_argument("--firmware-file", help="firmware in the text format (docs/lebug.md, \"Firmware files\")")
    lb.add_argument("--disassemble", action="store_true", help="print the firmware in the text format and exit")
    lb.add_argument("--input", help="(n, N) .npy of input vectors")
    lb.add_argument("--eof", help="(n, 2) .npy of 0/1 end-of-frame bits")
    lb.add_argument("--thresholds", help="FU_ROWS*M+1 filter thresholds (.npy); default 0, 1, 2, ...")
    lb.add_argument("--config", default="", help="hardware parameters, e.g. N=8,M=4,DATA_W=32,FRAC_W=0")
    lb.add_argument("--arg", action="append", default=[], help="firmware argument NAME=INT (repeatable)")
    lb.add_argument("--sim", default="model", help="model (default) or a simulator: " + sims)
    lb.add_argument("--out", help="trace rows in write order (.npy)")
    lb.set_defaults(func=cmd_lebug)

    cp = sub.add_parser("compile", help="compile a whole network (ONNX or JSON+npz) into a bundle without input")
    cp.add_argument("network", help="MODEL.onnx, or MODEL.json with its npz beside it (docs/net.md)")
    cp.add_argument("--out", required=True, help="bundle directory to create")
    cp.add_argument("--batch", type=int, help="images per run, B (default: len(--input), else 8)")
    cp.add_argument("--array", type=int, default=8, help="systolic array size K (default 8)")
    cp.add_argument("--calib", help="float .npy (n, *input shape) to calibrate on (default: the digits training "
                                    "split for a digits-shaped input)")
    cp.add_argument("--input", help="float .npy (n <= B, *input shape): embed this batch, so that `replay` runs it")
    cp.add_argument("--tap", default="distribution", help="LeBug library firmware on the output stream")
    cp.add_argument("--tap-arg", action="append", default=[], help="tap firmware argument NAME=INT")
    cp.add_argument("--tap-file", help="tap firmware in the text format instead of a library name")
    cp.add_argument("--lebug-config", default="", help="LeBug parameters (default N=K, M=min(4,K))")
    cp.add_argument("--tap-depth", type=int, default=1024, help="tap FIFO depth in rows (default 1024)")
    cp.add_argument("--banks", type=int, choices=[1, 2], default=2,
                    help="input/logit regions and descriptor lists (default 2: the next batch's input and the "
                         "last batch's logits go over APB while a batch runs)")
    cp.add_argument("--no-fuse-pool", action="store_true",
                    help="run every MaxPool2d as its own POOL descriptor (the tap then sees the CONV's unpooled "
                         "rows), instead of fusing kernel=stride pools into the CONV before them")
    cp.add_argument("--logits", choices=list(LOGIT_DTYPES), default="int32",
                    help="int32 (default: the last layer's accumulators, 4 bytes a logit) or int8 (requantized "
                         "with a scale calibrated on the logits and written packed to OUT: 1 byte a logit)")
    cp.set_defaults(func=cmd_compile)

    ip = sub.add_parser("inputs", help="a float batch as input files (hex + APB records) for a compiled bundle")
    ip.add_argument("bundle", help="bundle directory (accelscope compile)")
    ip.add_argument("--input", required=True, help="float .npy (n, *input shape); split into batches of B")
    ip.add_argument("--out", required=True, help="directory to create: batch_000/, batch_001/, ...")
    ip.set_defaults(func=cmd_inputs)

    rp = sub.add_parser("replay", help="replay a bundle's PROG records into the RTL and compare with the model")
    rp.add_argument("bundle")
    rp.add_argument("--sim", default="icarus", help="simulator: " + sims)
    rp.add_argument("--mode", choices=["apb", "backdoor"], default="apb")
    rp.add_argument("--waves", action="store_true")
    rp.add_argument("--inputs", help="batch directories (accelscope inputs): program once, then stream them")
    rp.set_defaults(func=cmd_replay)

    pg = sub.add_parser("prog", help="(re)write or check a bundle's APB programming records")
    pg.add_argument("bundle")
    pg.add_argument("--check", action="store_true", help="validate the whole bundle, write nothing")
    pg.set_defaults(func=cmd_prog)

    gm = sub.add_parser("gemm", help="C = A @ B on the systolic array (model or RTL)")
    gm.add_argument("--a", required=True, help="(M, K) int8 .npy (integer values in -128..127)")
    gm.add_argument("--b", required=True, help="(K, N) int8 .npy (integer values in -128..127)")
    gm.add_argument("--bias", help="(N,) int32 .npy, added per output column")
    gm.add_argument("--relu", action="store_true", help="max(C, 0) after the bias")
    gm.add_argument("--array", type=int, default=8, help="array size K (power of 2, 2..32; default 8)")
    gm.add_argument("--sim", default="model", help="model (default) or a simulator: " + sims)
    gm.add_argument("--out", required=True, help="(M, N) int32 result .npy")
    gm.add_argument("--stats", help="JSON with cycles, MACs and utilization")
    gm.set_defaults(func=cmd_gemm)

    ev = sub.add_parser("eval", help="stream images through a compiled bundle (program once, then batches), "
                                     "or evaluate a scenario file (float, quantized, integer model, per-layer RTL)")
    ev.add_argument("scenario", help="bundle directory (accelscope compile) or scenario .json")
    ev.add_argument("--out", default="results.json")
    ev.add_argument("--samples", type=int, help="images to run (bundle: default every digits test image; "
                                                "scenario: override its number of RTL images)")
    ev.add_argument("--sim", help="simulator: model or " + sims + " (bundle default icarus)")
    ev.add_argument("--input", help="bundle: float .npy (n, *input shape) instead of the digits test images")
    ev.add_argument("--labels", help="bundle: (n,) integer labels of --input, for the accuracy")
    ev.set_defaults(func=cmd_eval)

    rep = sub.add_parser("report", help="Markdown report with PNG plots from results.json")
    rep.add_argument("results")
    rep.add_argument("--out", help="report directory (default: <results>_report beside it)")
    rep.set_defaults(func=cmd_report)

    sm = sub.add_parser("sim", help="run a registered simulation (make sim TEST=...)")
    sm.add_argument("test")
    sm.add_argument("--sim", default="icarus", help="simulator: " + sims)
    sm.add_argument("--waves", action="store_true")
    sm.set_defaults(func=cmd_sim)

    rg = sub.add_parser("regress", help="seeded random cases per block against the models, with coverage")
    rg.add_argument("--block", choices=["lebug", "systolic", "top", "all"], default="all")
    rg.add_argument("--seeds", type=int, default=100, help="random cases per block (default 100)")
    rg.add_argument("--first-seed", type=int, default=1, help="seeds are FIRST..FIRST+N-1 (default 1)")
    rg.add_argument("--sim", default="verilator-native",
                    help=f"{' or '.join(NATIVE_SIMS)} (tb.runner's registry: no Python in the loop; "
                         "default verilator-native)")
    rg.add_argument("--out", default="regress_out", help="directory for results.json, report.md, coverage.png")
    rg.add_argument("--workers", type=int, help="Dask LocalCluster workers (default: one per core; 0: no Dask)")
    rg.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://HOST:8786) instead")
    rg.add_argument("--chunk", type=int, help="seeds per Dask task (default: about 4 tasks per worker)")
    rg.add_argument("--coverage", action="store_true",
                    help="also code coverage (Verilator --coverage builds; lcov .info and HTML)")
    rg.add_argument("--coverage-every", type=int, default=1,
                    help="with --coverage: measure every Nth seed (the others run on the faster plain builds)")
    rg.add_argument("--quiet", action="store_true", help="no progress bar")
    rg.set_defaults(func=cmd_regress)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except AccelscopeError as e:
        print(f"accelscope: error: {one_line(str(e))}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
