"""The import graph of the project's Python modules (pymodel/, tb/, bench/, tests/), read with
`ast` (nothing is imported), and the rules docs/architecture.md writes down:

- no import cycle among project modules;
- no function-local import of a project module, unless the import line (or the line above it)
  carries a `# lazy-import: <why>` comment (an optional dependency, or a heavy import on a
  cold path);
- the layers: pymodel imports nothing of tb or bench, tb nothing of bench; inside pymodel, the
  shared modules first, then the blocks (net, lebug, systolic), then accel_top's (bundle, top,
  schemas), then deploy (LAYERS): a module imports its own layer and those before it.

`python -m tb.imports` prints every finding and exits 1 when there is one; tests/test_imports.py
runs the same check on the tree and on planted violations. `--stats` prints the counts instead
(cycles, function-local imports of project modules)."""

from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOTS = ("pymodel", "tb", "bench", "tests")
MARKER = "lazy-import:"
# Top-level packages that may not import the ones named: the outer layers
FORBIDDEN = {"pymodel": ("tb", "bench"), "tb": ("bench",)}
# pymodel's layers, lowest first: a module may import its own layer and those before it. Each
# name is a package or module right under pymodel/ ("" is pymodel/__init__.py itself).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("", "errors", "params", "bitfields", "fileio", "compare"),  # shared: no block of their own
    ("net", "lebug", "systolic"),  # the network front end and the two blocks
    ("bundle", "top", "schemas"),  # accel_top: its configuration, compilers and the bundle format
    ("deploy",),  # evaluations and reports on top of everything
)


@dataclass
class Import:
    src: str  # importing module
    dst: str  # imported project module
    line: int
    local: bool  # inside a function
    marked: bool  # carries the lazy-import comment


@dataclass
class Graph:
    modules: dict[str, Path] = field(default_factory=dict)
    imports: list[Import] = field(default_factory=list)

    def edges(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {m: set() for m in self.modules}
        for imp in self.imports:
            if imp.dst != imp.src:
                out[imp.src].add(imp.dst)
        return out


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(graph: Graph, name: str) -> str | None:
    """The project module `name` names: itself, or the nearest enclosing module."""
    while name:
        if name in graph.modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _targets(graph: Graph, module: str, is_pkg: bool, node: ast.Import | ast.ImportFrom) -> list[str]:
    names: list[str] = []
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            pkg = module.split(".") if is_pkg else module.split(".")[:-1]
            pkg = pkg[: len(pkg) - (node.level - 1)]
            base = ".".join([*pkg, base] if base else pkg)
        elif base.split(".")[0] not in ROOTS and f"tests.{base}" in graph.modules:
            base = f"tests.{base}"  # pytest puts tests/ on sys.path: `import fuzz_targets`
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in graph.modules else base for a in node.names]
    out = []
    for n in names:
        if n.split(".")[0] not in ROOTS and f"tests.{n}" in graph.modules:
            n = f"tests.{n}"
        r = _resolve(graph, n)
        if r is not None and r not in out:
            out.append(r)
    return out


class _Visitor(ast.NodeVisitor):
    def __init__(self, graph: Graph, module: str, is_pkg: bool, lines: list[str]) -> None:
        self.graph, self.module, self.is_pkg, self.lines = graph, module, is_pkg, lines
        self.depth = 0

    def _func(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _func

    def _marked(self, node: ast.stmt) -> bool:
        end = node.end_lineno or node.lineno
        around = self.lines[max(node.lineno - 2, 0): end]
        return any(MARKER in line for line in around)

    def _imp(self, node: ast.Import | ast.ImportFrom) -> None:
        for dst in _targets(self.graph, self.module, self.is_pkg, node):
            self.graph.imports.append(Import(self.module, dst, node.lineno, self.depth > 0, self._marked(node)))

    visit_Import = visit_ImportFrom = _imp


def build(root: Path, roots: tuple[str, ...] = ROOTS) -> Graph:
    graph = Graph()
    files = sorted(p for r in roots if (root / r).is_dir() for p in (root / r).rglob("*.py"))
    for path in files:
        graph.modules[module_name(root, path)] = path
    for path in files:
        text = path.read_text()
        name = module_name(root, path)
        _Visitor(graph, name, path.name == "__init__.py", text.splitlines()).visit(ast.parse(text, str(path)))
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    edges = graph.edges()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(edges) + 100))
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(out)


def _layer(module: str) -> int | None:
    """The index in LAYERS of a pymodel module (None: not pymodel, or not placed)."""
    parts = module.split(".")
    if parts[0] != "pymodel":
        return None
    name = parts[1] if len(parts) > 1 else ""
    return next((i for i, layer in enumerate(LAYERS) if name in layer), None)


def _layer_names() -> str:
    return " < ".join("/".join(x or "pymodel" for x in layer) for layer in LAYERS)


def violations(graph: Graph) -> list[str]:
    """Every broken rule, one line each: cycles, unmarked function-local imports, layer order."""
    out = [f"import cycle: {' <-> '.join(c)}" for c in cycles(graph)]
    for imp in graph.imports:
        where = f"{graph.modules[imp.src]}:{imp.line}"
        if imp.local and not imp.marked:
            out.append(f"{where}: function-local import of {imp.dst} (move it to the top, or say why "
                       f"with '# {MARKER} ...')")
        top_src, top_dst = imp.src.split(".")[0], imp.dst.split(".")[0]
        if top_dst in FORBIDDEN.get(top_src, ()):
            out.append(f"{where}: {imp.src} imports {imp.dst}: {top_src} may not import {top_dst}")
        ls, ld = _layer(imp.src), _layer(imp.dst)
        if ls is not None and ld is not None and ld > ls:
            out.append(f"{where}: {imp.src} imports {imp.dst}, a later layer of pymodel (order: {_layer_names()})")
    for name in unplaced(graph):
        out.append(f"{name}: not placed in a layer of pymodel (tb/imports.py LAYERS)")
    return out


def unplaced(graph: Graph) -> list[str]:
    """pymodel modules and packages that no layer names."""
    return sorted({".".join(m.split(".")[:2]) for m in graph.modules
                   if m.split(".")[0] == "pymodel" and _layer(m) is None})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tb.imports", description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    ap.add_argument("--stats", action="store_true", help="print counts, not findings")
    args = ap.parse_args(argv)
    graph = build(args.root)
    if args.stats:
        local = [i for i in graph.imports if i.local]
        per: dict[str, int] = {}
        for i in local:
            per[str(graph.modules[i.src].relative_to(args.root))] = per.get(
                str(graph.modules[i.src].relative_to(args.root)), 0) + 1
        cyc = cycles(graph)
        print(f"modules: {len(graph.modules)}")
        print(f"import cycles (strongly connected components): {len(cyc)}")
        for c in cyc:
            print(f"  {' <-> '.join(c)}")
        print(f"function-local imports of project modules: {len(local)} "
              f"({sum(i.marked for i in local)} with '# {MARKER}')")
        for f, n in sorted(per.items(), key=lambda kv: -kv[1])[:10]:
            print(f"  {n:4d} {f}")
        return 0
    found = violations(graph)
    for line in found:
        print(line)
    print(f"imports: {len(graph.modules)} modules, {len(found)} findings")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
