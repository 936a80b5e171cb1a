// Formal wrapper of rtl/top/accel_top.v's tap (tb/top/formal/accel_top_tap.sby): the top level
// with the systolic block and LeBug replaced by free stubs (block_stubs.sv), K=4 lanes a row,
// LeBug N=2 lanes of DATA_W=8 bits (two vectors a row, each lane saturated from int32), a tap
// FIFO of TAP_DEPTH=4 rows; every input free (APB: CTRL.CLEAR writes at any time, and every
// protocol error), reset in the first cycle.
`include "formal_reset.vh"
module accel_top_tap_formal (
    input wire        clk,
    input wire        rst_n,
    input wire        psel,
    input wire        penable,
    input wire        pwrite,
    input wire [23:0] paddr,
    input wire [31:0] pwdata
);
    `FORMAL_RESET_FIRST(clk, rst_n)

    wire [31:0] prdata;
    wire        pready, pslverr, busy, done, idle;
    accel_top #(.K(4), .N(2), .M(2), .DATA_W(8), .TAP_DEPTH(4)) u_dut (
        .clk(clk), .rst_n(rst_n), .psel(psel), .penable(penable), .pwrite(pwrite), .paddr(paddr),
        .pwdata(pwdata), .prdata(prdata), .pready(pready), .pslverr(pslverr), .busy(busy), .done(done),
        .idle(idle)
    );
endmodule
