"""results.json, samples.jsonl, report.md, coverage.png and the coverage databases of one
`accelscope regress` run (docs/cli.md, docs/verification.md "Testplan").

Sign-off gates (OpenTitan's V2, applied per block): every functional coverpoint at 100 %,
crosses at >= 75 %, and line, branch and toggle code coverage at >= 90 % of rtl/.
"""

from __future__ import annotations

import json
from pathlib import Path

from pymodel import fileio
from tb.regress import codecov, funcov
from tb.regress.cases import COV_RUN, CaseResult, rerun_command
from tb.regress.options import Options
from tb.regress.sampling import sample_functional
from tb.runner import rtl_root

GATES = {"points": 100.0, "crosses": 75.0, "line": 90.0, "branch": 90.0, "toggle": 90.0}


def _plot(curves: dict[str, list[tuple[int, float]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for block, pts in curves.items():
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], label=block, drawstyle="steps-post")
    ax.set_xlabel("seeds run")
    ax.set_ylabel("functional coverage (% of bins)")
    ax.set_ylim(0, 101)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    ax.set_title("Functional coverage against seeds")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _code_coverage(opts: Options) -> dict | None:
    if not opts.coverage:
        return None

    d = opts.out / "code_coverage"
    merged = d / "merged.dat"  # written by the engine from the workers' counts
    points = len(codecov.read(merged))
    files, total = codecov.summarize(merged, rtl_root())
    codecov.write_info_and_html(merged, d / "merged.info", d / "html")
    holes = d / "holes.txt"
    with open(holes, "w") as f:
        for name, fc in files.items():
            for t in codecov.TYPES:
                for h in fc.holes[t]:
                    f.write(f"{name} {t} {h}\n")
    return {"points": points, "total": total, "merged_dat": str(merged), "info": str(d / "merged.info"),
            "html": str(d / "html" / "index.html"), "holes_file": str(holes),
            "files": {name: {"pct": {t: fc.pct(t) for t in codecov.TYPES}, "points": fc.points, "hit": fc.hit,
                             "line_holes": fc.holes["line"], "branch_holes": fc.holes["branch"],
                             "toggle_holes": codecov.toggle_holes(fc)}
                      for name, fc in files.items()}}


def write_outputs(opts: Options, results: list[CaseResult], timings: dict, retries: dict) -> dict:
    out = opts.out
    curves = sample_functional(opts.blocks, results)
    funcov.export(out / "functional_coverage.yml")
    fileio.write_text(out / "samples.jsonl", "".join(
        json.dumps({"block": r.block, "seed": r.seed, "ok": r.ok, "sample": r.sample}) + "\n" for r in results))
    code = _code_coverage(opts)
    blocks = {}
    for b in opts.blocks:
        rs = [r for r in results if r.block == b]
        items = funcov.summary(b)
        blocks[b] = {
            "cases": len(rs), "passed": sum(r.ok for r in rs),
            "failures": [{"seed": r.seed, "config": r.config, "kind": r.kind, "error": r.error,
                          "rerun": rerun_command(b, r.seed, opts.sim)} for r in rs if not r.ok],
            "configs": sorted({r.config for r in rs}),
            "case_s": round(sum(r.wall_s for r in rs) / max(1, len(rs)), 4),
            "functional": {"totals": funcov.totals(b),
                           "items": {i.name: {"kind": i.kind, "size": i.size, "covered": i.covered,
                                              "pct": round(i.pct, 2), "holes": i.holes} for i in items}},
            "curve": curves[b],
        }
    res = {"command": "accelscope regress", "blocks": blocks, "sim": opts.sim, "first_seed": opts.first_seed,
           "seeds": opts.seeds, "coverage_every": opts.coverage_every, "workers": opts.workers, "dask": retries,
           "scheduler": opts.scheduler, "timings": timings,
           "code_coverage": code, "passed": all(r.ok for r in results),
           "cases": [r.as_json(opts.sim) for r in results]}
    fileio.write_text(out / "results.json", json.dumps(res, indent=1))
    _plot(curves, out / "coverage.png")
    fileio.write_text(out / "report.md", markdown(res))
    return res


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.2f} %"


def _gate(v: float | None, gate: float) -> str:
    return "n/a" if v is None else ("met" if v >= gate else "NOT met")


def _dask_line(d: dict | None) -> str:
    if not d or not d["tasks"]:
        return "In one process (no Dask)."
    return (f"Dask: {d['tasks']} tasks, {d['retried']} of them run again after their worker was lost "
            f"({d['cases']} cases rerun; every seed has exactly one result).")


