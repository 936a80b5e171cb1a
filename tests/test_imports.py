"""The import graph of the project's Python modules (tb/imports.py, docs/architecture.md): no
cycle, no unexplained function-local import of a project module, and the layers in order. The
checker earns its keep on planted violations in a small synthetic tree, each found with the
line that names it, and on the same tree without them, where it finds nothing."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tb import imports

ROOT = Path(__file__).resolve().parents[1]

# a clean tree of every layer: shared, a block, top (with a relative import), deploy, tb, bench
CLEAN = {
    "pymodel/__init__.py": "from pymodel.errors import AccelscopeError\n",
    "pymodel/errors.py": "class AccelscopeError(Exception):\n    pass\n",
    "pymodel/systolic/__init__.py": "",
    "pymodel/systolic/config.py": "from pymodel.errors import AccelscopeError\n",
    "pymodel/top/__init__.py": "",
    "pymodel/top/config.py": "from ..systolic import config\nfrom . import compile\n",
    "pymodel/top/compile.py": "from pymodel.systolic.config import AccelscopeError\n",
    "pymodel/deploy/__init__.py": "",
    "pymodel/deploy/evaluate.py": "from pymodel.top import config\n",
    "tb/__init__.py": "",
    "tb/cli.py": ("import argparse\n\nfrom pymodel.deploy import evaluate\n\n\n"
                  "def main():\n    import json  # not a project module: not counted\n\n"
                  "    from pymodel.top import compile  # lazy-import: a cold path of the tests\n"),
    "bench/__init__.py": "",
    "bench/run.py": "from tb.cli import main\n",
    "tests/test_x.py": "from tb import cli\n",
}

PLANTED = {
    "cycle": ({"pymodel/systolic/job.py": "from pymodel.systolic import model\n",
               "pymodel/systolic/model.py": "def f():\n    from pymodel.systolic import job  # lazy-import: planted\n"},
              "import cycle: pymodel.systolic.job <-> pymodel.systolic.model"),
    "local import": ({"tb/sims.py": "def run():\n    from tb.cli import main\n    return main\n"},
                     "tb/sims.py:2: function-local import of tb.cli"),
    "local import in a method": ({"tb/sims.py": "class A:\n    def f(self):\n        import pymodel.top.config\n"},
                                 "tb/sims.py:3: function-local import of pymodel.top.config"),
    "pymodel imports tb": ({"pymodel/systolic/model.py": "from tb.cli import main\n"},
                           "pymodel.systolic.model imports tb.cli: pymodel may not import tb"),
    "pymodel imports bench": ({"pymodel/fileio.py": "import bench.run\n"},
                              "pymodel.fileio imports bench.run: pymodel may not import bench"),
    "tb imports bench": ({"tb/synth.py": "from bench import run\n"},
                         "tb.synth imports bench.run: tb may not import bench"),
    "block imports top": ({"pymodel/systolic/model.py": "from pymodel.top.config import X\n"},
                          "pymodel.systolic.model imports pymodel.top.config, a later layer"),
    "top imports deploy": ({"pymodel/top/network.py": "from ..deploy import evaluate\n"},
                           "pymodel.top.network imports pymodel.deploy.evaluate, a later layer"),
    "shared imports a block": ({"pymodel/params.py": "from pymodel.systolic import config\n"},
                               "pymodel.params imports pymodel.systolic.config, a later layer"),
    "package in no layer": ({"pymodel/newblock/__init__.py": ""},
                            "pymodel.newblock: not placed in a layer"),
}


def write_tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text))


def test_the_project_has_no_cycle_no_unexplained_local_import_and_keeps_its_layers() -> None:
    graph = imports.build(ROOT)
    assert len(graph.modules) > 100  # the whole tree was read
    assert imports.violations(graph) == []


def test_the_clean_tree_has_no_findings(tmp_path: Path) -> None:
    write_tree(tmp_path, CLEAN)
    graph = imports.build(tmp_path)
    assert imports.violations(graph) == []
    # the relative imports resolved to the modules they name
    assert {i.dst for i in graph.imports if i.src == "pymodel.top.config"} == {"pymodel.systolic.config",
                                                                               "pymodel.top.compile"}
    # the marked local import is counted as local, and allowed
    assert [(i.dst, i.local, i.marked) for i in graph.imports if i.src == "tb.cli"] == [
        ("pymodel.deploy.evaluate", False, False), ("pymodel.top.compile", True, True)]


@pytest.mark.parametrize("name", PLANTED)
def test_a_planted_violation_is_found(tmp_path: Path, name: str) -> None:
    files, want = PLANTED[name]
    write_tree(tmp_path, {**CLEAN, **files})
    found = imports.violations(imports.build(tmp_path))
    assert any(want in line for line in found), found
    assert imports.main(["--root", str(tmp_path)]) == 1


def test_the_command_reports_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, {**CLEAN, **PLANTED["cycle"][0]})
    assert imports.main(["--root", str(tmp_path), "--stats"]) == 0
    out = capsys.readouterr().out
    assert "import cycles (strongly connected components): 1" in out
    assert "function-local imports of project modules: 2 (2 with '# lazy-import:')" in out
