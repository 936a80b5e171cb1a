"""tb/synth.py without yosys: the runs come from the block registry and the evaluation build, the
checks read yosys's JSON the way the driver writes it, and `make synth` is in the Makefile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pymodel.deploy.gemm_calls import eval_config
from tb import synth


def _write_run(work: Path, rtl_mems, gates_mems, coarse_types, gate_types, muls=1) -> None:
    def mem(name, src, depth, width):
        return {"type": "$mem_v2", "parameters": {"MEMID": "\\" + name, "SIZE": depth, "WIDTH": width},
                "attributes": {"src": src}}

    mul = {"type": "$mul", "parameters": {"A_WIDTH": 8, "B_WIDTH": 8, "Y_WIDTH": 16}, "attributes": {}}
    rtl = {f"m{i}": mem(*m) for i, m in enumerate(rtl_mems)} | {f"x{i}": mul for i in range(muls)}
    (work / "rtl_cells.json").write_text(json.dumps({"modules": {"top": {"cells": rtl}}}))
    (work / "gates_mems.json").write_text(json.dumps(
        {"modules": {"top": {"cells": {f"m{i}": mem(*m) for i, m in enumerate(gates_mems)}}}}))
    for name, types in (("coarse_stat.json", coarse_types), ("gates_stat.json", gate_types)):
        (work / name).write_text(json.dumps({"design": {"num_cells_by_type": types}}))


def _systolic_run() -> synth.Run:
    return next(r for r in synth.runs() if r.name == "systolic")


RAM = ("u_act.mem", "rtl/top/accel_top.v:1|rtl/systolic/systolic_ram.v:18.17-18.20|rtl/systolic/systolic.v:2", 16, 64)


def test_runs_use_the_block_registry_and_the_evaluation_build():
    runs = {r.name: r for r in synth.runs()}
    assert set(runs) == {"lebug_int32", "lebug_int16", "systolic", "accel_top"}
    top = runs["accel_top"]
    assert top.params == eval_config(8).params() and top.params["DATA_W"] == 16
    assert runs["lebug_int16"].params == eval_config(8).lebug.params()
    assert runs["lebug_int32"].params["DATA_W"] == 32 and runs["lebug_int32"].params["N"] == 8
    assert all(p.suffix == ".v" and "rtl" in p.parts for p in top.sources())
    assert {p.stem for p in top.sources()} >= {"accel_top", "tap_adapter", "lebug", "systolic_ram"}
    script = synth.script(top, Path("/w"))
    assert "synth -flatten -top accel_top -run begin:fine" in script and script.count("check -assert") == 2
    assert "chparam -set DATA_W 16 accel_top" in script and "memory_map" not in script


def test_analyse_counts_gates_flops_memories(tmp_path):
    _write_run(tmp_path, [RAM], [RAM], {"$alu": 3, "$mem_v2": 1},
               {"$_AND_": 10, "$_XOR_": 5, "$_SDFFE_PP0P_": 4, "$_DFF_P_": 2, "$mem_v2": 1}, muls=2)
    res, problems = synth.analyse(_systolic_run(), tmp_path)
    assert problems == []
    assert (res["cells"], res["gates"], res["flops"], res["coarse_cells"]) == (22, 15, 6, 4)
    assert res["multipliers"] == 2 and res["multiplier_widths"] == {"8x8->16": 2}
    assert res["memories"] == 1 and res["memory_bits"] == 16 * 64
    assert res["memory_list"]["u_act.mem"]["module"] == "systolic_ram"


@pytest.mark.parametrize("rtl_mems,gates_mems,types,msg", [
    ([RAM], [], {"$_AND_": 1}, "memory u_act.mem (systolic_ram) was not kept as a memory cell"),
    ([RAM], [RAM[:2] + (8, 64)], {"$_AND_": 1}, "memory u_act.mem: 8x64 after synthesis, 16x64 in the RTL"),
    ([], [], {"$_AND_": 1}, "systolic_ram's storage array is not a memory in the RTL"),
    ([RAM], [RAM], {"$_DLATCH_P_": 1}, "latches: {'$_DLATCH_P_': 1}"),
    ([RAM], [RAM], {"$alu": 1}, "cells left after techmap: {'$alu': 1}"),
])
def test_analyse_reports_failed_checks(tmp_path, rtl_mems, gates_mems, types, msg):
    _write_run(tmp_path, rtl_mems, gates_mems, {}, types)
    _, problems = synth.analyse(_systolic_run(), tmp_path)
    assert any(msg in p for p in problems), problems


def test_shares_and_table():
    res = {name: {"cells": 0, "gates": g, "flops": 0, "multipliers": 0, "memories": 0, "memory_bits": 0}
           for name, g in (("lebug_int32", 400), ("lebug_int16", 100), ("systolic", 1000), ("accel_top", 1150))}
    sh = synth.shares(res)
    assert [round(sh[k], 6) for k in ("lebug_int32", "lebug_int16", "accel_top_beyond_systolic")] == [0.4, 0.1, 0.15]
    assert "lebug_int16" in synth.table(res)


def test_missing_yosys_is_one_error_line(monkeypatch, capsys):
    monkeypatch.setattr(synth.shutil, "which", lambda _: None)
    assert synth.main([]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("accelscope: error: yosys not found")


def test_make_synth_target():
    mk = Path("Makefile").read_text()
    assert "yosys:yosys" in mk and "\nsynth: bootstrap\n\t@$(PY) -m tb.synth\n" in mk and "make synth" in mk
