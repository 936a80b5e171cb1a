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
    parameter K         = 8,
    parameter ACT_DEPTH = 16384,
    parameter WGT_DEPTH = 16384,
    parameter BQ_DEPTH  = 256,
    parameter OUT_DEPTH = 16384,
    parameter ACC_DEPTH = 1024,
    parameter CMD_DEPTH = 64,
    parameter LOG2K     = $clog2(K),
    parameter ACT_AW    = $clog2(ACT_DEPTH),
    parameter WGT_AW    = $clog2(WGT_DEPTH),
    parameter BQ_AW     = $clog2(BQ_DEPTH),
    parameter OUT_AW    = $clog2(OUT_DEPTH),
    parameter ACC_AW    = $clog2(ACC_DEPTH),
    parameter CMD_AW    = $clog2(CMD_DEPTH)
) (
    input  wire              clk,
    input  wire              rst_n,
    input  wire              start,
    input  wire [CMD_AW:0]   num_desc,
    // command memory read port
    output wire              cmd_re,
    output wire [CMD_AW-1:0] cmd_raddr,
    input  wire [191:0]      cmd_rdata,   // descriptor words 0..5
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

    // descriptor flag bits (FLAGS field)
    localparam FL_ACC  = 0;
    localparam FL_BIAS = 1;
    localparam FL_RELU = 2;
    localparam FL_INT8 = 3;

    // error codes (STATUS.err_code)
    localparam [3:0] E_SHAPE = 4'd1;
    localparam [3:0] E_FLAGS = 4'd2;
    localparam [3:0] E_ACC   = 4'd3;
    localparam [3:0] E_A     = 4'd4;
    localparam [3:0] E_B     = 4'd5;
    localparam [3:0] E_C     = 4'd6;
    localparam [3:0] E_D     = 4'd7;
    localparam [3:0] E_BQ    = 4'd8;

    localparam [31:0] K32      = K;
    localparam [15:0] K16      = K32[15:0];
    localparam [31:0] KM1_32   = K - 1;
    localparam [31:0] ACT_D32  = ACT_DEPTH;
    localparam [31:0] WGT_D32  = WGT_DEPTH;
    localparam [31:0] BQ_D32   = BQ_DEPTH;
    localparam [31:0] OUT_D32  = OUT_DEPTH;
    localparam [31:0] ACC_D32  = ACC_DEPTH;
    localparam [16:0] ACC_D17  = ACC_D32[16:0];
    localparam [LOG2K:0] KREM_FULL = K32[LOG2K:0];

    reg [2:0] state;
    assign busy = (state != S_IDLE);

    // ------------------------------------------------------------------
    // descriptor registers
    reg [15:0] d_m, d_n, d_kd, d_flags;
    reg [15:0] d_abase, d_astride, d_bbase, d_bqbase, d_cbase, d_cstride, d_dbase, d_dstride;

    assign f_acc  = d_flags[FL_ACC];
    assign f_bias = d_flags[FL_BIAS];
    assign f_relu = d_flags[FL_RELU];
    assign f_int8 = d_flags[FL_INT8];

    assign cmd_re    = (state == S_FETCH);
    assign cmd_raddr = cur_desc;

    // derived tile counts (valid from CHECK on)
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] kt_sum = {16'd0, d_kd} + KM1_32;
    wire [31:0] nt_sum = {16'd0, d_n} + KM1_32;
    wire [15:0] d_km1  = d_kd - 16'd1;
    wire [15:0] d_nm1  = d_n - 16'd1;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [15:0] n_kt   = kt_sum[LOG2K +: 16];
    wire [15:0] n_nt   = nt_sum[LOG2K +: 16];
    wire [LOG2K:0] krem_last = {1'b0, d_km1[LOG2K-1:0]} + 1'b1;
    wire [LOG2K:0] nrem_last = {1'b0, d_nm1[LOG2K-1:0]} + 1'b1;
    wire [15:0] per    = (d_m > K16) ? d_m : K16;

    // range checks (CHECK state)
    wire [39:0] act_d40 = {8'd0, ACT_D32};
    wire [39:0] wgt_d40 = {8'd0, WGT_D32};
    wire [39:0] bq_d40  = {8'd0, BQ_D32};
    wire [39:0] out_d40 = {8'd0, OUT_D32};
    wire [39:0] m1      = {24'd0, d_m} - 40'd1;
    wire [39:0] a_last  = {24'd0, d_abase} + m1 * {24'd0, d_astride} + {24'd0, n_kt} - 40'd1;
    wire [39:0] b_last  = {24'd0, d_bbase} + (({24'd0, n_nt} * {24'd0, n_kt}) << LOG2K) - 40'd1;
    wire [39:0] c_last  = {24'd0, d_cbase} + m1 * {24'd0, d_cstride} + {24'd0, n_nt} - 40'd1;
    wire [39:0] dd_last = {24'd0, d_dbase} + m1 * {24'd0, d_dstride} + {24'd0, n_nt} - 40'd1;
    wire [39:0] bq_last = {24'd0, d_bqbase} + {24'd0, n_nt} - 40'd1;
    wire e_shape = (d_m == 16'd0) || (d_n == 16'd0) || (d_kd == 16'd0);
    wire e_flags = (d_flags[15:4] != 12'd0);
    wire e_acc   = ({1'b0, d_m} > ACC_D17);
    wire e_a     = (a_last >= act_d40);
    wire e_b     = (b_last >= wgt_d40);
    wire e_c     = (f_acc || !f_int8) && (c_last >= out_d40);
    wire e_d     = f_int8 && (dd_last >= act_d40);
    wire e_bq    = (f_bias || f_int8) && (bq_last >= bq_d40);
    wire [3:0] chk_code = e_shape ? E_SHAPE : e_flags ? E_FLAGS : e_acc ? E_ACC : e_a ? E_A :
                          e_b ? E_B : e_c ? E_C : e_d ? E_D : e_bq ? E_BQ : 4'd0;

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
    assign wgt_re   = run && (p < K16);
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
            d_m <= 16'd0; d_n <= 16'd0; d_kd <= 16'd0; d_flags <= 16'd0;
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
                    d_m       <= cmd_rdata[15:0];
                    d_n       <= cmd_rdata[31:16];
                    d_kd      <= cmd_rdata[47:32];
                    d_flags   <= cmd_rdata[63:48];
                    d_abase   <= cmd_rdata[79:64];
                    d_astride <= cmd_rdata[95:80];
                    d_bbase   <= cmd_rdata[111:96];
                    d_bqbase  <= cmd_rdata[127:112];
                    d_cbase   <= cmd_rdata[143:128];
                    d_cstride <= cmd_rdata[159:144];
                    d_dbase   <= cmd_rdata[175:160];
                    d_dstride <= cmd_rdata[191:176];
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
endmodule
`default_nettype wire
