"""Surviving mutants argued equivalent in their design, one line each, named as report.key()
names them: "<block>/<config> <yosys mutate line, paths relative>". Only mutants that no kill-set
stimulus can tell apart from the original belong here; yosys proofs (tb/mutate/equiv.py) need no
entry."""

_UNUSED_STROBE = ("LeBug leaves the APB front end's phase strobes unread (rtl/lebug/lebug.v: `apb_setup, "
                  "apb_access; // lebug reads and writes need neither phase strobe`): the mutated output "
                  "drives nothing")

ARGUMENTS: dict[str, str] = {
    "lebug/int_n8m4 mutate -mode const0 -module lebug -cell u_apb -port setup -portbit 0 -wire apb_setup -wirebit 0 "
    "-src rtl/lebug/lebug.v:138.17-138.26 -src rtl/lebug/lebug.v:142.41-146.6": _UNUSED_STROBE,
    "lebug/fix_n4m2_vsru mutate -mode const0 -module lebug -cell u_apb -port access -portbit 0 -wire apb_access "
    "-wirebit 0 -src rtl/lebug/lebug.v:138.28-138.38 -src rtl/lebug/lebug.v:142.41-146.6": _UNUSED_STROBE,
}
