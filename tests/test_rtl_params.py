"""Illegal parameter values stop elaboration on both simulators, with a message naming the rule
(the RTL instantiates a module named after the rule, which exists nowhere)."""

from __future__ import annotations

import subprocess

import pytest

from tb.runner import rtl_files, rtl_root, verilator_env

CASES = [  # (top, rtl dirs, parameter, value, the rule's module name)
    ("lebug", ("lebug",), "N", 6, "lebug_N_must_be_a_power_of_2_in_2_to_64"),
    ("lebug", ("lebug",), "M", 16, "lebug_M_must_be_a_power_of_2_at_most_N"),
    ("lebug", ("lebug",), "DATA_W", 40, "lebug_DATA_W_must_be_8_to_32"),
    ("lebug", ("lebug",), "CACHE_DEPTH", 512, "lebug_CACHE_DEPTH_must_fit_the_chain_word_cache_address"),
    ("systolic", ("systolic",), "K", 6, "systolic_K_must_be_a_power_of_2_in_2_to_32"),
    ("systolic", ("systolic",), "ACT_DEPTH", 1000, "systolic_depths_must_be_powers_of_2_in_2_to_65536"),
    # past the 16-bit address fields, though within the APB window at K <= 8 (SystolicConfig rejects it too)
    ("systolic", ("systolic",), "ACT_DEPTH", 131072, "systolic_depths_must_be_powers_of_2_in_2_to_65536"),
    ("systolic", ("systolic",), "ACC_DEPTH", 131072, "systolic_ACC_DEPTH_or_CMD_DEPTH_exceeds"),
]


def _cmd(sim: str, top: str, dirs: tuple[str, ...], param: str, value: int, out: str) -> list[str]:
    files = [str(p) for p in rtl_files(("common", *dirs))]
    inc = [f"-I{rtl_root() / d}" for d in ("common", *dirs)]
    if sim == "icarus":
        return ["iverilog", "-g2012", "-o", out, "-s", top, f"-P{top}.{param}={value}", *inc, *files]
    return ["verilator", "--lint-only", "-Wall", "--top-module", top, f"-G{param}={value}", *inc, *files]


@pytest.mark.parametrize("sim", ["icarus", "verilator"])
@pytest.mark.parametrize("top,dirs,param,value,rule", CASES, ids=[f"{c[0]}-{c[2]}={c[3]}" for c in CASES])
def test_illegal_parameter_stops_elaboration(tmp_path, sim, top, dirs, param, value, rule):
    env = verilator_env() if sim == "verilator" else None
    r = subprocess.run(_cmd(sim, top, dirs, param, value, str(tmp_path / "x.vvp")), capture_output=True, text=True,
                       env=env, cwd=tmp_path)
    assert r.returncode != 0, f"{top} {param}={value} elaborated on {sim}"
    assert rule in r.stdout + r.stderr, (r.stdout + r.stderr)[-2000:]


@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_legal_parameters_elaborate(tmp_path, sim):
    """The same commands succeed on the defaults (so the failures above are the checks)."""
    env = verilator_env() if sim == "verilator" else None
    for top, dirs, param, _, _ in CASES[::4]:
        default = {"N": 8, "K": 8}[param]
        r = subprocess.run(_cmd(sim, top, dirs, param, default, str(tmp_path / "x.vvp")), capture_output=True,
                           text=True, env=env, cwd=tmp_path)
        assert r.returncode == 0, (r.stdout + r.stderr)[-2000:]
