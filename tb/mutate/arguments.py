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

_HOLD_STAGE = ("lebug_stage_reg's hold input (the mux on in_valid, taken when in_valid = 0): the register's next "
               "out_valid is then 0, and every reader of out_data and out_pass (the next unit's stage, lebug_dp, "
               "the commit books) takes them only with out_valid; a valid stage was always loaded")

_HOLD_DP = ("row_data (lebug_dp) is read only by the trace buffer's write, enabled by row_valid, which is 1 only "
            "the cycle after `commit & complete` loaded row_data; the mutated input (the mux on commit, taken "
            "without a commit) only writes row_data when row_valid goes 0")

_ARRAY_SLOT = ("a reset value of the array's A input path (arr_a, or a lane's skew register): the array is a pure "
               "skewed pipeline (p_out = p_in + a*w, no state but the weights), so that value only adds to the "
               "output row of the cycle after reset, and E0 takes only rows the sequencer issued in RUN "
               "(StreamTiming_A), never that one")

_E2_QUANT = ("e2_quant's reset value: it is read only by `e3_quant <= e2_quant` under e2_v, and e2_v is set only "
             "at an edge that also loads e2_quant (systolic_post.v E2), so the reset value is never read")

_PS_EOF = ("ps_eof's reset value: it is read only by `out_eof <= ps_eof` under ps_emit = ps_v && ..., and ps_v is "
           "set only at an edge that also loads ps_eof (systolic_post.v, fused pooling), so it is never read")

_E2_HOLD = ("e2_bias's hold input (the mux on e1_v && e1_last, taken without a load): e2_v is then 0, and e2_bias "
            "is read only through y into `e3_y <= y` under e2_v; a set e2_v always comes with a load")

_KT_CNT = ("kt_cnt's reset value: CHECK sets kt_cnt to 0 when it accepts a descriptor (systolic_seq.v S_CHECK), "
           "before PREP, LOAD and RUN, the only states whose issues read it (i_first, last_kt)")

_MAXFILL = ("tap_maxfill is at most TAP_DEPTH = 1024 (TapMaxfillInRange_A, proven by the accel_top_tap "
            "k-induction proof), so its bit 20, the condition of this conditional inversion, is never 1")

_MAXFILL_NEXT = ("the mux output is tap_maxfill's next value (reset or fifo_count); tap_maxfill and fifo_count are at "
                 "most TAP_DEPTH = 1024 (TapMaxfillInRange_A, proven by the accel_top_tap k-induction proof), so "
                 "its bit 17, forced to 0 here, is 0 in every reachable state")

_POOL_HOLD = ("systolic_pool's mx hold input (the mux on s_v): mx is read only through b, and b only when !s_first; "
              "a POOL reads one ACT word every RUN cycle (systolic_seq.v pool_rd = run && is_pool), so a window's "
              "words arrive on consecutive cycles, and after any cycle without s_v the next word is a window's "
              "first (a new descriptor's RUN starts at pl_kx = pl_ky = 0), where m = a: a held mx is never read")

_WIN_RAM_HOLD = ("the window lane RAM's rdata hold input (the mux on re, taken without a read): rdata is read only "
                 "through a_row when q_v, and q_v is the registered re (issue && v), so only in the cycle after a "
                 "read, when rdata holds that read's word (systolic_win.v g_lane)")

_CMD_RAM_HOLD = ("the CMD RAM's rdata hold input (the mux on re, taken without a read): the sequencer reads "
                 "cmd_rdata only in DECODE, the cycle after FETCH's read (cmd_re), and an APB read of CMD "
                 "(only while idle, PREADY = 1) samples it in the access cycle right after its read; no reader "
                 "sees a held word")

_CIN_EVERY_CYCLE = ("d_cin loaded from cmd_rdata's CIN field every cycle instead of only in DECODE: cmd_rdata "
                    "changes only the cycle after a CMD read, and while busy the only read is FETCH's, after which "
                    "DECODE loads the same word, so from DECODE to the next FETCH d_cin is the original's; d_cin "
                    "(and k_ct, g_cin from it) is read only from CHECK on (geometry, PREP, LOAD, RUN)")

_PL_ROW_GEMM = ("pl_row takes the POOL branch's value also in a GEMM or CONV RUN: pl_row is read only in a POOL "
                "RUN, and CHECK loads it (pl_row <= a_base) for every descriptor it accepts, so a POOL RUN starts "
                "from the original's value; in a POOL RUN the select is 1 anyway")

