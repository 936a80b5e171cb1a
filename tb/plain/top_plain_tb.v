// Plain Icarus testbench for accel_top (no Python in the simulator process): the same
// stimulus as tb/top/test_top.py's run_job, in the same order and timing. It
// instantiates tb/top/top_harness.v (the same backdoor loads, dumps and stream
// capture in +TOP_DIR); the clock and a command script written by bench/plain.py
// (script.vh: reset, loads, LeBug and register writes over APB, start, wait for done
// and for LeBug to drain, dumps, counter/tap/status/trace reads) replace cocotb.
//   +SCRIPT=<file>  +OUT=<file> (the APB read words, one hex word a line)  +TOP_DIR=<dir>
// Used by bench/ to measure the cocotb overhead (docs/performance.md). Not synthesizable.
`timescale 1ns/1ps
module top_plain_tb;
    parameter K           = 8;
    parameter ACT_DEPTH   = 16384;
    parameter WGT_DEPTH   = 16384;
    parameter BQ_DEPTH    = 256;
    parameter OUT_DEPTH   = 16384;
    parameter ACC_DEPTH   = 1024;
    parameter CMD_DEPTH   = 64;
    parameter N           = 8;
    parameter M           = 4;
    parameter FRAC_W      = 0;
    parameter IB_DEPTH    = 8;
    parameter FU_ROWS     = 4;
    parameter CACHE_DEPTH = 8;
    parameter TB_DEPTH    = 64;
    parameter MAX_CHAINS  = 8;
    parameter VSRU_FIRST  = 0;
    parameter TAP_DEPTH   = 256;
    localparam APB_AW = 24;
    localparam CLK_NS = 10;

    reg               clk;
    reg               rst_n;
    reg               apb_psel, apb_penable, apb_pwrite;
    reg  [APB_AW-1:0] apb_paddr;
    reg  [31:0]       apb_pwdata;
    wire [31:0]       apb_prdata;
    wire              apb_pready, apb_pslverr;
    reg               ld_go, dump_go, cap_open, cap_close;
    reg  [2:0]        ld_sel, dump_sel;
    reg  [31:0]       ld_count, dump_count;
    wire              busy, done, idle;
    integer           apb_transfers;

    `include "apb_tasks.vh"
    `include "clock.vh"

    top_harness #(
        .K(K), .ACT_DEPTH(ACT_DEPTH), .WGT_DEPTH(WGT_DEPTH), .BQ_DEPTH(BQ_DEPTH), .OUT_DEPTH(OUT_DEPTH),
        .ACC_DEPTH(ACC_DEPTH), .CMD_DEPTH(CMD_DEPTH), .N(N), .M(M), .FRAC_W(FRAC_W), .IB_DEPTH(IB_DEPTH),
        .FU_ROWS(FU_ROWS), .CACHE_DEPTH(CACHE_DEPTH), .TB_DEPTH(TB_DEPTH), .MAX_CHAINS(MAX_CHAINS),
        .VSRU_FIRST(VSRU_FIRST), .TAP_DEPTH(TAP_DEPTH)
    ) h (
        .clk(clk), .rst_n(rst_n),
        .apb_psel(apb_psel), .apb_penable(apb_penable), .apb_pwrite(apb_pwrite), .apb_paddr(apb_paddr),
        .apb_pwdata(apb_pwdata), .apb_prdata(apb_prdata), .apb_pready(apb_pready), .apb_pslverr(apb_pslverr),
        .ld_go(ld_go), .ld_sel(ld_sel), .ld_count(ld_count), .dump_go(dump_go), .dump_sel(dump_sel),
        .dump_count(dump_count), .cap_open(cap_open), .cap_close(cap_close), .busy(busy), .done(done),
        .idle(idle)
    );

    // TB.run: capture, start, wait for done and for LeBug to drain, stop capturing
    task run_accel(input [31:0] ctrl_addr, input [31:0] start_word);
        begin
            cap_open <= 1'b1;
            @(posedge clk);
            cap_open <= 1'b0;
            @(posedge clk);
            apb_write(ctrl_addr, start_word);
            @(posedge clk);
            if (!done) @(posedge done);
            repeat (2) @(posedge clk);
            while (!idle) @(posedge idle);
            repeat (2) @(posedge clk);
            cap_close <= 1'b1;
            @(posedge clk);
            cap_close <= 1'b0;
            @(posedge clk);
        end
    endtask

    `include "script.vh"

    `include "scratchpad_main.vh"
endmodule
