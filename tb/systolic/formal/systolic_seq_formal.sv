// Formal wrapper of rtl/systolic/systolic_seq.v (tb/systolic/formal/systolic_seq.sby): K=2,
// scratchpads of 16 words (BIAS/QUANT 4, ACC 4), 2 descriptors, a window of 4 rows of 4 bytes.
// The descriptor (cmd_rdata, read in FETCH) and the output pipeline's inflight are free every
// cycle: any op (GEMM, CONV with and without fused pooling, POOL), flags and geometry, CHECK
// decides. Small descriptors: every 16-bit field (shape, bases, strides) below 32 and every
// 8-bit geometry field below 16, which holds every base, extent and shape CHECK can accept at
// these depths (a stride is unbounded only where it multiplies M-1 = 0); this keeps the
// CHECK products (40-bit) within reach of the solver. Assumed, as systolic.v guarantees
// (NUM_DESC is refused while busy; its assertion NumDescFixedWhileBusy_A): a legal list
// FIRST < FIRST+COUNT <= CMD_DEPTH, fixed while busy. Reset in the first cycle.
`include "formal_reset.vh"
module systolic_seq_formal (
    input wire         clk,
    input wire         rst_n,
    input wire         start,
    input wire         first_desc,
    input wire [1:0]   end_desc,
    input wire [255:0] cmd_rdata,
    input wire         inflight
);
    `FORMAL_RESET_FIRST(clk, rst_n)

    wire busy;
    reg  was_busy = 1'b0;
    reg  first_q;
    reg  [1:0] end_q;
    always @(posedge clk) begin
        was_busy <= busy;
        first_q  <= first_desc;
        end_q    <= end_desc;
    end
    always @(*) assume ({1'b0, first_desc} < end_desc && end_desc <= 2'd2);
    genvar f;
    generate
        for (f = 0; f < 12; f = f + 1) begin : g_small16     // M, N, KD, (flags), A_BASE .. D_STRIDE
            if (f != 3) begin : g_field
                always @(*) assume (cmd_rdata[f*16 + 5 +: 11] == 11'd0);
            end
        end
        for (f = 0; f < 5; f = f + 1) begin : g_small8       // IN_H, IN_W, CIN, OUT_H, OUT_W (systolic.rdl)
            localparam integer LSB = (f < 3) ? 192 + 8 * f : (f == 3 ? 235 : 243);
            always @(*) assume (cmd_rdata[LSB + 4 +: 4] == 4'd0);
        end
    endgenerate
    always @(*) if (was_busy && busy) assume (first_desc == first_q && end_desc == end_q);

    wire        cmd_re, act_re, wgt_re, a_issue, t_sel, i_first, i_last, i_eof0, i_eof1;
    wire        cmd_raddr;
    wire [3:0]  act_raddr, wgt_raddr, i_caddr, i_daddr;
    wire        w_row;
    wire [1:0]  t_krem, t_nrem, i_m, i_bqaddr;
    wire        i_fp_keep, i_fp_dx0, i_fp_dxl, i_fp_dy0, i_fp_dyl;
    wire [6:0]  i_fp_pw;
    wire        f_acc, f_bias, f_relu, f_int8, f_out8, f_conv, f_fpool;
    wire [7:0]  g_cin, g_in_h, g_in_w, g_out_w;
    wire [2:0]  g_kh, g_kw, g_sh, g_sw, g_padl;
    wire [8:0]  g_pitch;
    wire        w_clr, w_prep, w_prep_lane, w_lm_step, w_lm_rst, w_pix_rst, w_issue, ld_re;
    wire [12:0] w_pix_ih0;
    wire [7:0]  ld_row;
    wire [15:0] ld_word;
    wire        pl_re, pl_first, pl_last, pl_eof0, pl_eof1;
    wire [3:0]  pl_daddr;
    wire        done, error;
    wire [3:0]  err_code;
    wire        cur_desc;
    wire [31:0] cnt_cycles, cnt_busy, cnt_macs, cnt_stalls;
    systolic_seq #(
        .K(2), .ACT_DEPTH(16), .WGT_DEPTH(16), .BQ_DEPTH(4), .OUT_DEPTH(16), .ACC_DEPTH(4), .CMD_DEPTH(2),
        .WIN_ROWS(4), .WIN_BYTES(4)
    ) u_dut (
        .clk(clk), .rst_n(rst_n), .start(start), .first_desc(first_desc), .end_desc(end_desc),
        .cmd_re(cmd_re), .cmd_raddr(cmd_raddr), .cmd_rdata(cmd_rdata), .inflight(inflight),
        .act_re(act_re), .act_raddr(act_raddr), .wgt_re(wgt_re), .wgt_raddr(wgt_raddr), .w_row(w_row),
        .a_issue(a_issue), .t_krem(t_krem), .t_nrem(t_nrem), .t_sel(t_sel), .i_m(i_m), .i_first(i_first),
        .i_last(i_last), .i_eof0(i_eof0), .i_eof1(i_eof1), .i_caddr(i_caddr), .i_daddr(i_daddr),
        .i_bqaddr(i_bqaddr), .i_fp_keep(i_fp_keep), .i_fp_dx0(i_fp_dx0), .i_fp_dxl(i_fp_dxl),
        .i_fp_dy0(i_fp_dy0), .i_fp_dyl(i_fp_dyl), .i_fp_pw(i_fp_pw),
        .f_acc(f_acc), .f_bias(f_bias), .f_relu(f_relu), .f_int8(f_int8), .f_out8(f_out8), .f_conv(f_conv),
        .f_fpool(f_fpool), .g_cin(g_cin), .g_in_h(g_in_h), .g_in_w(g_in_w), .g_out_w(g_out_w), .g_kh(g_kh),
        .g_kw(g_kw), .g_stride_h(g_sh), .g_stride_w(g_sw), .g_pad_l(g_padl), .g_pitch(g_pitch),
        .w_clr(w_clr), .w_prep(w_prep), .w_prep_lane(w_prep_lane), .w_lm_step(w_lm_step), .w_lm_rst(w_lm_rst),
        .w_pix_rst(w_pix_rst), .w_pix_ih0(w_pix_ih0), .w_issue(w_issue), .ld_re(ld_re), .ld_row(ld_row),
        .ld_word(ld_word), .pl_re(pl_re), .pl_first(pl_first), .pl_last(pl_last), .pl_eof0(pl_eof0),
        .pl_eof1(pl_eof1), .pl_daddr(pl_daddr), .busy(busy), .done(done), .error(error), .err_code(err_code),
        .cur_desc(cur_desc), .cnt_cycles(cnt_cycles), .cnt_busy(cnt_busy), .cnt_macs(cnt_macs),
        .cnt_stalls(cnt_stalls)
    );
endmodule