_HAS_SAT = ("has_c's saturation compare with bit 10 of u_has inverted: the results differ only for u_has within "
            "1024 of HAS_SAT = 2^17, where the original's and the mutant's has_c (u_has or 2^17) both exceed "
            "ACT_DEPTH = 16384, so a_lastx >= ACT_LIMIT and CHECK answers A_RANGE in both; has_c feeds nothing else "
            "(the ActReadInRange_A bound only for accepted descriptors, whose u_has < 16384)")

_NB_SH1 = ("nb_sh1 = S - 1 with S = (R-1)*stride_h + kh <= WIN_ROWS = 16 for every CONV CHECK accepts (GEOM: "
           "(blk_rows-1)*stride_h + kh <= WIN_ROWS, R <= blk_rows), and ld_shi takes nb_shi only for such a "
           "CONV's LOAD (PrepLoadOnlyForConv_A): nb_sh1 < 16, so its bit 8, forced to 0 here, is 0")

_LD_J = ("ld_j counts the words of a window row, 0 .. RW-1 with RW <= WIN_BYTES/K = 16 for every CONV CHECK "
         "accepts (GEOM: in_w * pitch <= WIN_BYTES; WindowLoadInRange_A), so the next value ld_j + 1 <= 16 and its "
         "bit 10, forced to 0 here, is 0")

_KT_BOUND = ("kt_cnt counts k-tiles 0 .. KT-1 of an accepted GEMM or CONV, and B_RANGE bounds KT: b_base + NT*KT*K "
             "- 1 < WGT_DEPTH = 16384 at K = 8, so KT <= 2048 and kt_cnt <= 2047: its bit 11, forced to 0 here, is 0 "
             "(a POOL does not count k-tiles)")

