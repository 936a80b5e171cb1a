// Formal wrapper of rtl/top/tap_adapter.v (tb/top/formal/tap_adapter.sby): K=4 lanes a row,
// N=2 a vector (two vectors a row, the split case; K <= N has one part and nothing to count),
// DATA_W=2; every input free, reset in the first cycle.
`include "formal_reset.vh"
module tap_adapter_formal (
    input wire       clk,
    input wire       rst_n,
    input wire       clear,
    input wire       row_valid,
    input wire [9:0] row,
    input wire       vec_ready
);
    `FORMAL_RESET_FIRST(clk, rst_n)

    wire       row_pop, vec_valid;
    wire [1:0] vec_eof;
    wire [3:0] vec_data;
    tap_adapter #(.K(4), .N(2), .DATA_W(2)) u_dut (
        .clk(clk), .rst_n(rst_n), .clear(clear), .row_valid(row_valid), .row(row), .row_pop(row_pop),
        .vec_ready(vec_ready), .vec_valid(vec_valid), .vec_eof(vec_eof), .vec_data(vec_data)
    );
endmodule
