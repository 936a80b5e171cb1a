"""A non-editable install (pip install .) simulates from any directory: the package carries
pymodel, tb, the harnesses and the RTL, and finds no file through the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_installed_package_runs_make_sim_distribution(tmp_path):
    src = tmp_path / "src"  # the tracked files only: no build/ or egg-info left by an earlier build
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    for rel in filter(None, files.split("\0")):
        if (REPO / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, src / rel)
    site = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                        "--target", str(site), str(src)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (site / "tb" / "rtl" / "lebug" / "lebug.v").exists() and (site / "tb" / "common" / "job_engine.v").exists()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("ACCELSCOPE_SIM_BUILD", None)
    probe = subprocess.run([sys.executable, "-c", "import tb, pymodel; print(tb.__file__, pymodel.__file__)"],
                           capture_output=True, text=True, cwd=elsewhere, env=env)
    assert str(site) in probe.stdout and str(REPO) not in probe.stdout, probe.stdout + probe.stderr
    run = subprocess.run([str(site / "bin" / "accelscope"), "sim", "distribution"], capture_output=True, text=True,
                         cwd=elsewhere, env=env)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "[[0. 0. 2. 1. 1. 0. 3. 0. 1. 0. 0. 0. 0. 0. 0. 0.]" in run.stdout and run.stdout.rstrip().endswith("PASS")
    assert (elsewhere / "sim_build").is_dir()
