// Sequencer of the systolic GEMM block (docs/systolic.md, "Sequencer").
// Runs descriptors 0..num_desc-1 after `start`. Per descriptor:
//   FETCH (read the command memory), DECODE (latch fields), CHECK (range
//   checks; an error stops the run), RUN (tiles), DRAIN (until the output
//   pipeline is empty).
// RUN visits the tiles n-tile-major: for nt, for kt. A tile lasts
// P = max(M, K) cycles; in its cycle p it issues activation row p (p < M)
// and weight row p (p < K). Weight row r of a tile is written into the PEs'
// spare weight buffer just in time for the tile's first activation row.
`default_nettype none
module systolic_seq #(
    parameter K         = 8,                    // array size (power of 2)
    parameter ACT_DEPTH = 16384,                // activation scratchpad words
    parameter WGT_DEPTH = 16384,                // weight scratchpad words
    parameter BQ_DEPTH  = 256,                  // bias / quant scratchpad words
    parameter OUT_DEPTH = 16384,                // output scratchpad words
    parameter ACC_DEPTH = 1024,                 // accumulator words (largest M)
    parameter CMD_DEPTH = 64,                   // command memory descriptors
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
    input  wire [CMD_AW:0]   num_desc,
    // command memory read port
    output wire              cmd_re,
    output wire [CMD_AW-1:0] cmd_raddr,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [255:0]      cmd_rdata,   // the descriptor (systolic.rdl DESC; reserved bits unused)
    /* verilator lint_on UNUSEDSIGNAL */
    // output pipeline not empty
    input  wire              inflight,
    // issue: activation and weight reads
    output wire              act_re,
    output wire [ACT_AW-1:0] act_raddr,
    output wire              wgt_re,
    output wire [WGT_AW-1:0] wgt_raddr,
    output wire [LOG2K-1:0]  w_row,
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
    // descriptor flags (constant from CHECK to the end of DRAIN)
    output wire              f_acc,
    output wire              f_bias,
    output wire              f_relu,
    output wire              f_int8,
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

`include "systolic_regs.vh"

    // every descriptor field is 16 bits wide except the flags
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
    localparam [39:0]   ACT_LIMIT   = {8'd0, ACT_D_U32};      // range checks are 40-bit
    localparam [39:0]   WGT_LIMIT   = {8'd0, WGT_D_U32};
    localparam [39:0]   BQ_LIMIT    = {8'd0, BQ_D_U32};
    localparam [39:0]   OUT_LIMIT   = {8'd0, OUT_D_U32};
    localparam [FW:0]   ACC_LIMIT   = ACC_D_U32[FW:0];        // M is compared one bit wider
    localparam [LOG2K:0] KREM_FULL  = K_U32[LOG2K:0];

`define DESC_FIELD(f) cmd_rdata[SYSTOLIC_DESC_``f``_LSB +: SYSTOLIC_DESC_``f``_W]
    reg [2:0] state;
    assign busy = (state != S_IDLE);

    // ------------------------------------------------------------------
    // descriptor registers (latched in DECODE)
    reg [FW-1:0] d_m, d_n, d_kd;
    reg [FW-1:0] d_abase, d_astride, d_bbase, d_bqbase, d_cbase, d_cstride, d_dbase, d_dstride;
    reg          d_acc, d_bias, d_relu, d_int8, d_rsvd;

    assign f_acc  = d_acc;
    assign f_bias = d_bias;
    assign f_relu = d_relu;
    assign f_int8 = d_int8;

    assign cmd_re    = (state == S_FETCH);
    assign cmd_raddr = cur_desc;

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

    // range checks (CHECK state)
    wire [39:0] m1      = {24'd0, d_m} - 40'd1;
    wire [39:0] a_last  = {24'd0, d_abase} + m1 * {24'd0, d_astride} + {24'd0, n_kt} - 40'd1;
    wire [39:0] b_last  = {24'd0, d_bbase} + (({24'd0, n_nt} * {24'd0, n_kt}) << LOG2K) - 40'd1;
    wire [39:0] c_last  = {24'd0, d_cbase} + m1 * {24'd0, d_cstride} + {24'd0, n_nt} - 40'd1;
    wire [39:0] dd_last = {24'd0, d_dbase} + m1 * {24'd0, d_dstride} + {24'd0, n_nt} - 40'd1;
    wire [39:0] bq_last = {24'd0, d_bqbase} + {24'd0, n_nt} - 40'd1;
    wire e_shape = (d_m == 16'd0) || (d_n == 16'd0) || (d_kd == 16'd0);
    wire e_flags = d_rsvd;
    wire e_acc   = ({1'b0, d_m} > ACC_LIMIT);
    wire e_a     = (a_last >= ACT_LIMIT);
    wire e_b     = (b_last >= WGT_LIMIT);
    wire e_c     = (f_acc || !f_int8) && (c_last >= OUT_LIMIT);
    wire e_d     = f_int8 && (dd_last >= ACT_LIMIT);
    wire e_bq    = (f_bias || f_int8) && (bq_last >= BQ_LIMIT);
    wire [3:0] chk_code = e_shape ? SYSTOLIC_ERR_SHAPE : e_flags ? SYSTOLIC_ERR_FLAGS :
                          e_acc ? SYSTOLIC_ERR_ACC_DEPTH : e_a ? SYSTOLIC_ERR_A_RANGE :
                          e_b ? SYSTOLIC_ERR_B_RANGE : e_c ? SYSTOLIC_ERR_C_RANGE :
                          e_d ? SYSTOLIC_ERR_D_RANGE : e_bq ? SYSTOLIC_ERR_BQ_RANGE : SYSTOLIC_ERR_NONE;

    // ------------------------------------------------------------------
    // run counters and address pointers
    reg [15:0]       kt_cnt, nt_cnt, p;
    reg [15:0]       r_kt, r_nt, r_per;
    reg [LOG2K:0]    r_krem_last, r_nrem_last;
    reg [ACT_AW-1:0] a_ptr, d_ptr;
    reg [WGT_AW-1:0] w_ptr;
    reg [OUT_AW-1:0] c_ptr;
    reg [BQ_AW-1:0]  bq_ptr;

    wire run      = (state == S_RUN);
    wire last_kt  = (kt_cnt == r_kt - 16'd1);
    wire last_nt  = (nt_cnt == r_nt - 16'd1);
    wire tile_end = (p == r_per - 16'd1);
    assign act_re   = run && (p < d_m);
    assign wgt_re   = run && (p < K_FIELD);
    assign act_raddr = a_ptr;
    assign wgt_raddr = w_ptr;
    assign w_row     = p[LOG2K-1:0];
    assign t_krem    = last_kt ? r_krem_last : KREM_FULL;
    assign t_nrem    = last_nt ? r_nrem_last : KREM_FULL;
    assign i_m       = p[ACC_AW-1:0];
    assign i_first   = (kt_cnt == 16'd0);
    assign i_last    = last_kt;
    assign i_eof0    = last_kt && last_nt && (p == d_m - 16'd1);
    wire [CMD_AW:0] cur_ext = {1'b0, cur_desc};
    assign i_eof1    = i_eof0 && (cur_ext + 1'b1 == num_desc);
    assign i_caddr   = c_ptr;
    assign i_daddr   = d_ptr;
    assign i_bqaddr  = bq_ptr;

    wire [15:0] nt_next = nt_cnt + 16'd1;
    wire [15:0] kt_next = kt_cnt + 16'd1;
    wire [2*LOG2K+1:0] tile_macs = t_krem * t_nrem;

    always @(posedge clk) begin
        if (!rst_n) begin
            state       <= S_IDLE;
            cur_desc    <= {CMD_AW{1'b0}};
            done        <= 1'b0;
            error       <= 1'b0;
            err_code    <= 4'd0;
            t_sel       <= 1'b0;
            d_m <= 16'd0; d_n <= 16'd0; d_kd <= 16'd0;
            d_acc <= 1'b0; d_bias <= 1'b0; d_relu <= 1'b0; d_int8 <= 1'b0; d_rsvd <= 1'b0;
            d_abase <= 16'd0; d_astride <= 16'd0; d_bbase <= 16'd0; d_bqbase <= 16'd0;
            d_cbase <= 16'd0; d_cstride <= 16'd0; d_dbase <= 16'd0; d_dstride <= 16'd0;
            kt_cnt <= 16'd0; nt_cnt <= 16'd0; p <= 16'd0;
            r_kt <= 16'd1; r_nt <= 16'd1; r_per <= 16'd1;
            r_krem_last <= KREM_FULL; r_nrem_last <= KREM_FULL;
            a_ptr <= {ACT_AW{1'b0}}; d_ptr <= {ACT_AW{1'b0}}; w_ptr <= {WGT_AW{1'b0}};
            c_ptr <= {OUT_AW{1'b0}}; bq_ptr <= {BQ_AW{1'b0}};
        end else begin
            case (state)
                S_IDLE: if (start) begin
                    state    <= S_FETCH;
                    cur_desc <= {CMD_AW{1'b0}};
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
                    d_rsvd    <= |`DESC_FIELD(FLAGS_RSVD);
                    d_abase   <= `DESC_FIELD(A_BASE);
                    d_astride <= `DESC_FIELD(A_STRIDE);
                    d_bbase   <= `DESC_FIELD(B_BASE);
                    d_bqbase  <= `DESC_FIELD(BQ_BASE);
                    d_cbase   <= `DESC_FIELD(C_BASE);
                    d_cstride <= `DESC_FIELD(C_STRIDE);
                    d_dbase   <= `DESC_FIELD(D_BASE);
                    d_dstride <= `DESC_FIELD(D_STRIDE);
                    state     <= S_CHECK;
                end
                S_CHECK: begin
                    if (chk_code != 4'd0) begin
                        state    <= S_IDLE;
                        done     <= 1'b1;
                        error    <= 1'b1;
                        err_code <= chk_code;
                    end else begin
                        state       <= S_RUN;
                        r_kt        <= n_kt;
                        r_nt        <= n_nt;
                        r_per       <= per;
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
                    end
                end
                S_RUN: begin
                    if (wgt_re) w_ptr <= w_ptr + 1'b1;
                    if (tile_end) begin
                        p     <= 16'd0;
                        t_sel <= ~t_sel;
                        if (last_kt) begin
                            kt_cnt <= 16'd0;
                            a_ptr  <= d_abase[ACT_AW-1:0];
                            if (last_nt) begin
                                state <= S_DRAIN;
                            end else begin
                                nt_cnt <= nt_next;
                                c_ptr  <= d_cbase[OUT_AW-1:0] + nt_next[OUT_AW-1:0];
                                d_ptr  <= d_dbase[ACT_AW-1:0] + nt_next[ACT_AW-1:0];
                                bq_ptr <= d_bqbase[BQ_AW-1:0] + nt_next[BQ_AW-1:0];
                            end
                        end else begin
                            kt_cnt <= kt_next;
                            a_ptr  <= d_abase[ACT_AW-1:0] + kt_next[ACT_AW-1:0];
                            c_ptr  <= d_cbase[OUT_AW-1:0] + nt_cnt[OUT_AW-1:0];
                            d_ptr  <= d_dbase[ACT_AW-1:0] + nt_cnt[ACT_AW-1:0];
                        end
                    end else begin
                        p <= p + 16'd1;
                        if (act_re) begin
                            a_ptr <= a_ptr + d_astride[ACT_AW-1:0];
                            c_ptr <= c_ptr + d_cstride[OUT_AW-1:0];
                            d_ptr <= d_ptr + d_dstride[ACT_AW-1:0];
                        end
                    end
                end
                S_DRAIN: if (!inflight) begin
                    if (cur_ext + 1'b1 == num_desc) begin
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

    // performance counters (cleared by start)
    always @(posedge clk) begin
        if (!rst_n || (start && state == S_IDLE)) begin
            cnt_cycles <= 32'd0;
            cnt_busy   <= 32'd0;
            cnt_macs   <= 32'd0;
            cnt_stalls <= 32'd0;
        end else begin
            if (busy)           cnt_cycles <= cnt_cycles + 32'd1;
            if (run)            cnt_busy   <= cnt_busy + 32'd1;
            if (run && !act_re) cnt_stalls <= cnt_stalls + 32'd1;
            if (act_re)         cnt_macs   <= cnt_macs + {{(32 - 2*LOG2K - 2){1'b0}}, tile_macs};
        end
    end
`undef DESC_FIELD
endmodule
`default_nettype wire
