// Formal wrapper of rtl/common/apb_frontend.v (tb/common/formal/apb_frontend.sby): every
// input free (any PSEL/PENABLE/PWRITE/PADDR sequence, protocol errors included, any decoder
// answer err/hold, any read data), reset in the first cycle. The RTL's own assertions are
// the properties (docs/verification.md, "Formal").
`include "formal_reset.vh"
module apb_frontend_formal (
    input wire        clk,
    input wire        rst_n,
    input wire        psel,
    input wire        penable,
    input wire        pwrite,
    input wire [3:0]  paddr,
    input wire        err,
    input wire        hold,
    input wire [31:0] rd_val
);
    `FORMAL_RESET_FIRST(clk, rst_n)

    wire [31:0] addr, rd_q;
    wire        setup, access, wr, pready, pslverr;
    apb_frontend #(.ADDR_W(4)) u_dut (
        .clk(clk), .rst_n(rst_n), .psel(psel), .penable(penable), .pwrite(pwrite), .paddr(paddr),
        .addr(addr), .setup(setup), .access(access), .err(err), .hold(hold), .wr(wr),
        .rd_val(rd_val), .rd_q(rd_q), .pready(pready), .pslverr(pslverr)
    );
endmodule
