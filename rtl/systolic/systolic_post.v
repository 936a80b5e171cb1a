// Output pipeline of the systolic GEMM block (docs/systolic.md, "Timing").
// The issue metadata of each activation row travels D = 2K+1 cycles in a delay
// line, so it meets the row's de-skewed array output in stage E0. Then:
//   E0  read acc[m] (later K-tiles), OUT[c] (ACC flag, first K-tile), bias/quant
//   E1  sum = base + row; not the last K-tile: acc[m] <- sum
//   E2  y = sum + bias (BIAS flag); ReLU
//   E3  int8: requantize; int32: y; lanes >= N of the last n-tile -> 0
//   E4  output row: stream port, and OUT[c] (int32) or ACT[d] (int8) write; with OUT8 the int8
//       row goes to OUT[c] instead: {zeros, int8 row}, lane c at bits [8c +: 8] as in ACT
// A CONV with fused pooling (f_fpool) puts one more stage between E3 and E4:
//   PS  pool stage: the int8 row of E3 (registered) updates the running maximum of its window row
//       segment (hm); at the segment's last pixel the segment maximum is combined with the line
//       buffer word of its window column pw (read in E3; not in the window's first row) and written
//       back, or, in the window's last row, goes to E4 as the pooled row (the only rows E4 sees)
// so the pipeline is one cycle longer (ps2_v) whether or not the last row emits.
// A POOL result row (systolic_pool, p_valid) enters E4 directly; the two never meet (the
// sequencer drains the pipeline between descriptors).
// Assertion (docs/verification.md, "Assertions"): E4 takes one row a cycle at most (the GEMM/CONV
// row, the pooled row and the POOL row never meet).
`include "assert.vh"
`default_nettype none
module systolic_post #(
    parameter K      = 8,                    // lanes
    parameter LOG2K  = $clog2(K),            // derived: lane index bits
    parameter ACT_AW = 14,                   // ACT address bits
    parameter OUT_AW = 14,                   // OUT address bits
    parameter BQ_AW  = 8,                    // BIAS/QUANT address bits
    parameter ACC_AW = 10                    // accumulator address bits
) (
    input  wire              clk,
    input  wire              rst_n,
    // issue-time metadata of an activation row (cycle t)
    input  wire              i_valid,
    input  wire [ACC_AW-1:0] i_m,
    input  wire              i_first,
    input  wire              i_last,
    input  wire              i_eof0,
    input  wire              i_eof1,
    input  wire [OUT_AW-1:0] i_caddr,
    input  wire [ACT_AW-1:0] i_daddr,
    input  wire [BQ_AW-1:0]  i_bqaddr,
    input  wire [LOG2K:0]    i_nrem,
    input  wire              i_fp_keep,      // fused pooling (systolic_seq): pixel inside a window
    input  wire              i_fp_dx0,       //   first / last pixel of its window row segment
    input  wire              i_fp_dxl,
    input  wire              i_fp_dy0,       //   first / last row of its window
    input  wire              i_fp_dyl,
    input  wire [6:0]        i_fp_pw,        //   window column
    input  wire              f_acc,
    input  wire              f_bias,
    input  wire              f_relu,
    input  wire              f_int8,
    input  wire              f_out8,         // with f_int8: int8 row to OUT (never with f_fpool or a POOL)
    input  wire              f_fpool,        // CONV with fused pooling
    // array output row (cycle t + D)
    input  wire [K*32-1:0]   row,
    // POOL result row (into E4)
    input  wire              p_valid,
    input  wire [1:0]        p_eof,
    input  wire [ACT_AW-1:0] p_daddr,
    input  wire [K*32-1:0]   p_row,
    // accumulator memory
    output wire              acc_re,
    output wire [ACC_AW-1:0] acc_raddr,
    input  wire [K*32-1:0]   acc_rdata,
    output wire              acc_we,
    output wire [ACC_AW-1:0] acc_waddr,
    output wire [K*32-1:0]   acc_wdata,
    // output scratchpad (int32, or the OUT8 int8 row)
    output wire              om_re,
    output wire [OUT_AW-1:0] om_raddr,
    input  wire [K*32-1:0]   om_rdata,
    output wire              om_we,
    output wire [OUT_AW-1:0] om_waddr,
    output wire [K*32-1:0]   om_wdata,
    // bias and quant scratchpads
    output wire              bq_re,
    output wire [BQ_AW-1:0]  bq_raddr,
    input  wire [K*32-1:0]   bias_rdata,
    input  wire [K*32-1:0]   quant_rdata,
    // activation scratchpad write (int8 results)
    output wire              aw_we,
    output wire [ACT_AW-1:0] aw_waddr,
    output wire [K*8-1:0]    aw_wdata,
    // output row stream
    output reg               out_valid,
    output reg  [1:0]        out_eof,
    output reg  [K*32-1:0]   out_data,
    output wire              inflight
);
    localparam D  = 2 * K + 1;
    // metadata word: {fp, nrem, bqaddr, daddr, caddr, eof1, eof0, last, first, m, valid},
    // fp = {pw, dyl, dy0, dxl, dx0, keep}
    localparam FPW = 12;
    localparam MW = 1 + ACC_AW + 4 + OUT_AW + ACT_AW + BQ_AW + LOG2K + 1 + FPW;
    localparam O_M  = 1;
    localparam O_F  = O_M + ACC_AW;
    localparam O_L  = O_F + 1;
    localparam O_E0 = O_L + 1;
    localparam O_E1 = O_E0 + 1;
    localparam O_C  = O_E1 + 1;
    localparam O_D  = O_C + OUT_AW;
    localparam O_BQ = O_D + ACT_AW;
    localparam O_NR = O_BQ + BQ_AW;
    localparam O_FP = O_NR + LOG2K + 1;

    integer i;
    genvar  g;

    // ------------------------------------------------------------------
    // delay line: line[j] holds the metadata of the row issued j+1 cycles ago
    // line[j*MW +: MW]: metadata of the row issued j+1 cycles ago
    reg  [MW*D-1:0] line;
    wire [MW-1:0]   i_meta = {i_fp_pw, i_fp_dyl, i_fp_dy0, i_fp_dxl, i_fp_dx0, i_fp_keep,
                              i_nrem, i_bqaddr, i_daddr, i_caddr, i_eof1, i_eof0, i_last, i_first,
                              i_m, i_valid};
    reg  [D-1:0]    line_v;
    generate
        if (D > 1) begin : g_line
            always @(posedge clk) begin
                if (!rst_n) line <= {(MW*D){1'b0}};
                else        line <= {line[MW*(D-1)-1:0], i_meta};
            end
        end else begin : g_line1
            always @(posedge clk) begin
                if (!rst_n) line <= {MW{1'b0}};
                else        line <= i_meta;
            end
        end
    endgenerate
    always @* begin
        for (i = 0; i < D; i = i + 1) line_v[i] = line[i*MW];
    end

    // ------------------------------------------------------------------
    // E0
    wire [MW-1:0]     e0 = line[(D-1)*MW +: MW];
    wire              e0_v     = e0[0];
    wire [ACC_AW-1:0] e0_m     = e0[O_M +: ACC_AW];
    wire              e0_first = e0[O_F];
    wire              e0_last  = e0[O_L];
    assign acc_re    = e0_v && !e0_first;
    assign acc_raddr = e0_m;
    assign om_re     = e0_v && e0_first && f_acc;
    assign om_raddr  = e0[O_C +: OUT_AW];
    assign bq_re     = e0_v && e0_last;
    assign bq_raddr  = e0[O_BQ +: BQ_AW];

    // E1
    reg              e1_v;
    reg [MW-1:0]     e1;
    reg [K*32-1:0]   e1_row;
    always @(posedge clk) begin
        if (!rst_n) begin
            e1_v   <= 1'b0;
            e1     <= {MW{1'b0}};
            e1_row <= {(K*32){1'b0}};
        end else begin
            e1_v <= e0_v;
            if (e0_v) begin
                e1     <= e0;
                e1_row <= row;
            end
        end
    end
    wire              e1_first = e1[O_F];
    wire              e1_last  = e1[O_L];
    wire [K*32-1:0]   base = e1_first ? (f_acc ? om_rdata : {(K*32){1'b0}}) : acc_rdata;
    wire [K*32-1:0]   sum;
    generate
        for (g = 0; g < K; g = g + 1) begin : g_sum
            assign sum[g*32 +: 32] = base[g*32 +: 32] + e1_row[g*32 +: 32];
        end
    endgenerate
    assign acc_we    = e1_v && !e1_last;
    assign acc_waddr = e1[O_M +: ACC_AW];
    assign acc_wdata = sum;

    // E2
    reg            e2_v;
    reg [MW-1:0]   e2;
    reg [K*32-1:0] e2_sum, e2_bias, e2_quant;
    always @(posedge clk) begin
        if (!rst_n) begin
            e2_v     <= 1'b0;
            e2       <= {MW{1'b0}};
            e2_sum   <= {(K*32){1'b0}};
            e2_bias  <= {(K*32){1'b0}};
            e2_quant <= {(K*32){1'b0}};
        end else begin
            e2_v <= e1_v && e1_last;
            if (e1_v && e1_last) begin
                e2       <= e1;
                e2_sum   <= sum;
                e2_bias  <= bias_rdata;
                e2_quant <= quant_rdata;
            end
        end
    end
    wire [K*32-1:0] y;
    generate
        for (g = 0; g < K; g = g + 1) begin : g_bias
            wire [31:0] yb = e2_sum[g*32 +: 32] + (f_bias ? e2_bias[g*32 +: 32] : 32'd0);
            assign y[g*32 +: 32] = (f_relu && yb[31]) ? 32'd0 : yb;
        end
    endgenerate

    // E3
    reg            e3_v;
    reg [MW-1:0]   e3;
    reg [K*32-1:0] e3_y, e3_quant;
    always @(posedge clk) begin
        if (!rst_n) begin
            e3_v     <= 1'b0;
            e3       <= {MW{1'b0}};
            e3_y     <= {(K*32){1'b0}};
            e3_quant <= {(K*32){1'b0}};
        end else begin
            e3_v <= e2_v;
            if (e2_v) begin
                e3       <= e2;
                e3_y     <= y;
                e3_quant <= e2_quant;
            end
        end
    end
    wire [LOG2K:0]  e3_nrem = e3[O_NR +: LOG2K + 1];
    wire [K*32-1:0] res;
    generate
        for (g = 0; g < K; g = g + 1) begin : g_out
            localparam [LOG2K:0] LANE = g;
            wire [31:0] q;
            /* verilator lint_off UNUSEDSIGNAL */
            wire [31:0] qw = e3_quant[g*32 +: 32];   // [31:29] reserved
            /* verilator lint_on UNUSEDSIGNAL */
            systolic_requant u_rq (.y(e3_y[g*32 +: 32]), .mult(qw[23:0]), .shift(qw[28:24]), .q(q));
            assign res[g*32 +: 32] = (LANE >= e3_nrem) ? 32'd0 : (f_int8 ? q : e3_y[g*32 +: 32]);
        end
    endgenerate

    // PS (fused pooling only): line buffer read in E3 for a segment end that is not in the window's
    // first row; the write of a segment end (PS) and the next read of the same word (the segment
    // below, out_w >= 2 rows later) are at least one cycle apart, so no bypass is needed
    wire [FPW-1:0] e3_fp = e3[O_FP +: FPW];
    wire           lb_re = e3_v && f_fpool && e3_fp[0] && e3_fp[2] && !e3_fp[3];
    wire [K*8-1:0] lb_rdata;
    reg            ps_v, ps2_v;
    reg  [FPW-1:0] ps_fp;
    reg  [1:0]     ps_eof;
    reg  [ACT_AW-1:0] ps_daddr;
    reg  [K*8-1:0] ps_row, hm;
    wire [K*8-1:0] hnew, vnew;
    wire           ps_keep = ps_fp[0];
    wire           ps_dx0  = ps_fp[1];
    wire           ps_dxl  = ps_fp[2];
    wire           ps_dy0  = ps_fp[3];
    wire           ps_dyl  = ps_fp[4];
    wire [6:0]     ps_pw   = ps_fp[5 +: 7];
    wire           ps_emit = ps_v && ps_keep && ps_dxl && ps_dyl;
    always @(posedge clk) begin
        if (!rst_n) begin
            ps_v     <= 1'b0;
            ps2_v    <= 1'b0;
            ps_fp    <= {FPW{1'b0}};
            ps_eof   <= 2'd0;
            ps_daddr <= {ACT_AW{1'b0}};
            ps_row   <= {(K*8){1'b0}};
            hm       <= {(K*8){1'b0}};
        end else begin
            ps_v  <= e3_v && f_fpool;
            ps2_v <= ps_v;
            if (e3_v && f_fpool) begin
                ps_fp    <= e3_fp;
                ps_eof   <= {e3[O_E1], e3[O_E0]};
                ps_daddr <= e3[O_D +: ACT_AW];
                for (i = 0; i < K; i = i + 1) ps_row[i*8 +: 8] <= res[i*32 +: 8];
            end
            if (ps_v && ps_keep) hm <= hnew;
        end
    end
    generate
        for (g = 0; g < K; g = g + 1) begin : g_fp
            wire signed [7:0] x = ps_row[g*8 +: 8];
            wire signed [7:0] h = hm[g*8 +: 8];
            wire signed [7:0] l = lb_rdata[g*8 +: 8];
            wire signed [7:0] hn = (ps_dx0 || x > h) ? x : h;
            assign hnew[g*8 +: 8] = hn;
            assign vnew[g*8 +: 8] = (ps_dy0 || hn > l) ? hn : l;
        end
    endgenerate
    // line buffer: the partial window maximum of each window column pw (PW <= 127)
    systolic_ram #(.W(K * 8), .DEPTH(128)) u_lb (
        .clk(clk), .we(ps_v && ps_keep && ps_dxl && !ps_dyl), .waddr(ps_pw), .wdata(vnew),
        .re(lb_re), .raddr(e3_fp[5 +: 7]), .rdata(lb_rdata)
    );

    // E4
    reg [OUT_AW-1:0] e4_caddr;
    reg [ACT_AW-1:0] e4_daddr;
    always @(posedge clk) begin
        if (!rst_n) begin
            out_valid <= 1'b0;
            out_eof   <= 2'd0;
            out_data  <= {(K*32){1'b0}};
            e4_caddr  <= {OUT_AW{1'b0}};
            e4_daddr  <= {ACT_AW{1'b0}};
        end else begin
            out_valid <= (e3_v && !f_fpool) | ps_emit | p_valid;
            if (e3_v && !f_fpool) begin
                out_eof  <= {e3[O_E1], e3[O_E0]};
                out_data <= res;
                e4_caddr <= e3[O_C +: OUT_AW];
                e4_daddr <= e3[O_D +: ACT_AW];
            end else if (ps_emit) begin
                out_eof  <= ps_eof;
                for (i = 0; i < K; i = i + 1) out_data[i*32 +: 32] <= {{24{vnew[i*8 + 7]}}, vnew[i*8 +: 8]};
                e4_daddr <= ps_daddr;
            end else if (p_valid) begin
                out_eof  <= p_eof;
                out_data <= p_row;
                e4_daddr <= p_daddr;
            end else begin
                out_eof <= 2'd0;
            end
        end
    end
    // OUT8 (only with f_int8 on a GEMM or plain CONV; CHECK rejects it elsewhere): the ACT word
    // aw_wdata, zero-extended, goes to OUT[c] instead of ACT[d]
    assign om_we    = out_valid && (!f_int8 || f_out8);
    assign om_waddr = e4_caddr;
    assign om_wdata = f_out8 ? {{(K*24){1'b0}}, aw_wdata} : out_data;
    assign aw_we    = out_valid && f_int8 && !f_out8;
    assign aw_waddr = e4_daddr;
    generate
        for (g = 0; g < K; g = g + 1) begin : g_pack
            assign aw_wdata[g*8 +: 8] = out_data[g*32 +: 8];
        end
    endgenerate

    assign inflight = (|line_v) | e1_v | e2_v | e3_v | ps_v | ps2_v | out_valid;

    `ASSERT(OneRowIntoE4_A, clk, rst_n,
            ({1'b0, e3_v && !f_fpool} + {1'b0, ps_emit} + {1'b0, p_valid} <= 2'd1))
endmodule
`default_nettype wire
