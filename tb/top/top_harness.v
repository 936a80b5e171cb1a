// Testbench harness for accel_top: the DUT, backdoor $readmemh/$writememh access to
// the systolic scratchpads (files in +TOP_DIR), and capture of the accelerator's
// output rows, so cocotb programs over APB (or backdoor), starts, and awaits `done`.
//   ld_go   (rising edge): $readmemh(<dir>/<mem>.hex, dut.u_sys.u_<mem>.mem, 0, ld_count-1)
//   dump_go (rising edge): $writememh(<dir>/dump_<mem>.hex, dut.u_sys.u_<mem>.mem, 0, dump_count-1)
//   cap_open / cap_close (rising edges): open (truncate) / close <dir>/stream.txt
// Memory select: 0 cmd, 1 act, 2 wgt, 3 bias, 4 quant, 5 out. Not synthesizable (tb/ only).
`timescale 1ns/1ps
module top_harness #(
    parameter K           = 8,
    parameter ACT_DEPTH   = 16384,
    parameter WGT_DEPTH   = 16384,
    parameter BQ_DEPTH    = 256,
    parameter OUT_DEPTH   = 16384,
    parameter ACC_DEPTH   = 1024,
    parameter CMD_DEPTH   = 64,
    parameter N           = 8,
    parameter M           = 4,
    parameter FRAC_W      = 0,
    parameter IB_DEPTH    = 8,
    parameter FU_ROWS     = 4,
    parameter CACHE_DEPTH = 8,
    parameter TB_DEPTH    = 64,
    parameter MAX_CHAINS  = 8,
    parameter VSRU_FIRST  = 0,
    parameter TAP_DEPTH   = 256
) (
    input  wire        clk,
    input  wire        rst_n,
    input  wire        apb_psel,
    input  wire        apb_penable,
    input  wire        apb_pwrite,
    input  wire [23:0] apb_paddr,
    input  wire [31:0] apb_pwdata,
    output wire [31:0] apb_prdata,
    output wire        apb_pready,
    output wire        apb_pslverr,
    input  wire        ld_go,
    input  wire [2:0]  ld_sel,
    input  wire [31:0] ld_count,
    input  wire        dump_go,
    input  wire [2:0]  dump_sel,
    input  wire [31:0] dump_count,
    input  wire        cap_open,
    input  wire        cap_close,
    output wire        busy,
    output wire        done,
    output wire        idle
);
`define SPAD_ROOT dut.u_sys
`define SPAD_DIR_ARG "TOP_DIR=%s"
`define CAP_VALID dut.st_valid
`define CAP_EOF dut.st_eof
`define CAP_DATA dut.st_data
`include "scratchpad_backdoor.vh"
`undef SPAD_ROOT
`undef SPAD_DIR_ARG
`undef CAP_VALID
`undef CAP_EOF
`undef CAP_DATA

    accel_top #(
        .K(K), .ACT_DEPTH(ACT_DEPTH), .WGT_DEPTH(WGT_DEPTH), .BQ_DEPTH(BQ_DEPTH), .OUT_DEPTH(OUT_DEPTH),
        .ACC_DEPTH(ACC_DEPTH), .CMD_DEPTH(CMD_DEPTH), .N(N), .M(M), .FRAC_W(FRAC_W), .IB_DEPTH(IB_DEPTH),
        .FU_ROWS(FU_ROWS), .CACHE_DEPTH(CACHE_DEPTH), .TB_DEPTH(TB_DEPTH), .MAX_CHAINS(MAX_CHAINS),
        .VSRU_FIRST(VSRU_FIRST), .TAP_DEPTH(TAP_DEPTH)
    ) dut (
        .clk(clk), .rst_n(rst_n),
        .psel(apb_psel), .penable(apb_penable), .pwrite(apb_pwrite), .paddr(apb_paddr),
        .pwdata(apb_pwdata), .prdata(apb_prdata), .pready(apb_pready), .pslverr(apb_pslverr),
        .busy(busy), .done(done), .idle(idle)
    );
endmodule
