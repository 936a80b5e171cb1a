// Formal wrapper of rtl/lebug/lebug_dp.v (tb/lebug/formal/lebug_dp.sby): N=4 lanes, M=2 (the
// three commit sizes 1, M, N differ, and a commit can complete one row and start the next),
// DATA_W=2; every input free (any commit size, condition codes and flags), reset first.
`include "formal_reset.vh"
module lebug_dp_formal (
    input wire       clk,
    input wire       rst_n,
    input wire       flush,
    input wire       in_valid,
    input wire [7:0] in_data,
    input wire [3:0] in_flags,
    input wire       commit_en,
    input wire [1:0] commit_size,
    input wire [2:0] commit_c1,
    input wire [2:0] commit_c2
);
    `FORMAL_RESET_FIRST(clk, rst_n)

    wire       out_valid, row_valid;
    wire [7:0] row_data;
    wire [1:0] fill;
    lebug_dp #(.N(4), .M(2), .DATA_W(2)) u_dut (
        .clk(clk), .rst_n(rst_n), .flush(flush), .in_valid(in_valid), .in_data(in_data), .in_flags(in_flags),
        .commit_en(commit_en), .commit_size(commit_size), .commit_c1(commit_c1), .commit_c2(commit_c2),
        .out_valid(out_valid), .row_valid(row_valid), .row_data(row_data), .fill(fill)
    );
endmodule
