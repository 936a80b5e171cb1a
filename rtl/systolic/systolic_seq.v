// Sequencer of the systolic GEMM block (docs/systolic.md, "Timing" and "Convolution and
// pooling"). Runs descriptors first_desc..end_desc-1 after `start`. Per descriptor:
//   FETCH (read the command memory), DECODE (latch fields), CHECK (checks; an error stops
//   the run), then by op:
//   GEMM  RUN (tiles), DRAIN (until the output pipeline is empty)
//   CONV  PREP (K cycles: the lane map of k-tile 0, in systolic_win), then per block of
//         output rows LOAD (input rows into the window) and RUN (the block's tiles, A rows
//         from the window), DRAIN
//   POOL  RUN (one ACT read a cycle into systolic_pool), DRAIN
// A CONV with fused pooling (pool = 2..4) runs as a CONV; each issued pixel also carries its
// place in the pool x pool windows (i_fp_*) and the pooled row's ACT address (i_daddr), so the
// pool stage of systolic_post can pool the int8 rows as they leave E3.
// RUN visits the tiles n-tile-major: for nt, for kt. A tile lasts P = max(M, K) cycles
// (CONV: M = the block's pixels); in its cycle p it issues A row p (p < M) and weight row
// p (p < K). Weight row r of a tile is written into the PEs' spare weight buffer just in
// time for the tile's first A row.
// Assertions (docs/verification.md, "Assertions"; tb/systolic/formal/systolic_seq.sby proves
// them by BMC at K=2): for a descriptor that CHECK accepted, every scratchpad address the
// sequencer reads or hands to the output pipeline lies in that descriptor's checked range
// (so none wraps or leaves its memory), the ACC index below ACC_DEPTH and the window rows and
// words inside the window; PREP and LOAD only for a CONV; no stall when a tile has M >= K rows.
`include "assert.vh"
`default_nettype none
module systolic_seq #(
    parameter K         = 8,                    // array size (power of 2)
    parameter ACT_DEPTH = 16384,                // activation scratchpad words
    parameter WGT_DEPTH = 16384,                // weight scratchpad words
    parameter BQ_DEPTH  = 256,                  // bias / quant scratchpad words
    parameter OUT_DEPTH = 16384,                // output scratchpad words
    parameter ACC_DEPTH = 1024,                 // accumulator words (largest M)
    parameter CMD_DEPTH = 64,                   // command memory descriptors
    parameter WIN_ROWS  = 16,                   // CONV window rows
    parameter WIN_BYTES = 128,                  // CONV window bytes per row
    parameter LOG2K     = $clog2(K),            // derived: lane index bits
    parameter ACT_AW    = $clog2(ACT_DEPTH),    // derived: address widths
    parameter WGT_AW    = $clog2(WGT_DEPTH),    //   "
    parameter BQ_AW     = $clog2(BQ_DEPTH),     //   "
    parameter OUT_AW    = $clog2(OUT_DEPTH),    //   "
    parameter ACC_AW    = $clog2(ACC_DEPTH),    //   "
    parameter CMD_AW    = $clog2(CMD_DEPTH)     //   "
) (
    input  wire              clk,
    input  wire              rst_n,
    input  wire              start,
    input  wire [CMD_AW-1:0] first_desc,   // NUM_DESC.FIRST
    input  wire [CMD_AW:0]   end_desc,     // FIRST + COUNT (<= CMD_DEPTH)
    // command memory read port
    output wire              cmd_re,
    output wire [CMD_AW-1:0] cmd_raddr,
    input  wire [255:0]      cmd_rdata,   // the descriptor (systolic.rdl DESC)
    // output pipeline not empty (systolic_post and systolic_pool)
    input  wire              inflight,
    // ACT read port (GEMM A rows, CONV LOAD, POOL) and WGT read port
    output wire              act_re,
    output wire [ACT_AW-1:0] act_raddr,
    output wire              wgt_re,
    output wire [WGT_AW-1:0] wgt_raddr,
    output wire [LOG2K-1:0]  w_row,
    // issue of an A row into the array (GEMM: from ACT, CONV: from the window)
    output wire              a_issue,
    // issue metadata (the current tile / row)
    output wire [LOG2K:0]    t_krem,
    output wire [LOG2K:0]    t_nrem,
    output reg               t_sel,
    output wire [ACC_AW-1:0] i_m,
    output wire              i_first,
    output wire              i_last,
    output wire              i_eof0,
    output wire              i_eof1,
    output wire [OUT_AW-1:0] i_caddr,
    output wire [ACT_AW-1:0] i_daddr,
    output wire [BQ_AW-1:0]  i_bqaddr,
    // fused pooling of a CONV: the issued pixel lies in a pool window (keep), starts / ends its
    // window row segment (dx = 0 / pool-1), lies in the window's first / last row (dy = 0 / pool-1),
    // and the window's column pw (line-buffer word)
    output wire              i_fp_keep,
    output wire              i_fp_dx0,
    output wire              i_fp_dxl,
    output wire              i_fp_dy0,
    output wire              i_fp_dyl,
    output wire [6:0]        i_fp_pw,
    // descriptor flags and op (constant from CHECK to the end of DRAIN)
    output wire              f_acc,
    output wire              f_bias,
    output wire              f_relu,
    output wire              f_int8,
    output wire              f_out8,      // with INT8: the int8 row goes to OUT at c, not ACT at d
    output wire              f_conv,
    output wire              f_fpool,     // CONV with fused pooling
    // CONV geometry (constant from DECODE to the end of DRAIN) and window control (systolic_win)
    output wire [7:0]        g_cin,
    output wire [7:0]        g_in_h,
    output wire [7:0]        g_in_w,
    output wire [7:0]        g_out_w,
    output wire [2:0]        g_kh,
    output wire [2:0]        g_kw,
    output wire [2:0]        g_stride_h,
    output wire [2:0]        g_stride_w,
    output wire [2:0]        g_pad_l,
    output wire [8:0]        g_pitch,
    output wire              w_clr,       // lane-map counter to 0
    output wire              w_prep,      // PREP cycle: lane w_prep_lane takes the counter
    output wire [LOG2K-1:0]  w_prep_lane,
    output wire              w_lm_step,   // next k-tile
    output wire              w_lm_rst,    // k-tile 0 again
    output wire              w_pix_rst,   // pixel 0 of the block next
    output wire [12:0]       w_pix_ih0,   // signed: input row of window row 0 of the block
    output wire              w_issue,     // read the window for the current pixel
    output wire              ld_re,       // LOAD: ACT read of window row ld_row, word ld_word
    output wire [7:0]        ld_row,
    output wire [15:0]       ld_word,
    // POOL issue (systolic_pool; lanes >= t_nrem are zeroed)
    output wire              pl_re,
    output wire              pl_first,
    output wire              pl_last,
    output wire              pl_eof0,
    output wire              pl_eof1,
    output wire [ACT_AW-1:0] pl_daddr,
    // status
    output wire              busy,
    output reg               done,
    output reg               error,
    output reg  [3:0]        err_code,
    output reg  [CMD_AW-1:0] cur_desc,
    output reg  [31:0]       cnt_cycles,
    output reg  [31:0]       cnt_busy,
    output reg  [31:0]       cnt_macs,
    output reg  [31:0]       cnt_stalls
);
    localparam [2:0] S_IDLE   = 3'd0;
    localparam [2:0] S_FETCH  = 3'd1;
    localparam [2:0] S_DECODE = 3'd2;
    localparam [2:0] S_CHECK  = 3'd3;
    localparam [2:0] S_RUN    = 3'd4;
    localparam [2:0] S_DRAIN  = 3'd5;
    localparam [2:0] S_PREP   = 3'd6;
    localparam [2:0] S_LOAD   = 3'd7;