_SEQ = "$paramod$3ce8f4929435741dcd8a325443284df735d5a7bb\\systolic_seq"  # the K=8 systolic unit's sequencer

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
    "lebug/fix_n4m2_vsru mutate -mode cnot0 -module "
    "$paramod$8c3d499055a9e656f870d799b54349cbe8e934c9\\lebug_dp -cell $procmux$2558 -port A -portbit 62 "
    "-ctrlbit 41 -src rtl/lebug/lebug_dp.v:87.17-87.23 -src rtl/lebug/lebug_dp.v:87.13-91.16": _HOLD_DP,
    "lebug/fix_n4m2_vsru mutate -mode const0 -module "
    "$paramod$1b41ee3cffa3262b7ce82a9ba60ad5a948e3f010\\lebug_stage_reg -cell $procmux$2326 -port A "
    "-portbit 6 -wire out_pass -wirebit 6 -src rtl/lebug/lebug_stage_reg.v:19.30-19.38 -src "
    "rtl/lebug/lebug_stage_reg.v:29.17-29.25 -src rtl/lebug/lebug_stage_reg.v:29.13-33.16": _HOLD_STAGE,
    "lebug/fix_n4m2_vsru mutate -mode const0 -module "
    "$paramod$1b41ee3cffa3262b7ce82a9ba60ad5a948e3f010\\lebug_stage_reg -cell $procmux$2336 -port A "
    "-portbit 49 -wire out_data -wirebit 49 -src rtl/lebug/lebug_stage_reg.v:17.30-17.38 -src "
    "rtl/lebug/lebug_stage_reg.v:29.17-29.25 -src rtl/lebug/lebug_stage_reg.v:29.13-33.16": _HOLD_STAGE,
    "systolic/k8 mutate -mode const1 -module systolic -cell $procmux$3925 -port A -portbit 42 -src "
    "rtl/systolic/systolic.v:462.13-462.19 -src rtl/systolic/systolic.v:462.9-468.12": _ARRAY_SLOT,
    "systolic/k8 mutate -mode const1 -module "
    "$paramod\\systolic_array\\K=32'00000000000000000000000000001000 -cell $procmux$4031 -port A -portbit "
    "19 -src rtl/systolic/systolic_array.v:48.29-48.35 -src rtl/systolic/systolic_array.v:48.25-49.86": _ARRAY_SLOT,
    "systolic/k8 mutate -mode const1 -module "
    "$paramod$42273e8331d595ca185952491f3bf139c0749123\\systolic_post -cell $procmux$3754 -port A -portbit "
    "57 -src rtl/systolic/systolic_post.v:184.13-184.19 -src rtl/systolic/systolic_post.v:184.9-198.12": _E2_QUANT,
    "systolic/k8 mutate -mode inv -module $paramod$42273e8331d595ca185952491f3bf139c0749123\\systolic_post "
    "-cell $procmux$3722 -port A -portbit 1 -src rtl/systolic/systolic_post.v:261.13-261.19 -src "
    "rtl/systolic/systolic_post.v:261.9-279.12": _PS_EOF,
    "systolic/k8 mutate -mode inv -module $paramod$3ce8f4929435741dcd8a325443284df735d5a7bb\\systolic_seq "
    "-cell $procmux$5049 -port A -portbit 2 -src rtl/systolic/systolic_seq.v:487.13-487.19 -src "
    "rtl/systolic/systolic_seq.v:487.9-745.12": _KT_CNT,
    "top/k4_eval mutate -mode cnot1 -module accel_top -cell $procdff$20674 -port Q -portbit 3 -ctrlbit 20 "
    "-wire tap_maxfill -wirebit 3 -src rtl/top/accel_top.v:117.51-117.62 -src "
    "rtl/top/accel_top.v:159.5-171.8": _MAXFILL,
    "systolic/k8 mutate -mode inv -module $paramod$42273e8331d595ca185952491f3bf139c0749123\\systolic_post "
    "-cell $procmux$3756 -port A -portbit 229 -src rtl/systolic/systolic_post.v:192.17-192.32 "
    "-src rtl/systolic/systolic_post.v:192.13-197.16": _E2_HOLD,
    "top/k8_eval mutate -mode const0 -module accel_top -cell $procmux$15581 -port Y -portbit 17 "
    "-src rtl/top/accel_top.v:160.13-160.32 -src rtl/top/accel_top.v:160.9-170.12": _MAXFILL_NEXT,
    "systolic/k8 mutate -mode cnot1 -module $paramod$78ea60eee6630de92ff511432e387e3e7ae9e31c\\systolic_pool "
    "-cell $procmux$3787 -port A -portbit 33 -ctrlbit 11 -src rtl/systolic/systolic_pool.v:57.17-57.20 "
    "-src rtl/systolic/systolic_pool.v:57.13-57.36": _POOL_HOLD,
    "systolic/k8 mutate -mode cnot1 -module $paramod$92d0258a1c3558f029d35382c74068b85bda9915\\systolic_ram "
    "-cell $procmux$4042 -port A -portbit 11 -ctrlbit 38 -wire rdata -wirebit 11 -src "
    "rtl/systolic/systolic_ram.v:16.26-16.31 -src rtl/systolic/systolic_ram.v:25.13-25.15 "
    "-src rtl/systolic/systolic_ram.v:25.9-25.37": _WIN_RAM_HOLD,
    "systolic/k8 mutate -mode cnot1 -module $paramod$11b42d8ad37e6e66c0180223f1ddebf116043a8e\\systolic_ram "
    "-cell $procmux$5583 -port A -portbit 253 -ctrlbit 245 -wire rdata -wirebit 253 -src "
    "rtl/systolic/systolic_ram.v:16.26-16.31 -src rtl/systolic/systolic_ram.v:25.13-25.15 "
    "-src rtl/systolic/systolic_ram.v:25.9-25.37": _CMD_RAM_HOLD,
    f"systolic/k8 mutate -mode const1 -module {_SEQ} -cell $procmux$5186 -port S -portbit 0 "
    "-src rtl/systolic/systolic_seq.v:0.0-0.0 -src rtl/systolic/systolic_seq.v:514.13-744.20": _CIN_EVERY_CYCLE,
    f"systolic/k8 mutate -mode const1 -module {_SEQ} -cell $procmux$4398 -port S -portbit 0 "
    "-src rtl/systolic/systolic_seq.v:638.28-638.35 -src rtl/systolic/systolic_seq.v:638.24-733.20": _PL_ROW_GEMM,
    f"systolic/k8 mutate -mode inv -module {_SEQ} -cell $gt$rtl/systolic/systolic_seq.v:278$1666 -port A "
    "-portbit 10 -src rtl/systolic/systolic_seq.v:278.28-278.43": _HAS_SAT,
    f"systolic/k8 mutate -mode const0 -module {_SEQ} -cell $lt$rtl/systolic/systolic_seq.v:466$1868 -port A "
    "-portbit 8 -src rtl/systolic/systolic_seq.v:466.28-466.61": _NB_SH1,
    f"systolic/k8 mutate -mode const0 -module {_SEQ} -cell $procmux$4197 -port B -portbit 10 "
    "-src rtl/systolic/systolic_seq.v:812.22-812.27 -src rtl/systolic/systolic_seq.v:812.18-822.12": _LD_J,
    f"systolic/k8 mutate -mode const0 -module {_SEQ} -cell $add$rtl/systolic/systolic_seq.v:440$1842 -port A "
    "-portbit 11 -src rtl/systolic/systolic_seq.v:440.27-440.41": _KT_BOUND,
}
