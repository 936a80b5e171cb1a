"""Surviving mutants argued equivalent in their design, one line each, named as report.key()
names them: "<block>/<config> <yosys mutate line, paths relative>". Only mutants that no kill-set
stimulus can tell apart from the original belong here; yosys proofs (tb/mutate/equiv.py) need no
entry."""

_UNUSED_STROBE = ("LeBug leaves the APB front end's phase strobes unread (rtl/lebug/lebug.v: `apb_setup, "
                  "apb_access; // lebug reads and writes need neither phase strobe`): the mutated output "
                  "drives nothing")

ARGUMENTS: dict[str, str] = {
    "top/k8_n8 mutate -mode inv -module $paramod$094c54abfa7a61bff6a41a9d90af427530bff5a1\\tap_adapter "
    "-cell $add$rtl/top/tap_adapter.v:53$617 -port A -portbit 0 -src rtl/top/tap_adapter.v:53.62-53.73":
    "with K == N (one vector a row) tap_adapter's `part` is 1 bit, reset to 0 (the reset is not mutated) and "
    "every update writes 0 (last_part holds while part is 0), so the increment `part + 1` it mutates is never "
    "taken",
    "lebug/int_n8m4 mutate -mode const0 -module lebug -cell u_apb -port setup -portbit 0 -wire apb_setup -wirebit 0 "
    "-src rtl/lebug/lebug.v:138.17-138.26 -src rtl/lebug/lebug.v:142.41-146.6": _UNUSED_STROBE,
    "lebug/fix_n4m2_vsru mutate -mode const0 -module lebug -cell u_apb -port access -portbit 0 -wire apb_access "
    "-wirebit 0 -src rtl/lebug/lebug.v:138.28-138.38 -src rtl/lebug/lebug.v:142.41-146.6": _UNUSED_STROBE,
}