def markdown(res: dict) -> str:
    """The report: pass counts, failures with rerun commands, functional coverage with every
    hole, code coverage per file with its holes, the plot."""
    L = [f"# accelscope regress: {', '.join(res['blocks'])}", "",
         f"Seeds {res['first_seed']}..{res['first_seed'] + res['seeds'] - 1} per block on `--sim {res['sim']}` "
         f"(build {res['timings']['build_s']} s, run {res['timings']['run_s']} s). " + _dask_line(res.get("dask")), "",
         "| block | configurations | cases | passed | failed | s/case | functional (all bins) | coverpoints "
         "| crosses |",
         "|---|---|---|---|---|---|---|---|---|"]
    for b, d in res["blocks"].items():
        t = d["functional"]["totals"]
        L.append(f"| {b} | {', '.join(d['configs'])} | {d['cases']} | {d['passed']} | {d['cases'] - d['passed']} | "
                 f"{d['case_s']} | {_pct(t['all'])} | {_pct(t['points'])} | {_pct(t['crosses'])} |")
    L += ["", "![functional coverage against seeds](coverage.png)", "", "## Sign-off gates", "",
          "| block | coverpoints 100 % | crosses >= 75 % | line >= 90 % | branch >= 90 % | toggle >= 90 % |",
          "|---|---|---|---|---|---|"]
    code = res.get("code_coverage")
    for b, d in res["blocks"].items():
        t = d["functional"]["totals"]
        cc = _block_code(code, b)
        L.append(f"| {b} | {_gate(t['points'], GATES['points'])} | {_gate(t['crosses'], GATES['crosses'])} | "
                 + " | ".join(f"{_gate(cc.get(k), GATES[k])} ({_pct(cc.get(k))})" for k in ("line", "branch", "toggle"))
                 + " |")
    L += ["", "## Failures", ""]
    fails = [(b, f) for b, d in res["blocks"].items() for f in d["failures"]]
    if not fails:
        L.append("None: every case matched the model bit for bit.")
    for b, f in fails:
        L += [f"- **{b} seed {f['seed']}** ({f['config']}, {f['kind'] or 'before the run'}): {f['error']}",
              f"  rerun: `{f['rerun']}`"]
    L += ["", "## Functional coverage", ""]
    for b, d in res["blocks"].items():
        L += [f"### {b}", "", "| item | kind | bins | covered | % |", "|---|---|---|---|---|"]
        for name, it in d["functional"]["items"].items():
            L.append(f"| `{name}` | {it['kind']} | {it['size']} | {it['covered']} | {it['pct']:.1f} |")
        holes = [(n, it["holes"]) for n, it in d["functional"]["items"].items() if it["holes"]]
        L += ["", "Holes (bins never hit):" if holes else "Holes: none.", ""]
        for n, hs in holes:
            L.append(f"- `{n}`: {', '.join(hs)}")
        L.append("")
    L += ["## Code coverage", ""]
    if not code:
        L.append("Not measured (run with `--coverage`).")
    else:
        tot = code["total"]
        n_cov = sum(1 for c in res["cases"] if c.get("code_cov"))
        every = res.get("coverage_every", 1)
        which = ("every case" if every == 1 else
                 f"one seed in {every}, in runs of {COV_RUN} consecutive seeds ({n_cov} of {len(res['cases'])} cases)")
        L += [f"rtl/ merged over {which}: line {_pct(tot['line'])}, branch {_pct(tot['branch'])}, "
              f"toggle {_pct(tot['toggle'])} ({code['points']} points). lcov: `{code['info']}`, HTML: "
              f"`{code['html']}`, every hole: `{code['holes_file']}`.", "",
              "| file | line | branch | toggle |", "|---|---|---|---|"]
        for name, fc in code["files"].items():
            L.append(f"| `{name}` | " + " | ".join(_pct(fc["pct"][t]) for t in codecov.TYPES) + " |")
        L += ["", "Holes:", ""]
        for name, fc in code["files"].items():
            parts = []
            if fc["line_holes"]:
                parts.append("lines " + ", ".join(fc["line_holes"]))
            if fc["branch_holes"]:
                parts.append("branches " + ", ".join(fc["branch_holes"]))
            if fc["toggle_holes"]:
                parts.append("toggles " + "; ".join(fc["toggle_holes"]))
            if parts:
                L.append(f"- `{name}`: " + "; ".join(parts))
    return "\n".join(L) + "\n"


def _block_code(code: dict | None, block: str) -> dict:
    """Code coverage of the files a block's RTL directories hold (top: every file)."""
    if not code:
        return {}
    dirs = {"lebug": ("rtl/lebug/",), "systolic": ("rtl/systolic/",), "top": ("rtl/",)}[block]
    files = {n: f for n, f in code["files"].items() if n.startswith(dirs)}
    out = {}
    for t in codecov.TYPES:
        pts = sum(f["points"][t] for f in files.values())
        out[t] = round(100.0 * sum(f["hit"][t] for f in files.values()) / pts, 2) if pts else None
    return out
