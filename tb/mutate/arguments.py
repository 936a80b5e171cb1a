"""Surviving mutants argued equivalent in their design, one line each, named as report.key()
names them: "<block>/<config> <yosys mutate line, paths relative>". Only mutants that no kill-set
stimulus can tell apart from the original belong here; yosys proofs (tb/mutate/equiv.py) need no
entry."""

ARGUMENTS: dict[str, str] = {}