`include "systolic_regs.vh"

    // every address / size field is 16 bits wide
    localparam FW = SYSTOLIC_DESC_M_W;
    localparam [FW-1:0] ONE = 1;
    // constants at the widths they are compared with
    localparam [31:0]   K_U32       = K;
    localparam [FW-1:0] K_FIELD     = K_U32[FW-1:0];         // K as a descriptor-field value
    localparam [31:0]   K_MINUS_1   = K - 1;
    localparam [31:0]   ACT_D_U32   = ACT_DEPTH;
    localparam [31:0]   WGT_D_U32   = WGT_DEPTH;
    localparam [31:0]   BQ_D_U32    = BQ_DEPTH;
    localparam [31:0]   OUT_D_U32   = OUT_DEPTH;
    localparam [31:0]   ACC_D_U32   = ACC_DEPTH;
    localparam [31:0]   WIN_R_U32   = WIN_ROWS;
    localparam [31:0]   WIN_B_U32   = WIN_BYTES;
    localparam [39:0]   ACT_LIMIT   = {8'd0, ACT_D_U32};      // range checks are 40-bit
    localparam [39:0]   WGT_LIMIT   = {8'd0, WGT_D_U32};
    localparam [39:0]   BQ_LIMIT    = {8'd0, BQ_D_U32};
    localparam [39:0]   OUT_LIMIT   = {8'd0, OUT_D_U32};
    localparam [FW:0]   ACC_LIMIT   = ACC_D_U32[FW:0];        // M is compared one bit wider
    localparam [LOG2K:0] KREM_FULL  = K_U32[LOG2K:0];
    localparam [LOG2K-1:0] LANE_LAST = K_MINUS_1[LOG2K-1:0];

`define DESC_FIELD(f) cmd_rdata[SYSTOLIC_DESC_``f``_LSB +: SYSTOLIC_DESC_``f``_W]
    reg [2:0] state;
    assign busy = (state != S_IDLE);

    // ------------------------------------------------------------------
    // descriptor registers (latched in DECODE)
    reg [FW-1:0] d_m, d_n, d_kd;
    reg [FW-1:0] d_abase, d_astride, d_bbase, d_bqbase, d_cbase, d_cstride, d_dbase, d_dstride;
    reg          d_acc, d_bias, d_relu, d_int8, d_out8, d_rsvd;
    reg [1:0]    d_op;
    reg [7:0]    d_inh, d_inw, d_cin, d_outh, d_outw;
    reg          d_tiled;
    reg [2:0]    d_kh, d_kw, d_sh, d_sw, d_padt, d_padl;
    reg [4:0]    d_blk;
    reg [31:0]   d_mrows;      // output rows M: GEMM m, CONV/POOL m * out_h * out_w
    reg [2:0]    d_fp;         // fused pooling (CONV): 0 none, 2..4 kernel = stride
    reg [31:0]   d_prows;      // pooled rows m * (out_h/pool) * (out_w/pool) (pool 2..4)

    wire is_gemm = (d_op == SYSTOLIC_OP_GEMM);
    wire is_conv = (d_op == SYSTOLIC_OP_CONV);
    wire is_pool = (d_op == SYSTOLIC_OP_POOL);

    assign f_acc  = d_acc;
    assign f_bias = d_bias;
    assign f_relu = d_relu;
    assign f_int8 = d_int8;
    assign f_out8 = d_out8;
    assign f_conv = is_conv;
    assign f_fpool = is_conv && (d_fp != 3'd0);

    assign cmd_re    = (state == S_FETCH);
    assign cmd_raddr = cur_desc;

    // output rows of the descriptor being decoded
    wire [15:0] dec_m    = `DESC_FIELD(M);
    wire [7:0]  dec_oh   = `DESC_FIELD(OUT_H);
    wire [7:0]  dec_ow   = `DESC_FIELD(OUT_W);
    wire [15:0] dec_ohow = {8'd0, dec_oh} * {8'd0, dec_ow};
    wire [31:0] dec_rows = (`DESC_FIELD(OP) == SYSTOLIC_OP_GEMM) ? {16'd0, dec_m}
                                                                : {16'd0, dec_m} * {16'd0, dec_ohow};
    // pooled rows of a fused-pool CONV: out_h/pool * out_w/pool per image (x/3 = (x*171) >> 9 for
    // x < 256; other pool values are GEOM errors, the value does not matter then)
    wire [2:0]  dec_fp   = `DESC_FIELD(POOL);
    /* verilator lint_off UNUSEDSIGNAL */
    wire [16:0] dec_oh3  = {9'd0, dec_oh} * 17'd171;
    wire [16:0] dec_ow3  = {9'd0, dec_ow} * 17'd171;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [7:0]  dec_ph   = (dec_fp == 3'd3) ? dec_oh3[16:9] :
                           (dec_fp == 3'd4) ? {2'd0, dec_oh[7:2]} : {1'd0, dec_oh[7:1]};
    wire [7:0]  dec_pw   = (dec_fp == 3'd3) ? dec_ow3[16:9] :
                           (dec_fp == 3'd4) ? {2'd0, dec_ow[7:2]} : {1'd0, dec_ow[7:1]};
    wire [15:0] dec_phpw = {8'd0, dec_ph} * {8'd0, dec_pw};
    wire [31:0] dec_prow = {16'd0, dec_m} * {16'd0, dec_phpw};

    // derived tile counts (valid from CHECK on)
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] kt_sum = {16'd0, d_kd} + K_MINUS_1;
    wire [31:0] nt_sum = {16'd0, d_n} + K_MINUS_1;
    wire [15:0] d_km1  = d_kd - ONE;
    wire [15:0] d_nm1  = d_n - ONE;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [15:0] n_kt   = kt_sum[LOG2K +: 16];
    wire [15:0] n_nt   = nt_sum[LOG2K +: 16];
    wire [LOG2K:0] krem_last = {1'b0, d_km1[LOG2K-1:0]} + 1'b1;
    wire [LOG2K:0] nrem_last = {1'b0, d_nm1[LOG2K-1:0]} + 1'b1;
    wire [15:0] per    = (d_m > K_FIELD) ? d_m : K_FIELD;

    // ------------------------------------------------------------------
    // geometry (CONV, POOL), in 32 bits. The u_* wires are zero-extended copies of descriptor
    // fields (their toggles are counted on the fields) and products of them whose upper bits are
    // 0 for every descriptor: excluded from toggle coverage (docs/verification.md, "Code coverage")
    /* verilator coverage_off */
    wire [31:0] u_inh  = {24'd0, d_inh};
    wire [31:0] u_inw  = {24'd0, d_inw};
    wire [31:0] u_cin  = {24'd0, d_cin};
    wire [31:0] u_outh = {24'd0, d_outh};
    wire [31:0] u_outw = {24'd0, d_outw};
    wire [31:0] u_kh   = {29'd0, d_kh};
    wire [31:0] u_kw   = {29'd0, d_kw};
    wire [31:0] u_sh   = {29'd0, d_sh};
    wire [31:0] u_sw   = {29'd0, d_sw};
    wire [31:0] u_padt = {29'd0, d_padt};
    wire [31:0] u_blk  = {27'd0, d_blk};
    wire [31:0] u_kd   = {16'd0, d_kd};
    wire [31:0] u_n    = {16'd0, d_n};
    wire [31:0] u_as   = {16'd0, d_astride};
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] u_ctk  = (u_cin + K_MINUS_1) & ~K_MINUS_1;   // CT*K: channel-tiled pixel pitch
    wire [31:0] u_ct   = u_ctk >> LOG2K;                      // CT
    wire [31:0] u_p    = d_tiled ? u_ctk : u_cin;             // pixel pitch P (bytes)
    wire [31:0] u_wp   = u_inw * u_p;                         // bytes of an input row
    wire [31:0] u_rw   = (u_wp + K_MINUS_1) >> LOG2K;         // RW: ACT words of an input row
    wire [31:0] u_kk   = u_kh * u_kw;
    wire [31:0] u_has  = u_inh * u_as;                        // ACT words of an image
    /* verilator lint_on UNUSEDSIGNAL */
    /* verilator coverage_on */
    wire g_zero = (d_inh == 8'd0) || (d_inw == 8'd0) || (d_cin == 8'd0) || (d_kh == 3'd0) ||
                  (d_kw == 3'd0) || (d_sh == 3'd0) || (d_sw == 3'd0) || (d_outh == 8'd0) || (d_outw == 8'd0);
    wire geom_conv = g_zero || (d_blk == 5'd0) || (d_padt >= d_kh) || (d_padl >= d_kw) ||
                     (u_kd != u_kk * u_cin) || (u_blk > u_outh) || (u_wp > WIN_B_U32) ||
                     ((u_blk - 32'd1) * u_sh + u_kh > WIN_R_U32) || (u_as < u_rw);
    wire geom_pool = g_zero || (d_kh > 3'd4) || (d_kw > 3'd4) || (d_sh > 3'd4) || (d_sw > 3'd4) ||
                     (d_padt != 3'd0) || (d_padl != 3'd0) || (d_blk != 5'd0) || !d_tiled ||
                     (u_kd != u_kk) || (u_n != u_cin) ||
                     ((u_outh - 32'd1) * u_sh + u_kh > u_inh) || ((u_outw - 32'd1) * u_sw + u_kw > u_inw) ||
                     (u_as < u_inw * u_ct);

    // range checks (CHECK state); the row count is saturated at 2^16 and the image size at
    // 2^17 words, which decides every comparison with a depth <= 2^16 exactly
    localparam [31:0] ROWS_SAT = 32'd1 << 16;       // >= every depth: the comparisons stay exact
    localparam [31:0] HAS_SAT  = 32'd1 << 17;
    /* verilator coverage_off */  // 32- and 40-bit range arithmetic (upper bits 0 for legal fields)
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] rows1   = d_mrows - 32'd1;
    wire [31:0] rows1_c = (rows1 > ROWS_SAT) ? ROWS_SAT : rows1;
    wire [31:0] has_c   = (u_has > HAS_SAT) ? HAS_SAT : u_has;
    wire [31:0] prows1  = d_prows - 32'd1;          // fused pooling: the pooled rows are written
    wire [31:0] drows1  = f_fpool ? prows1 : rows1;
    wire [31:0] drows1c = (drows1 > ROWS_SAT) ? ROWS_SAT : drows1;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [16:0] rows1_s = rows1_c[16:0];
    wire [17:0] has_s   = has_c[17:0];
    wire [39:0] m1      = {24'd0, d_m} - 40'd1;
    wire [39:0] a_last  = {24'd0, d_abase} + m1 * {24'd0, d_astride} + {24'd0, n_kt} - 40'd1;
    wire [39:0] a_lastx = {24'd0, d_abase} + {24'd0, d_m} * {22'd0, has_s} - 40'd1;
    wire [39:0] b_last  = {24'd0, d_bbase} + (({24'd0, n_nt} * {24'd0, n_kt}) << LOG2K) - 40'd1;
    wire [39:0] c_last  = {24'd0, d_cbase} + {23'd0, rows1_s} * {24'd0, d_cstride} + {24'd0, n_nt} - 40'd1;
    wire [16:0] drows1s = drows1c[16:0];
    wire [39:0] dd_last = {24'd0, d_dbase} + {23'd0, drows1s} * {24'd0, d_dstride} + {24'd0, n_nt} - 40'd1;
    wire [39:0] bq_last = {24'd0, d_bqbase} + {24'd0, n_nt} - 40'd1;
    /* verilator coverage_on */
    wire e_shape = (d_m == 16'd0) || (d_n == 16'd0) || (d_kd == 16'd0);
    // OUT8 only with INT8, on a GEMM or CONV (op 3 fails anyway), without fused pooling (pool = 0)
    wire e_out8  = d_out8 && (!d_int8 || is_pool || (d_fp != 3'd0));
    wire e_flags = d_rsvd || (d_op == 2'd3) || (is_pool && (d_acc || d_bias || d_relu || !d_int8)) || e_out8;
    // fused pooling: pool in {0, 2, 3, 4}; non-zero only on an INT8 CONV with blk_rows a multiple of
    // pool and out_h, out_w >= pool
    wire blk_mod = (d_fp == 3'd2) ? d_blk[0] :
                   (d_fp == 3'd4) ? (d_blk[1:0] != 2'd0) : ((d_blk % 5'd3) != 5'd0);
    wire geom_fp = (d_fp != 3'd0) && ((d_fp == 3'd1) || (d_fp > 3'd4) || !is_conv || !d_int8 || blk_mod ||
                                      (d_outh < {5'd0, d_fp}) || (d_outw < {5'd0, d_fp}));
    wire e_geom  = (is_conv && geom_conv) || (is_pool && geom_pool) || geom_fp;
    wire e_acc   = is_gemm ? ({1'b0, d_m} > ACC_LIMIT) : (is_conv && (u_blk * u_outw > ACC_D_U32));
    wire e_a     = is_gemm ? (a_last >= ACT_LIMIT) : (a_lastx >= ACT_LIMIT);
    wire e_b     = !is_pool && (b_last >= WGT_LIMIT);
    wire e_c     = !is_pool && (f_acc || !f_int8 || d_out8) && (c_last >= OUT_LIMIT);   // OUT8 writes C
    wire e_d     = f_int8 && !d_out8 && (dd_last >= ACT_LIMIT);
    wire e_bq    = !is_pool && (f_bias || f_int8) && (bq_last >= BQ_LIMIT);
    wire [3:0] chk_code = e_shape ? SYSTOLIC_ERR_SHAPE : e_flags ? SYSTOLIC_ERR_FLAGS :
                          e_geom ? SYSTOLIC_ERR_GEOM : e_acc ? SYSTOLIC_ERR_ACC_DEPTH :
                          e_a ? SYSTOLIC_ERR_A_RANGE : e_b ? SYSTOLIC_ERR_B_RANGE :
                          e_c ? SYSTOLIC_ERR_C_RANGE : e_d ? SYSTOLIC_ERR_D_RANGE :
                          e_bq ? SYSTOLIC_ERR_BQ_RANGE : SYSTOLIC_ERR_NONE;

    // per-descriptor constants for CONV and POOL, registered (valid from the cycle after CHECK)
    reg [ACT_AW-1:0] k_has, k_padtas, k_bsas, k_shas, k_ct, k_swct;
    reg [12:0]       k_bsh;       // blk_rows * stride_h
    reg [15:0]       k_rw;        // RW
    /* verilator coverage_off */  // products in 32 bits, registered below at their widths
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] u_padtas = u_padt * u_as;
    wire [31:0] u_bsh    = u_blk * u_sh;
    wire [31:0] u_bsas   = u_bsh * u_as;
    wire [31:0] u_shas   = u_sh * u_as;
    wire [31:0] u_swct   = u_sw * u_ct;
    /* verilator lint_on UNUSEDSIGNAL */
    /* verilator coverage_on */
    always @(posedge clk) begin
        if (!rst_n) begin
            k_has <= {ACT_AW{1'b0}}; k_padtas <= {ACT_AW{1'b0}}; k_bsas <= {ACT_AW{1'b0}};
            k_shas <= {ACT_AW{1'b0}}; k_ct <= {ACT_AW{1'b0}}; k_swct <= {ACT_AW{1'b0}};
            k_bsh <= 13'd0; k_rw <= 16'd0;
        end else begin
            k_has    <= u_has[ACT_AW-1:0];
            k_padtas <= u_padtas[ACT_AW-1:0];
            k_bsas   <= u_bsas[ACT_AW-1:0];
            k_shas   <= u_shas[ACT_AW-1:0];
            k_ct     <= u_ct[ACT_AW-1:0];
            k_swct   <= u_swct[ACT_AW-1:0];
            k_bsh    <= u_bsh[12:0];
            k_rw     <= u_rw[15:0];
        end
    end

    assign g_cin      = d_cin;
    assign g_in_h     = d_inh;
    assign g_in_w     = d_inw;
    assign g_out_w    = d_outw;
    assign g_kh       = d_kh;
    assign g_kw       = d_kw;
    assign g_stride_h = d_sh;
    assign g_stride_w = d_sw;
    assign g_pad_l    = d_padl;
    assign g_pitch    = u_p[8:0];

    // ------------------------------------------------------------------
    // run counters and address pointers
    reg [15:0]       kt_cnt, nt_cnt, p;
    reg [15:0]       r_kt, r_nt, r_per, r_mb;
    reg [LOG2K:0]    r_krem_last, r_nrem_last;
    reg [ACT_AW-1:0] a_ptr, d_ptr, blk_d;
    reg [WGT_AW-1:0] w_ptr;
    reg [OUT_AW-1:0] c_ptr, blk_c;
    reg [BQ_AW-1:0]  bq_ptr;

    // CONV blocks: the next block to load (nb_*), its LOAD loop (ld_*), the running block (cur_*)
    // POOL: image / output row / pixel / channel tile / kernel row / address pointers
    reg [15:0]       img_b;          // CONV: image of the next block; POOL: image
    reg [7:0]        row_oh;         // CONV: oh0 of the next block; POOL: output row
    reg [ACT_AW-1:0] img_ptr;        // a_base + b*H*a_stride
    reg [ACT_AW-1:0] row_ptr;        // CONV: img_ptr + ih0*a_stride (mod); POOL: img_ptr + oh*stride_h*a_stride
    reg [12:0]       nb_ih;          // CONV: signed input row of window row 0 of the next block
    reg [12:0]       ld_s, ld_shi;   // CONV LOAD: window row (signed), last window row to load
    reg [15:0]       ld_j, ld_mb;
    reg [ACT_AW-1:0] ld_rowp, ld_ptr;
    reg              ld_last, cur_last;
    reg [12:0]       cur_ih;
    reg [2:0]        pl_kx, pl_ky;
    reg [7:0]        pl_ow;
    reg [ACT_AW-1:0] pl_pix, pl_ctp, pl_row, pl_addr;
    // fused pooling: the issued pixel (ow, oh) of the block and its place in the pool windows; the
    // running block's oh0, whether its first window row group fits, whether it is of the last image
    reg [7:0]        fp_ow, fp_oh, cur_oh0;
    reg [2:0]        fp_dx, fp_dy;
    reg [6:0]        fp_pw;
    reg              fp_hok, fp_vok, cur_vok0, cur_limg;

    wire run      = (state == S_RUN);
    wire rowrun   = run && !is_pool;             // GEMM / CONV tiles
    wire last_kt  = (kt_cnt == r_kt - 16'd1);
    wire last_nt  = (nt_cnt == r_nt - 16'd1);
    wire tile_end = (p == r_per - 16'd1);
    wire issue    = rowrun && (p < r_mb);
    wire load     = (state == S_LOAD);
    wire ld_rd    = load && ($signed(ld_s) <= $signed(ld_shi));
    wire pool_rd  = run && is_pool;
    assign a_issue   = issue;
    assign act_re    = (issue && is_gemm) || ld_rd || pool_rd;
    assign act_raddr = is_pool ? pl_addr : load ? ld_ptr : a_ptr;
    assign wgt_re    = rowrun && (p < K_FIELD);
    assign wgt_raddr = w_ptr;
    assign w_row     = p[LOG2K-1:0];
    assign t_krem    = last_kt ? r_krem_last : KREM_FULL;
    assign t_nrem    = last_nt ? r_nrem_last : KREM_FULL;
    assign i_m       = p[ACC_AW-1:0];
    assign i_first   = (kt_cnt == 16'd0);
    assign i_last    = last_kt;
    assign i_eof0    = last_kt && last_nt && (f_fpool ? (fp_emit && cur_limg && fp_lastpix)
                                                  : ((p == r_mb - 16'd1) && (!is_conv || cur_last)));
    wire [CMD_AW:0] cur_ext = {1'b0, cur_desc};
    wire            last_desc = (cur_ext + 1'b1 == end_desc);
    assign i_eof1    = i_eof0 && last_desc;
    assign i_caddr   = c_ptr;
    assign i_daddr   = d_ptr;
    assign i_bqaddr  = bq_ptr;

    // fused pooling: the pixel lies in a window (its segment starts at ow-dx with ow-dx+pool <= out_w,
    // its window row group at oh-dy with oh-dy+pool <= out_h); the window's last pixel emits
    wire [8:0] fp_pool9  = {6'd0, d_fp};
    wire       fp_lastow = (fp_ow == d_outw - 8'd1);
    wire       fp_dxl_w  = (fp_dx == d_fp - 3'd1);
    wire       fp_dyl_w  = (fp_dy == d_fp - 3'd1);
    wire [8:0] fp_ow1p   = {1'b0, fp_ow} + 9'd1 + fp_pool9;   // a segment from ow+1 fits iff <= out_w
    wire [8:0] fp_oh1p   = {1'b0, fp_oh} + 9'd1 + fp_pool9;   // a row group from oh+1 fits iff <= out_h
    wire [8:0] fp_oh0p   = {1'b0, row_oh} + fp_pool9;         // the block's first row group (in LOAD)
    wire       fp_keep   = fp_hok && fp_vok;
    wire       fp_emit   = fp_keep && fp_dxl_w && fp_dyl_w;
    wire       fp_lastpix = (fp_ow1p > {1'b0, d_outw}) && (fp_oh1p > {1'b0, d_outh});
    wire       d_step    = issue && (!f_fpool || fp_emit);       // the int8 destination pointer steps
    assign i_fp_keep = fp_keep;
    assign i_fp_dx0  = (fp_dx == 3'd0);
    assign i_fp_dxl  = fp_dxl_w;
    assign i_fp_dy0  = (fp_dy == 3'd0);
    assign i_fp_dyl  = fp_dyl_w;
    assign i_fp_pw   = fp_pw;

    wire [15:0] nt_next = nt_cnt + 16'd1;
    wire [15:0] kt_next = kt_cnt + 16'd1;
    wire [2*LOG2K+1:0] tile_macs = t_krem * t_nrem;

    // window control
    assign w_clr       = (state == S_CHECK);
    assign w_prep      = (state == S_PREP);
    assign w_prep_lane = p[LOG2K-1:0];
    assign w_lm_step   = rowrun && tile_end && !last_kt;
    assign w_lm_rst    = rowrun && tile_end && last_kt;
    assign w_pix_rst   = !run || tile_end;
    assign w_pix_ih0   = run ? cur_ih : nb_ih;
    assign w_issue     = issue && is_conv;
    assign ld_re       = ld_rd;
    assign ld_row      = ld_s[7:0];
    assign ld_word     = ld_j;

    // the next block (nb = img_b, row_oh, nb_ih, row_ptr): rows, pixels, window rows to load
    /* verilator lint_off UNUSEDSIGNAL */
    wire [8:0]  nb_rem  = {1'b0, d_outh} - {1'b0, row_oh};                  // out_h - oh0 >= 1
    wire [8:0]  nb_end  = {1'b0, row_oh} + {4'd0, d_blk};                    // oh0 + blk_rows
    wire [4:0]  nb_r    = (nb_rem < {4'd0, d_blk}) ? nb_rem[4:0] : d_blk;   // R
    wire [15:0] nb_mb   = {11'd0, nb_r} * {8'd0, d_outw};                   // Mb = R * out_w
    wire [12:0] nb_s    = {8'd0, nb_r - 5'd1} * {10'd0, d_sh} + {10'd0, d_kh};   // S
    wire [12:0] nb_slo  = nb_ih[12] ? (13'd0 - nb_ih) : 13'd0;               // first window row in the input
    wire [12:0] nb_sh1  = nb_s - 13'd1;
    wire [12:0] nb_sh2  = {5'd0, d_inh} - 13'd1 - nb_ih;                    // H-1-ih0
    wire [12:0] nb_shi  = ($signed(nb_sh1) < $signed(nb_sh2)) ? nb_sh1 : nb_sh2;
    wire [31:0] nb_off  = {29'd0, nb_slo[2:0]} * u_as;                      // s_lo <= pad_t <= 6
    /* verilator lint_on UNUSEDSIGNAL */
    wire [ACT_AW-1:0] nb_start = row_ptr + nb_off[ACT_AW-1:0];
    wire nb_img_end = (nb_end >= {1'b0, d_outh});
    wire nb_last    = nb_img_end && (img_b == d_m - 16'd1);

    // POOL loop ends
    wire pl_lkx  = (pl_kx == d_kw - 3'd1);
    wire pl_lky  = (pl_ky == d_kh - 3'd1);
    wire pl_low  = (pl_ow == d_outw - 8'd1);
    wire pl_loh  = (row_oh == d_outh - 8'd1);
    wire pl_lb   = (img_b == d_m - 16'd1);
    assign pl_re    = pool_rd;
    assign pl_first = (pl_kx == 3'd0) && (pl_ky == 3'd0);
    assign pl_last  = pl_lkx && pl_lky;
    assign pl_eof0  = pl_last && last_nt && pl_low && pl_loh && pl_lb;
    assign pl_eof1  = pl_eof0 && last_desc;
    assign pl_daddr = d_ptr;

    always @(posedge clk) begin
        if (!rst_n) begin
            state       <= S_IDLE;
            cur_desc    <= {CMD_AW{1'b0}};
            done        <= 1'b0;
            error       <= 1'b0;
            err_code    <= 4'd0;
            t_sel       <= 1'b0;
            d_m <= 16'd0; d_n <= 16'd0; d_kd <= 16'd0;
            d_acc <= 1'b0; d_bias <= 1'b0; d_relu <= 1'b0; d_int8 <= 1'b0; d_out8 <= 1'b0; d_rsvd <= 1'b0;
            d_abase <= 16'd0; d_astride <= 16'd0; d_bbase <= 16'd0; d_bqbase <= 16'd0;
            d_cbase <= 16'd0; d_cstride <= 16'd0; d_dbase <= 16'd0; d_dstride <= 16'd0;
            d_op <= 2'd0; d_inh <= 8'd0; d_inw <= 8'd0; d_cin <= 8'd0; d_outh <= 8'd0; d_outw <= 8'd0;
            d_tiled <= 1'b0; d_kh <= 3'd0; d_kw <= 3'd0; d_sh <= 3'd0; d_sw <= 3'd0;
            d_padt <= 3'd0; d_padl <= 3'd0; d_blk <= 5'd0; d_mrows <= 32'd0;
            d_fp <= 3'd0; d_prows <= 32'd0;
            kt_cnt <= 16'd0; nt_cnt <= 16'd0; p <= 16'd0;
            r_kt <= 16'd1; r_nt <= 16'd1; r_per <= 16'd1; r_mb <= 16'd0;
            r_krem_last <= KREM_FULL; r_nrem_last <= KREM_FULL;
            a_ptr <= {ACT_AW{1'b0}}; d_ptr <= {ACT_AW{1'b0}}; w_ptr <= {WGT_AW{1'b0}};
            c_ptr <= {OUT_AW{1'b0}}; bq_ptr <= {BQ_AW{1'b0}};
            blk_c <= {OUT_AW{1'b0}}; blk_d <= {ACT_AW{1'b0}};
            img_b <= 16'd0; row_oh <= 8'd0; img_ptr <= {ACT_AW{1'b0}}; row_ptr <= {ACT_AW{1'b0}};
            nb_ih <= 13'd0; cur_ih <= 13'd0; cur_last <= 1'b0;
            pl_kx <= 3'd0; pl_ky <= 3'd0; pl_ow <= 8'd0;
            pl_pix <= {ACT_AW{1'b0}}; pl_ctp <= {ACT_AW{1'b0}}; pl_row <= {ACT_AW{1'b0}};
            pl_addr <= {ACT_AW{1'b0}};
        end else begin
            case (state)
                S_IDLE: if (start) begin
                    state    <= S_FETCH;
                    cur_desc <= first_desc;
                    done     <= 1'b0;
                    error    <= 1'b0;
                    err_code <= 4'd0;
                    t_sel    <= 1'b0;
                end
                S_FETCH: state <= S_DECODE;
                S_DECODE: begin
                    d_m       <= `DESC_FIELD(M);
                    d_n       <= `DESC_FIELD(N);
                    d_kd      <= `DESC_FIELD(KD);
                    d_acc     <= `DESC_FIELD(ACC);
                    d_bias    <= `DESC_FIELD(BIAS);
                    d_relu    <= `DESC_FIELD(RELU);
                    d_int8    <= `DESC_FIELD(INT8);
                    d_out8    <= `DESC_FIELD(OUT8);
                    d_op      <= `DESC_FIELD(OP);
                    d_rsvd    <= |`DESC_FIELD(FLAGS_RSVD);
                    d_abase   <= `DESC_FIELD(A_BASE);
                    d_astride <= `DESC_FIELD(A_STRIDE);
                    d_bbase   <= `DESC_FIELD(B_BASE);
                    d_bqbase  <= `DESC_FIELD(BQ_BASE);
                    d_cbase   <= `DESC_FIELD(C_BASE);
                    d_cstride <= `DESC_FIELD(C_STRIDE);
                    d_dbase   <= `DESC_FIELD(D_BASE);
                    d_dstride <= `DESC_FIELD(D_STRIDE);
                    d_inh     <= `DESC_FIELD(IN_H);
                    d_inw     <= `DESC_FIELD(IN_W);
                    d_cin     <= `DESC_FIELD(CIN);
                    d_tiled   <= `DESC_FIELD(TILED);
                    d_kh      <= `DESC_FIELD(KH);
                    d_kw      <= `DESC_FIELD(KW);
                    d_sh      <= `DESC_FIELD(STRIDE_H);
                    d_sw      <= `DESC_FIELD(STRIDE_W);
                    d_padt    <= `DESC_FIELD(PAD_T);
                    d_padl    <= `DESC_FIELD(PAD_L);
                    d_outh    <= dec_oh;
                    d_outw    <= dec_ow;
                    d_blk     <= `DESC_FIELD(BLK_ROWS);
                    d_mrows   <= dec_rows;
                    d_fp      <= dec_fp;
                    d_prows   <= dec_prow;
                    state     <= S_CHECK;
                end
                S_CHECK: begin
                    if (chk_code != 4'd0) begin
                        state    <= S_IDLE;
                        done     <= 1'b1;
                        error    <= 1'b1;
                        err_code <= chk_code;
                    end else begin
                        state       <= is_conv ? S_PREP : S_RUN;
                        r_kt        <= n_kt;
                        r_nt        <= n_nt;
                        r_per       <= per;
                        r_mb        <= d_m;
                        r_krem_last <= krem_last;
                        r_nrem_last <= nrem_last;
                        kt_cnt      <= 16'd0;
                        nt_cnt      <= 16'd0;
                        p           <= 16'd0;
                        a_ptr       <= d_abase[ACT_AW-1:0];
                        d_ptr       <= d_dbase[ACT_AW-1:0];
                        c_ptr       <= d_cbase[OUT_AW-1:0];
                        bq_ptr      <= d_bqbase[BQ_AW-1:0];
                        w_ptr       <= d_bbase[WGT_AW-1:0];
                        blk_c       <= d_cbase[OUT_AW-1:0];
                        blk_d       <= d_dbase[ACT_AW-1:0];
                        img_b       <= 16'd0;
                        row_oh      <= 8'd0;
                        img_ptr     <= d_abase[ACT_AW-1:0];
                        row_ptr     <= d_abase[ACT_AW-1:0];
                        pl_kx       <= 3'd0;
                        pl_ky       <= 3'd0;
                        pl_ow       <= 8'd0;
                        pl_pix      <= d_abase[ACT_AW-1:0];
                        pl_ctp      <= d_abase[ACT_AW-1:0];
                        pl_row      <= d_abase[ACT_AW-1:0];
                        pl_addr     <= d_abase[ACT_AW-1:0];
                    end
                end
                S_PREP: begin
                    // the first block: window row 0 is input row -pad_t of image 0
                    if (p == 16'd0) begin
                        nb_ih   <= 13'd0 - {10'd0, d_padt};
                        row_ptr <= img_ptr - k_padtas;
                    end
                    if (p[LOG2K-1:0] == LANE_LAST) begin
                        p     <= 16'd0;
                        state <= S_LOAD;
                    end else begin
                        p <= p + 16'd1;
                    end
                end
                S_LOAD: if (!ld_rd) begin
                    // the cycle after the last read (it writes the last word): the block runs next
                    state    <= S_RUN;
                    r_mb     <= ld_mb;
                    r_per    <= (ld_mb > K_FIELD) ? ld_mb : K_FIELD;
                    cur_last <= ld_last;
                    cur_ih   <= nb_ih;
                    kt_cnt   <= 16'd0;
                    nt_cnt   <= 16'd0;
                    p        <= 16'd0;
                    c_ptr    <= blk_c;
                    d_ptr    <= blk_d;
                    bq_ptr   <= d_bqbase[BQ_AW-1:0];
                    w_ptr    <= d_bbase[WGT_AW-1:0];
                    // advance to the block after it
                    if (nb_img_end) begin
                        img_b   <= img_b + 16'd1;
                        row_oh  <= 8'd0;
                        nb_ih   <= 13'd0 - {10'd0, d_padt};
                        img_ptr <= img_ptr + k_has;
                        row_ptr <= img_ptr + k_has - k_padtas;
                    end else begin
                        row_oh  <= nb_end[7:0];
                        nb_ih   <= nb_ih + k_bsh;
                        row_ptr <= row_ptr + k_bsas;
                    end
                end
                S_RUN: if (is_pool) begin
                    // for each pixel, channel tile, kernel row, kernel column: one ACT read
                    if (!pl_lkx) begin
                        pl_kx   <= pl_kx + 3'd1;
                        pl_addr <= pl_addr + k_ct;
                    end else begin
                        pl_kx <= 3'd0;
                        if (!pl_lky) begin
                            pl_ky   <= pl_ky + 3'd1;
                            pl_row  <= pl_row + d_astride[ACT_AW-1:0];
                            pl_addr <= pl_row + d_astride[ACT_AW-1:0];
                        end else begin
                            pl_ky <= 3'd0;
                            if (!last_nt) begin
                                nt_cnt  <= nt_next;
                                pl_ctp  <= pl_ctp + 1'b1;
                                pl_row  <= pl_ctp + 1'b1;
                                pl_addr <= pl_ctp + 1'b1;
                                d_ptr   <= d_ptr + 1'b1;
                            end else begin
                                nt_cnt <= 16'd0;
                                blk_d  <= blk_d + d_dstride[ACT_AW-1:0];
                                d_ptr  <= blk_d + d_dstride[ACT_AW-1:0];
                                if (!pl_low) begin
                                    pl_ow   <= pl_ow + 8'd1;
                                    pl_pix  <= pl_pix + k_swct;
                                    pl_ctp  <= pl_pix + k_swct;
                                    pl_row  <= pl_pix + k_swct;
                                    pl_addr <= pl_pix + k_swct;
                                end else begin
                                    pl_ow <= 8'd0;
                                    if (!pl_loh) begin
                                        row_oh  <= row_oh + 8'd1;
                                        row_ptr <= row_ptr + k_shas;
                                        pl_pix  <= row_ptr + k_shas;
                                        pl_ctp  <= row_ptr + k_shas;
                                        pl_row  <= row_ptr + k_shas;
                                        pl_addr <= row_ptr + k_shas;
                                    end else begin
                                        row_oh <= 8'd0;
                                        if (!pl_lb) begin
                                            img_b   <= img_b + 16'd1;
                                            img_ptr <= img_ptr + k_has;
                                            row_ptr <= img_ptr + k_has;
                                            pl_pix  <= img_ptr + k_has;
                                            pl_ctp  <= img_ptr + k_has;
                                            pl_row  <= img_ptr + k_has;
                                            pl_addr <= img_ptr + k_has;
                                        end else begin
                                            state <= S_DRAIN;
                                        end
                                    end
                                end
                            end
                        end
                    end
                end else begin
                    if (wgt_re) w_ptr <= w_ptr + 1'b1;
                    if (tile_end) begin
                        p     <= 16'd0;
                        t_sel <= ~t_sel;
                        if (last_kt) begin
                            kt_cnt <= 16'd0;
                            a_ptr  <= d_abase[ACT_AW-1:0];
                            if (last_nt) begin
                                if (is_conv && !cur_last) begin
                                    // the block is issued: the next one loads (output rows follow on)
                                    state <= S_LOAD;
                                    blk_c <= c_ptr + (issue ? d_cstride[OUT_AW-1:0] : {OUT_AW{1'b0}}) -
                                             nt_cnt[OUT_AW-1:0];
                                    blk_d <= d_ptr + (d_step ? d_dstride[ACT_AW-1:0] : {ACT_AW{1'b0}}) -
                                             nt_cnt[ACT_AW-1:0];
                                end else begin
                                    state <= S_DRAIN;
                                end
                            end else begin
                                nt_cnt <= nt_next;
                                c_ptr  <= blk_c + nt_next[OUT_AW-1:0];
                                d_ptr  <= blk_d + nt_next[ACT_AW-1:0];
                                bq_ptr <= d_bqbase[BQ_AW-1:0] + nt_next[BQ_AW-1:0];
                            end
                        end else begin
                            kt_cnt <= kt_next;
                            a_ptr  <= d_abase[ACT_AW-1:0] + kt_next[ACT_AW-1:0];
                            c_ptr  <= blk_c + nt_cnt[OUT_AW-1:0];
                            d_ptr  <= blk_d + nt_cnt[ACT_AW-1:0];
                        end
                    end else begin
                        p <= p + 16'd1;
                        if (issue) begin
                            a_ptr <= a_ptr + d_astride[ACT_AW-1:0];
                            c_ptr <= c_ptr + d_cstride[OUT_AW-1:0];
                        end
                        if (d_step) d_ptr <= d_ptr + d_dstride[ACT_AW-1:0];
                    end
                end
                S_DRAIN: if (!inflight) begin
                    if (last_desc) begin
                        state <= S_IDLE;
                        done  <= 1'b1;
                    end else begin
                        state    <= S_FETCH;
                        cur_desc <= cur_desc + 1'b1;
                    end
                end
                default: state <= S_IDLE;
            endcase
        end
    end

    // fused pooling: the pixel of the row issued next. LOAD sets the block's first pixel (row_oh is
    // the block's oh0 until the end of LOAD); each tile starts again at it; each issue steps ow
    // (and dx, pw) and at the end of an output row oh (and dy)
    always @(posedge clk) begin
        if (!rst_n) begin
            fp_ow <= 8'd0; fp_oh <= 8'd0; fp_dx <= 3'd0; fp_dy <= 3'd0; fp_pw <= 7'd0;
            fp_hok <= 1'b0; fp_vok <= 1'b0; cur_oh0 <= 8'd0; cur_vok0 <= 1'b0; cur_limg <= 1'b0;
        end else if (load || (rowrun && tile_end)) begin
            fp_ow  <= 8'd0;
            fp_dx  <= 3'd0;
            fp_pw  <= 7'd0;
            fp_dy  <= 3'd0;
            fp_hok <= 1'b1;                      // pool <= out_w (CHECK)
            if (load) begin
                fp_oh    <= row_oh;
                fp_vok   <= (fp_oh0p <= {1'b0, d_outh});
                cur_oh0  <= row_oh;
                cur_vok0 <= (fp_oh0p <= {1'b0, d_outh});
                cur_limg <= (img_b == d_m - 16'd1);
            end else begin
                fp_oh  <= cur_oh0;
                fp_vok <= cur_vok0;
            end
        end else if (issue) begin
            if (fp_lastow) begin
                fp_ow  <= 8'd0;
                fp_dx  <= 3'd0;
                fp_pw  <= 7'd0;
                fp_hok <= 1'b1;
                fp_oh  <= fp_oh + 8'd1;
                if (fp_dyl_w) begin
                    fp_dy  <= 3'd0;
                    fp_vok <= (fp_oh1p <= {1'b0, d_outh});
                end else begin
                    fp_dy <= fp_dy + 3'd1;
                end
            end else begin
                fp_ow <= fp_ow + 8'd1;
                if (fp_dxl_w) begin
                    fp_dx  <= 3'd0;
                    fp_pw  <= fp_pw + 7'd1;
                    fp_hok <= (fp_ow1p <= {1'b0, d_outw});
                end else begin
                    fp_dx <= fp_dx + 3'd1;
                end
            end
        end
    end

    // CONV LOAD loop: outside LOAD it holds the next block's start (so it is ready when LOAD
    // begins: nb_* change only at the end of a LOAD and at PREP's first cycle); in LOAD it
    // reads window rows ld_s .. ld_shi, words 0 .. RW-1 each, one a cycle
    always @(posedge clk) begin
        if (!rst_n) begin
            ld_s <= 13'd0; ld_shi <= 13'd0; ld_j <= 16'd0; ld_mb <= 16'd0;
            ld_rowp <= {ACT_AW{1'b0}}; ld_ptr <= {ACT_AW{1'b0}}; ld_last <= 1'b0;
        end else if (!load) begin
            ld_s    <= nb_slo;
            ld_shi  <= nb_shi;
            ld_j    <= 16'd0;
            ld_mb   <= nb_mb;
            ld_rowp <= nb_start;
            ld_ptr  <= nb_start;
            ld_last <= nb_last;
        end else if (ld_rd) begin
            if (ld_j == k_rw - 16'd1) begin
                ld_j    <= 16'd0;
                ld_s    <= ld_s + 13'd1;
                ld_rowp <= ld_rowp + d_astride[ACT_AW-1:0];
                ld_ptr  <= ld_rowp + d_astride[ACT_AW-1:0];
            end else begin
                ld_j   <= ld_j + 16'd1;
                ld_ptr <= ld_ptr + 1'b1;
            end
        end
    end

    // performance counters (cleared by start)
    always @(posedge clk) begin
        if (!rst_n || (start && state == S_IDLE)) begin
            cnt_cycles <= 32'd0;
            cnt_busy   <= 32'd0;
            cnt_macs   <= 32'd0;
            cnt_stalls <= 32'd0;
        end else begin
            if (busy)              cnt_cycles <= cnt_cycles + 32'd1;
            if (run)               cnt_busy   <= cnt_busy + 32'd1;
            if (rowrun && !issue)  cnt_stalls <= cnt_stalls + 32'd1;
            if (issue)             cnt_macs   <= cnt_macs + {{(32 - 2*LOG2K - 2){1'b0}}, tile_macs};
        end
    end
`undef DESC_FIELD

    // ------------------------------------------------------------------
    // assertions
`ifdef ASSERT_ON
    // a descriptor that CHECK accepted runs: its fields and CHECK's range bounds stay fixed
    wire sh_active = (state == S_PREP) || (state == S_LOAD) || (state == S_RUN) || (state == S_DRAIN);
    wire [39:0] sh_act   = {{(40 - ACT_AW){1'b0}}, act_raddr};
    wire [39:0] sh_wgt   = {{(40 - WGT_AW){1'b0}}, wgt_raddr};
    wire [39:0] sh_c     = {{(40 - OUT_AW){1'b0}}, c_ptr};
    wire [39:0] sh_d     = {{(40 - ACT_AW){1'b0}}, d_ptr};
    wire [39:0] sh_bq    = {{(40 - BQ_AW){1'b0}}, bq_ptr};
    wire [39:0] sh_a_hi  = is_gemm ? a_last : a_lastx;
    wire        sh_out_c = issue && last_kt && (!f_int8 || f_out8);     // an int32 (or OUT8) row to OUT[c]
    wire        sh_acc_c = issue && i_first && f_acc;                   // the ACC source OUT[c]
    wire        sh_out_d = (issue && last_kt && f_int8 && !f_out8 && d_step) || (pl_re && pl_last);  // ACT[d]
    wire        sh_bq_rd = issue && last_kt && (f_bias || f_int8);
`endif
    `ASSERT(RunsOnlyAccepted_A, clk, rst_n, !sh_active || chk_code == 4'd0)
    `ASSERT(PrepLoadOnlyForConv_A, clk, rst_n, !(state == S_PREP || state == S_LOAD) || is_conv)
    `ASSERT(ActReadInRange_A, clk, rst_n,
            !act_re || (sh_active && {24'd0, d_abase} <= sh_act && sh_act <= sh_a_hi))
    `ASSERT(WgtReadInRange_A, clk, rst_n,
            !wgt_re || (sh_active && {24'd0, d_bbase} <= sh_wgt && sh_wgt <= b_last))
    `ASSERT(OutWriteInRange_A, clk, rst_n, !(sh_out_c || sh_acc_c) || ({24'd0, d_cbase} <= sh_c && sh_c <= c_last))
    `ASSERT(ActWriteInRange_A, clk, rst_n, !sh_out_d || ({24'd0, d_dbase} <= sh_d && sh_d <= dd_last))
    `ASSERT(BqReadInRange_A, clk, rst_n, !sh_bq_rd || ({24'd0, d_bqbase} <= sh_bq && sh_bq <= bq_last))
    `ASSERT(AccIndexInRange_A, clk, rst_n, (!issue || {16'd0, p} < ACC_D_U32))
    `ASSERT(WindowLoadInRange_A, clk, rst_n, !ld_rd || (!ld_s[12] && {19'd0, ld_s} < WIN_R_U32 && {16'd0, ld_j} < (WIN_B_U32 >> LOG2K)))
    // docs/systolic.md "Dataflow": the array takes a new A row every RUN cycle while M >= K
    `ASSERT(NoStallWhenMAtLeastK_A, clk, rst_n, !(rowrun && r_mb >= K_FIELD) || issue)
endmodule
`default_nettype wire
