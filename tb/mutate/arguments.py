"""Surviving mutants argued equivalent in their design, one line each, named as report.key()
names them: "<block>/<config> <yosys mutate line, paths relative>". Only mutants that no kill-set
stimulus can tell apart from the original belong here; yosys proofs (tb/mutate/equiv.py) need no
entry."""

_UNUSED_STROBE = ("LeBug leaves the APB front end's phase strobes unread (rtl/lebug/lebug.v: `apb_setup, "
                  "apb_access; // lebug reads and writes need neither phase strobe`): the mutated output "
                  "drives nothing")

_K_EQ_N = ("with K == N (one vector a row) tap_adapter's last_part is always 1, so the ternary's B input "
           "(`part + 1`), the mutated one, is never selected")

_COLUMN_MASK = ("wm_nrem only masks the weight columns >= N of a last n-tile (rtl/systolic/systolic.v g_mask); array "
                "column c only feeds output lane c, never another, and E3 zeroes every output lane >= N for every op "
                "(docs/systolic.md, pymodel.systolic.model._epilogue): weights reaching those columns change no "
                "output, counter or memory word")

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
    "top/k2_n2 mutate -mode inv -module $paramod$75b4500a08b4ae63e1d877c30631e78af7ab6654\\tap_adapter "
    "-cell $ternary$rtl/top/tap_adapter.v:57$629 -port B -portbit 0 -src rtl/top/tap_adapter.v:57.37-57.73": _K_EQ_N,
    "top/k8_n8 mutate -mode inv -module $paramod$094c54abfa7a61bff6a41a9d90af427530bff5a1\\tap_adapter "
    "-cell $ternary$rtl/top/tap_adapter.v:57$801 -port B -portbit 0 -src rtl/top/tap_adapter.v:57.37-57.73": _K_EQ_N,
    "top/k8_eval mutate -mode const0 -module $paramod$4bb5c4c961ac310b4456523e367ed8ef2b81bfad\\tap_fifo "
    "-cell $procdff$21778 -port Q -portbit 15 -wire count -wirebit 15 -src rtl/top/tap_fifo.v:23.25-23.30 "
    "-src rtl/top/tap_fifo.v:44.5-54.8":
    "tap_fifo's count is at most DEPTH = 1024 here (CountInRange_A, proven by the tap_fifo k-induction proof), so "
    "its bit 15 is 0 in every reachable state and forcing it to 0 changes nothing",
    "systolic/k8 mutate -mode cnot1 -module systolic -cell $add$rtl/systolic/systolic.v:215$543 -port Y "
    "-portbit 29 -ctrlbit 31 -src rtl/systolic/systolic.v:215.46-215.65":
    "the sum nd_count + nd_first of two 16-bit NUM_DESC fields (masked to 16 bits the line before) is below 2^17, "
    "so its bit 31, the condition of this conditional inversion, is never 1",
    "systolic/k8 mutate -mode cnot1 -module systolic -cell $procmux$3911 -port A -portbit 28 -ctrlbit 29 "
    "-src rtl/systolic/systolic.v:536.13-536.21 -src rtl/systolic/systolic.v:536.9-536.46":
    "the mux's A input (the read value before PARAMS0's arm) is 0 or ID = 0x53410001, whose bit 29 (the condition "
    "of this conditional inversion) is 0",
    "systolic/k8 mutate -mode const1 -module systolic -cell $lt$rtl/systolic/systolic.v:456$773 -port B "
    "-portbit 0 -src rtl/systolic/systolic.v:456.72-456.86": _COLUMN_MASK,
    "systolic/k8 mutate -mode const1 -module systolic -cell $procdff$5766 -port Q -portbit 2 -wire wm_nrem "
    "-wirebit 2 -src rtl/systolic/systolic.v:430.30-430.37 -src rtl/systolic/systolic.v:433.5-448.8": _COLUMN_MASK,
}
