// Testbench harness for systolic: the DUT plus backdoor scratchpad access and
// output-stream capture, so cocotb only programs over APB, starts and awaits
// `done`. Not synthesizable (tb/ only).
//   ld_go  (rising edge): $readmemh(<dir>/<mem>.hex, dut.u_<mem>.mem, 0, ld_count-1)
//   dump_go (rising edge): $writememh(<dir>/dump_<mem>.hex, dut.u_<mem>.mem, 0, dump_count-1)
//   cap_open / cap_close (rising edges): open (truncate) / close <dir>/stream.txt;
//   while open, every output row is appended as "<eof hex> <data hex>".
// Memory select: 0 cmd, 1 act, 2 wgt, 3 bias, 4 quant, 5 out.
`timescale 1ns/1ps
module systolic_harness #(
    parameter K          = 8,
    parameter ACT_DEPTH  = 16384,
    parameter WGT_DEPTH  = 16384,
    parameter BQ_DEPTH   = 256,
    parameter OUT_DEPTH  = 16384,
    parameter ACC_DEPTH  = 1024,
    parameter CMD_DEPTH  = 64,
    parameter APB_ADDR_W = 23
) (
    input  wire                  clk,
    input  wire                  rst_n,
    input  wire                  apb_psel,
    input  wire                  apb_penable,
    input  wire                  apb_pwrite,
    input  wire [APB_ADDR_W-1:0] apb_paddr,
    input  wire [31:0]           apb_pwdata,
    output wire [31:0]           apb_prdata,
    output wire                  apb_pready,
    output wire                  apb_pslverr,
    input  wire                  ld_go,
    input  wire [2:0]            ld_sel,
    input  wire [31:0]           ld_count,
    input  wire                  dump_go,
    input  wire [2:0]            dump_sel,
    input  wire [31:0]           dump_count,
    input  wire                  cap_open,
    input  wire                  cap_close,
    output wire                  out_valid,
    output wire [1:0]            out_eof,
    output wire [K*32-1:0]       out_data,
    output wire                  busy,
    output wire                  done
);
`define SPAD_ROOT dut
`define SPAD_DIR_ARG "SYS_DIR=%s"
`define CAP_VALID out_valid
`define CAP_EOF out_eof
`define CAP_DATA out_data
`include "scratchpad_backdoor.vh"
`undef SPAD_ROOT
`undef SPAD_DIR_ARG
`undef CAP_VALID
`undef CAP_EOF
`undef CAP_DATA

    systolic #(
        .K(K), .ACT_DEPTH(ACT_DEPTH), .WGT_DEPTH(WGT_DEPTH), .BQ_DEPTH(BQ_DEPTH), .OUT_DEPTH(OUT_DEPTH),
        .ACC_DEPTH(ACC_DEPTH), .CMD_DEPTH(CMD_DEPTH), .APB_ADDR_W(APB_ADDR_W)
    ) dut (
        .clk(clk), .rst_n(rst_n),
        .psel(apb_psel), .penable(apb_penable), .pwrite(apb_pwrite), .paddr(apb_paddr),
        .pwdata(apb_pwdata), .prdata(apb_prdata), .pready(apb_pready), .pslverr(apb_pslverr),
        .out_valid(out_valid), .out_eof(out_eof), .out_data(out_data), .busy(busy), .done(done)
    );
endmodule
