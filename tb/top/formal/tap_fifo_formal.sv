// Formal wrapper of rtl/top/tap_fifo.v (tb/top/formal/tap_fifo.sby): 4 rows of 3 bits, every
// input free (push while full, pop while empty, clear at any time), reset in the first cycle.
// The RTL's assertions are the properties; the proof is parametric in W (data is only stored)
// and DEPTH 4 has every pointer case of a power-of-2 depth: wrap, full, empty, both at once.
`include "formal_reset.vh"
module tap_fifo_formal (
    input wire       clk,
    input wire       rst_n,
    input wire       clear,
    input wire       push,
    input wire [2:0] din,
    input wire       pop
);
    `FORMAL_RESET_FIRST(clk, rst_n)

    wire [2:0]  dout;
    wire        empty, full;
    wire [31:0] count;
    tap_fifo #(.W(3), .DEPTH(4)) u_dut (
        .clk(clk), .rst_n(rst_n), .clear(clear), .push(push), .din(din), .pop(pop),
        .dout(dout), .empty(empty), .full(full), .count(count)
    );
endmodule
