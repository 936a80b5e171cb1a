// Plain Icarus testbench for lebug (no Python in the simulator process): the same
// stimulus as tb/lebug/test_lebug.py's run_job, in the same order and timing.
// It instantiates tb/lebug/lebug_harness.v (the same $readmemh stimulus player);
// the clock, the APB programming writes, the start/wait and the trace read-back
// over APB are Verilog here instead of cocotb coroutines.
//   +PROG=<file>     "<addr> <data>" hex records (pymodel.lebug.regmap.program_records)
//   +STIM_DATA=<file> +STIM_CTL=<file> +STIM_COUNT=<n>   the harness's stimulus files
//   +OUT=<file>      results: the trace-buffer words (row-major, lane order), then
//                    STATUS ROWS DROPS CYCLES VECTORS, one hex word a line
// Used by bench/ to measure the cocotb overhead (docs/performance.md). Not synthesizable.
`timescale 1ns/1ps
module lebug_plain_tb;
    parameter N = 8;
    parameter M = 4;
    parameter DATA_W = 32;
    parameter FRAC_W = 0;
    parameter IB_DEPTH = 8;
    parameter FU_ROWS = 4;
    parameter CACHE_DEPTH = 8;
    parameter TB_DEPTH = 64;
    parameter MAX_CHAINS = 8;
    parameter VSRU_FIRST = 0;
    localparam APB_AW = 20;
    localparam CLK_NS = 10;

    reg                clk;
    reg                rst_n;
    reg                apb_psel, apb_penable, apb_pwrite;
    reg  [APB_AW-1:0]  apb_paddr;
    reg  [31:0]        apb_pwdata;
    wire [31:0]        apb_prdata;
    wire               apb_pready, apb_pslverr;
    reg                stim_load, stim_start;
    reg  [31:0]        stim_count;
    wire               stim_done, idle;
    wire [31:0]        stim_cycles;
    integer            apb_transfers;

    `include "apb_tasks.vh"

    lebug_harness #(
        .N(N), .M(M), .DATA_W(DATA_W), .FRAC_W(FRAC_W), .IB_DEPTH(IB_DEPTH), .FU_ROWS(FU_ROWS),
        .CACHE_DEPTH(CACHE_DEPTH), .TB_DEPTH(TB_DEPTH), .MAX_CHAINS(MAX_CHAINS), .VSRU_FIRST(VSRU_FIRST)
    ) h (
        .clk(clk), .rst_n(rst_n),
        .apb_psel(apb_psel), .apb_penable(apb_penable), .apb_pwrite(apb_pwrite), .apb_paddr(apb_paddr),
        .apb_pwdata(apb_pwdata), .apb_prdata(apb_prdata), .apb_pready(apb_pready), .apb_pslverr(apb_pslverr),
        .stim_load(stim_load), .stim_count(stim_count), .stim_start(stim_start), .stim_done(stim_done),
        .stim_cycles(stim_cycles), .idle(idle)
    );

    `include "clock.vh"


    localparam REG_STATUS = 32'h10, REG_ROWS = 32'h14, REG_DROPS = 32'h18, REG_CYCLES = 32'h1C,
               REG_VECTORS = 32'h20, TRACE_BASE = 32'h10000;

    task wait_clear;  // TB.wait_clear
        reg [31:0] st;
        begin
            repeat (CACHE_DEPTH + 4) @(posedge clk);
            apb_read(REG_STATUS, st);
            if (st[0]) begin
                $display("PLAIN-TB ERROR: still clearing after %0d cycles", CACHE_DEPTH + 4);
                $fatal(1);
            end
        end
    endtask

    reg [8*1024-1:0] prog_file, out_file;
    integer          count, fd, r, lane;
    reg [31:0]       word;

    initial begin
        if (!$value$plusargs("PROG=%s", prog_file)) prog_file = "prog.txt";
        if (!$value$plusargs("OUT=%s", out_file)) out_file = "plain_out.hex";
        if (!$value$plusargs("STIM_COUNT=%d", count)) count = 0;
        apb_transfers = 0;
        rst_n = 1'b0;
        apb_psel = 1'b0; apb_penable = 1'b0; apb_pwrite = 1'b0; apb_paddr = 0; apb_pwdata = 32'd0;
        stim_load = 1'b0; stim_start = 1'b0; stim_count = 32'd0;
        // TB.reset
        repeat (3) @(posedge clk);
        rst_n <= 1'b1;
        wait_clear;
        // TB.program
        apb_write_file(prog_file);
        wait_clear;
        // TB.play
        if (count > 0) begin
            stim_count <= count;
            stim_load <= 1'b1;
            @(posedge clk);
            stim_load <= 1'b0;
            stim_start <= 1'b1;
            @(posedge stim_done);
            stim_start <= 1'b0;
            // TB.wait_idle
            repeat (2) @(posedge clk);
            while (!idle) @(posedge idle);
            @(posedge clk);
        end
        // TB.read_tb_mem, TB.read_status
        fd = $fopen(out_file, "w");
        for (r = 0; r < TB_DEPTH; r = r + 1)
            for (lane = 0; lane < N; lane = lane + 1) begin
                apb_read(TRACE_BASE + 4 * (r * N + lane), word);
                $fdisplay(fd, "%h", word);
            end
        apb_read(REG_STATUS, word);  $fdisplay(fd, "%h", word);
        apb_read(REG_ROWS, word);    $fdisplay(fd, "%h", word);
        apb_read(REG_DROPS, word);   $fdisplay(fd, "%h", word);
        apb_read(REG_CYCLES, word);  $fdisplay(fd, "%h", word);
        apb_read(REG_VECTORS, word); $fdisplay(fd, "%h", word);
        $fclose(fd);
        $display("PLAIN-TB DONE cycles=%0d apb_transfers=%0d", $time / CLK_NS, apb_transfers);
        $finish;
    end
endmodule
