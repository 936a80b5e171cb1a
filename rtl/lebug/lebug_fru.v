// LeBug filter-reduce unit: vv_filter(row) + m_reduce('N'|'M'). One register stage.
// Bin j of lane i = T[row*M+j] < x[i] <= T[row*M+j+1] (signed).
// m_reduce 'N': out[i] = per-lane count; 'M': out[j] = histogram (j < M), 0 above.
// Counts are shifted left by FRAC_W. Without a filter the data passes through.
`default_nettype none
module lebug_fru #(
    parameter N       = 8,                   // lanes
    parameter M       = 4,                   // bins per pass
    parameter DATA_W  = 32,                  // bits per lane
    parameter FRAC_W  = 0,                   // fraction bits (0: integer)
    parameter FU_ROWS = 4,                   // threshold rows
    parameter PASS_W  = 44                   // control bits carried alongside the data
) (
    input  wire                             clk,
    input  wire                             rst_n,
    input  wire                             flush,
    input  wire [(FU_ROWS*M+1)*DATA_W-1:0]  thr_flat,
    input  wire                             in_valid,
    input  wire [N*DATA_W-1:0]              in_data,
    input  wire [3:0]                       in_flags,
    input  wire                             filt_en,
    input  wire [7:0]                       filt_row,
    input  wire [1:0]                       mred,
    input  wire [PASS_W-1:0]                in_pass,
    output wire                             out_valid,
    output wire [N*DATA_W-1:0]              out_data,
    output wire [3:0]                       out_flags,
    output wire [PASS_W-1:0]                out_pass
);
    localparam VW     = N * DATA_W;
    localparam ROW_W  = (M + 1) * DATA_W;   // thresholds of one row (M+1 values)
    localparam CNT_W  = $clog2(N + 1);      // holds both per-lane (<=M) and per-bin (<=N) counts
    localparam [1:0] MRED_N = 2'd1;
    localparam [1:0] MRED_M = 2'd2;
    localparam [CNT_W-1:0] CNT_ZERO = 0;

    // thresholds of each row
    wire [ROW_W-1:0] row_thr [0:FU_ROWS-1];
    genvar gr;
    generate
        for (gr = 0; gr < FU_ROWS; gr = gr + 1) begin : g_row
            assign row_thr[gr] = thr_flat[gr*M*DATA_W +: ROW_W];
        end
    endgenerate

    // select the row (rows >= FU_ROWS read as all zero thresholds)
    reg [ROW_W-1:0] sel_thr;
    always @* begin : p_sel
        integer r;
        sel_thr = {ROW_W{1'b0}};
        for (r = 0; r < FU_ROWS; r = r + 1)
            if (filt_row == r[7:0]) sel_thr = row_thr[r];
    end

    // comparisons x[i] > T[j], j = 0..M
    reg [N*(M+1)-1:0] gt;
    always @* begin : p_gt  // loop variables local to each block: none is shared between processes
        integer i, j;
        for (i = 0; i < N; i = i + 1)
            for (j = 0; j <= M; j = j + 1)
                gt[i*(M+1)+j] = $signed(in_data[i*DATA_W +: DATA_W]) >
                                $signed(sel_thr[j*DATA_W +: DATA_W]);
    end

    // bins and counts
    reg [CNT_W-1:0] cnt_lane [0:N-1];
    reg [CNT_W-1:0] cnt_bin  [0:M-1];
    reg             bin;
    always @* begin : p_cnt
        integer i, j;
        for (j = 0; j < M; j = j + 1) cnt_bin[j] = CNT_ZERO;
        for (i = 0; i < N; i = i + 1) begin
            cnt_lane[i] = CNT_ZERO;
            for (j = 0; j < M; j = j + 1) begin
                bin = gt[i*(M+1)+j] & ~gt[i*(M+1)+j+1];
                cnt_lane[i] = cnt_lane[i] + {{(CNT_W-1){1'b0}}, bin};
                cnt_bin[j]  = cnt_bin[j]  + {{(CNT_W-1){1'b0}}, bin};
            end
        end
    end

    // result
    reg [VW-1:0] res;
    always @* begin : p_res
        integer i, j;
        i = 0;  // assigned on every path: the loops below run in only some branches
        j = 0;
        res = in_data;
        if (filt_en && mred == MRED_N) begin
            for (i = 0; i < N; i = i + 1)
                res[i*DATA_W +: DATA_W] = {{(DATA_W-CNT_W){1'b0}}, cnt_lane[i]} << FRAC_W;
        end else if (filt_en && mred == MRED_M) begin
            res = {VW{1'b0}};
            for (j = 0; j < M; j = j + 1)
                res[j*DATA_W +: DATA_W] = {{(DATA_W-CNT_W){1'b0}}, cnt_bin[j]} << FRAC_W;
        end
    end

    lebug_stage_reg #(.VW(VW), .PASS_W(PASS_W)) u_stage (
        .clk(clk), .rst_n(rst_n), .flush(flush),
        .in_valid(in_valid), .in_data(res), .in_flags(in_flags), .in_pass(in_pass),
        .out_valid(out_valid), .out_data(out_data), .out_flags(out_flags), .out_pass(out_pass)
    );
endmodule
`default_nettype wire
