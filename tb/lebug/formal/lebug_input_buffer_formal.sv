// Formal wrapper of rtl/lebug/lebug_input_buffer.v (tb/lebug/formal/lebug_input_buffer.sby):
// 3 entries (not a power of 2: the pointers wrap by compare) of 3 bits, reset in the first
// cycle, inputs free but for the caller's contract, which lebug.v keeps (in_ready is low while
// the buffer is full; the sequencer pops only a non-empty buffer) and the RTL asserts.
`include "formal_reset.vh"
module lebug_input_buffer_formal (
    input wire       clk,
    input wire       rst_n,
    input wire       flush,
    input wire       push,
    input wire [2:0] din,
    input wire       pop
);
    `FORMAL_RESET_FIRST(clk, rst_n)

    wire [2:0] dout;
    wire       empty, full;
    always @(*) assume (!(push && full) && !(pop && empty));
    lebug_input_buffer #(.W(3), .DEPTH(3)) u_dut (
        .clk(clk), .rst_n(rst_n), .flush(flush), .push(push), .din(din), .pop(pop),
        .dout(dout), .empty(empty), .full(full)
    );
endmodule
