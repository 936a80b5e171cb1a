"""The mutation results: per block (rtl/ directory of the mutated module) generated, killed (by
the sweep, a fault test or an assertion), survived, equivalent (proven by yosys, or argued in one
line in tb/mutate/arguments.py), and the score killed / (generated - equivalent); every survivor
with its yosys mutation, source line and reason. bench/results/mutation.json keeps one entry per
run label (e.g. before and after new stimulus)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tb.mutate.arguments import ARGUMENTS
from tb.mutate.design import Mutant, Unit, rtl_dir_of
from tb.runner import rtl_root

GATE = 0.95  # the score every block must reach
BLOCKS = ("common", "lebug", "systolic", "top")


def relative(command: str) -> str:
    """A yosys mutate line with this checkout's paths made relative (rtl/...)."""
    return command.replace(str(rtl_root().parent) + "/", "")


def absolute(command: str) -> str:
    """relative() undone: the mutate line as yosys takes it on this checkout's prep.il."""
    root = str(rtl_root().parent) + "/"
    return command.replace("$rtl/", f"${root}rtl/").replace(" -src rtl/", f" -src {root}rtl/")


def rtl_digest() -> str:
    """sha256 of every rtl/ file (path and content): the design the mutants were made of."""
    import hashlib

    h = hashlib.sha256()
    for f in sorted(rtl_root().rglob("*")):
        if f.is_file():
            h.update(str(f.relative_to(rtl_root())).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def key(m: Mutant) -> str:
    """How tb/mutate/arguments.py names a mutant: unit and relative mutate line."""
    return f"{m.unit} {relative(m.command)}"


def classify(entry: dict[str, Any], proof: Any | None) -> None:
    """A survivor's proof (if any) and reason: proven equivalent, argued equivalent (arguments.py),
    or a survivor."""
    if proof is not None:
        entry["proof"] = {"status": proof.status, "how": proof.how}
    arg = ARGUMENTS.get(f"{entry['unit']} {entry['mutation']}")
    if proof is not None and proof.status == "equivalent":
        entry["reason"] = "equivalent: " + proof.how
    elif arg is not None:
        entry["reason"] = "equivalent (argued): " + arg
    else:
        entry["reason"] = "survivor: no kill, not shown equivalent"


def blocks_of(mutants: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The per-block counts and score of a run's mutant entries."""
    blocks: dict[str, dict[str, Any]] = {}
    for e in mutants:
        b = blocks.setdefault(rtl_dir_of(e["module"]), {"generated": 0, "killed": 0, "killed_by": {}, "survived": 0,
                                                       "equivalent": 0, "equivalent_proven": 0,
                                                       "equivalent_argued": 0, "modules": {}})
        b["generated"] += 1
        b["modules"][e["module"]] = b["modules"].get(e["module"], 0) + 1
        if e.get("by"):
            b["killed"] += 1
            b["killed_by"][e["by"]] = b["killed_by"].get(e["by"], 0) + 1
            continue
        b["survived"] += 1
        if e["reason"].startswith("equivalent (argued)"):
            b["equivalent"] += 1
            b["equivalent_argued"] += 1
        elif e["reason"].startswith("equivalent"):
            b["equivalent"] += 1
            b["equivalent_proven"] += 1
    for b in blocks.values():
        live = b["generated"] - b["equivalent"]
        b["score"] = round(b["killed"] / live, 4) if live else None
    return {k: blocks[k] for k in BLOCKS if k in blocks}


def document(opts: Any, todo: Sequence[tuple[Unit, Mutant]], results: Mapping[tuple[str, int], Mapping[str, str]],
             proofs: Mapping[tuple[str, int], Any], baseline: Mapping[str, Any], times: Mapping[str, Any]) -> dict:
    mutants = []
    for u, m in todo:
        r = results[(u.name, m.mutsel)]
        entry = {"unit": u.name, "mutsel": m.mutsel, "module": m.module, "mode": m.mode, "src": m.src,
                 "mutation": relative(m.command), **{k: v for k, v in r.items() if v}}
        if not r["by"]:
            classify(entry, proofs.get((u.name, m.mutsel)))
        mutants.append(entry)
    blocks = blocks_of(mutants)
    return {"rtl_digest": rtl_digest(), "seed": opts.seed, "mutants_requested": opts.mutants,
            "min_per_module": opts.min_per_module,
            "kill_set": "regress CI sweep (tests/test_regress.py seeds, verilator-native, stop at the first failing "
                        "case), then tb/<block>/test_<block>_faults.py (cocotb Verilator, fixed seed) on the fault "
                        "tests' configuration; assertions in the mutant build count as kills",
            "blocks": blocks, "baseline": dict(baseline),
            "times": dict(times), "mutants": mutants}


def write(doc: Mapping[str, Any], out: Path, label: str) -> None:
    """Under runs.<label> of `out` (other labels kept); written to a temporary file, then renamed."""
    out = Path(out)
    old: dict[str, Any] = {}
    if out.exists():
        try:
            old = json.loads(out.read_text())
        except json.JSONDecodeError:
            old = {}
    runs = dict(old.get("runs", {}))
    runs[label] = doc
    new = {"description": "make mutate (tb/mutate): mutants of rtl/ per block through the kill set; "
                          "docs/verification.md, Mutation", "runs": runs}
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=out.name, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(new, f, indent=1)
        f.write("\n")
    os.replace(tmp, out)


def table(doc: Mapping[str, Any]) -> str:
    """The per-block table (Markdown), then the survivors."""
    rows = ["| block | generated | killed (sweep / fault test / assertion) | survived | equivalent (proven / argued) "
            "| score |", "|---|---|---|---|---|---|"]
    for name, b in doc["blocks"].items():
        by = b["killed_by"]
        score = "-" if b["score"] is None else f"{b['score']:.3f}"
        rows.append(f"| {name} | {b['generated']} | {b['killed']} ({by.get('sweep', 0)} / {by.get('fault test', 0)} / "
                    f"{by.get('assertion', 0)}) | {b['survived']} | {b['equivalent']} ({b['equivalent_proven']} / "
                    f"{b['equivalent_argued']}) | {score} |")
    surv = [m for m in doc["mutants"] if not m.get("by")]
    if surv:
        rows.append("")
        rows.append(f"Survivors ({len(surv)}):")
        for m in surv:
            rows.append(f"- {m['unit']} #{m['mutsel']} {m['module']} {m['mode']} at {m['src']}: {m['reason']}")
    return "\n".join(rows)
