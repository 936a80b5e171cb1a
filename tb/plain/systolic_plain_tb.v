// Plain Icarus testbench for systolic (no Python in the simulator process): the same
// stimulus as tb/systolic/test_systolic.py's run_job, in the same order and timing.
// It instantiates tb/systolic/systolic_harness.v (the same backdoor $readmemh loads,
// $writememh dumps and stream capture in +SYS_DIR); the clock and a command script
// written by bench/plain.py (script.vh: reset, loads, descriptor writes over APB,
// start, wait for done, dumps, counter and status reads) replace the cocotb coroutines.
//   +SCRIPT=<file>  +OUT=<file> (the APB read words, one hex word a line)  +SYS_DIR=<dir>
// Used by bench/ to measure the cocotb overhead (docs/performance.md). Not synthesizable.
`timescale 1ns/1ps
module systolic_plain_tb;
    parameter K          = 8;
    parameter ACT_DEPTH  = 16384;
    parameter WGT_DEPTH  = 16384;
    parameter BQ_DEPTH   = 256;
    parameter OUT_DEPTH  = 16384;
    parameter ACC_DEPTH  = 1024;
    parameter CMD_DEPTH  = 64;
    parameter APB_ADDR_W = 23;
    localparam APB_AW = APB_ADDR_W;
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
    wire              out_valid, busy, done;
    wire [1:0]        out_eof;
    wire [K*32-1:0]   out_data;
    integer           apb_transfers;

    `include "apb_tasks.vh"
    `include "clock.vh"

    systolic_harness #(
        .K(K), .ACT_DEPTH(ACT_DEPTH), .WGT_DEPTH(WGT_DEPTH), .BQ_DEPTH(BQ_DEPTH), .OUT_DEPTH(OUT_DEPTH),
        .ACC_DEPTH(ACC_DEPTH), .CMD_DEPTH(CMD_DEPTH), .APB_ADDR_W(APB_ADDR_W)
    ) h (
        .clk(clk), .rst_n(rst_n),
        .apb_psel(apb_psel), .apb_penable(apb_penable), .apb_pwrite(apb_pwrite), .apb_paddr(apb_paddr),
        .apb_pwdata(apb_pwdata), .apb_prdata(apb_prdata), .apb_pready(apb_pready), .apb_pslverr(apb_pslverr),
        .ld_go(ld_go), .ld_sel(ld_sel), .ld_count(ld_count), .dump_go(dump_go), .dump_sel(dump_sel),
        .dump_count(dump_count), .cap_open(cap_open), .cap_close(cap_close), .out_valid(out_valid),
        .out_eof(out_eof), .out_data(out_data), .busy(busy), .done(done)
    );

    // TB.execute: capture the stream, start, wait for done, stop capturing
    task run_accel(input [31:0] ctrl_addr, input [31:0] start_word);
        begin
            cap_open <= 1'b1;
            @(posedge clk);
            cap_open <= 1'b0;
            apb_write(ctrl_addr, start_word);
            @(posedge clk);
            if (!done) @(posedge done);
            @(posedge clk);
            cap_close <= 1'b1;
            @(posedge clk);
            cap_close <= 1'b0;
        end
    endtask

    `include "script.vh"

    `include "scratchpad_main.vh"
endmodule
