// Formal wrapper of rtl/lebug/lebug_trace_buf.v (tb/lebug/formal/lebug_trace_buf.sby): 4 rows
// (TB_DEPTH is a power of 2; 4 has a wrap), N=2 lanes of 2 bits; every input free (writes and
// flushes at any time, 32-bit ROWS counter in full), reset in the first cycle.
`include "formal_reset.vh"
module lebug_trace_buf_formal (
    input wire       clk,
    input wire       rst_n,
    input wire       flush,
    input wire       wr_en,
    input wire [3:0] wr_data,
    input wire [1:0] rd_row,
    input wire       rd_lane
);
    `FORMAL_RESET_FIRST(clk, rst_n)

    wire [1:0]  rd_data;
    wire [31:0] rows;
    wire        wrap;
    lebug_trace_buf #(.N(2), .DATA_W(2), .TB_DEPTH(4)) u_dut (
        .clk(clk), .rst_n(rst_n), .flush(flush), .wr_en(wr_en), .wr_data(wr_data),
        .rd_row(rd_row), .rd_lane(rd_lane), .rd_data(rd_data), .rows(rows), .wrap(wrap)
    );
endmodule
