// Native testbench for lebug (verilator --binary --timing; docs/top.md, "Native Verilator
// testbench"). Mirrors the cocotb run_job test of tb/lebug: reset, program over APB, play
// the input vectors (in_valid only while in_ready: nothing is dropped), wait until idle,
// read the trace buffer and the status registers over APB.
// Plusargs: +DIR=<dir> (inputs and outputs), +N_VECTORS=<n>, +CHUNK=<c> (vectors per
// stimulus file, <= STIM_DEPTH), +PROG_A/+PROG_D/+N_RECORDS (programming records),
// +TIMEOUT=<cycles>.
// Inputs in <dir>: stim_<k>.hex (N*DATA_W-bit vectors, lane 0 in the low bits) and
// eof_<k>.hex (2-bit eof) for k = 0, 1, ...: vectors k*c .. k*c+c-1.
// Outputs in <dir>: trace.hex (TB_DEPTH*N words, row-major), regs.hex (STATUS ROWS DROPS
// CYCLES VECTORS), summary.txt ("cycles <total> run_cycles <first vector..idle>"), last.
module lebug_tb #(
    parameter N           = 8,
    parameter M           = 4,
    parameter DATA_W      = 32,
    parameter FRAC_W      = 0,
    parameter IB_DEPTH    = 8,
    parameter FU_ROWS     = 4,
    parameter CACHE_DEPTH = 8,
    parameter TB_DEPTH    = 64,
    parameter MAX_CHAINS  = 8,
    parameter VSRU_FIRST  = 0,
    parameter STIM_DEPTH  = 65536,
    parameter PROG_DEPTH  = 4096
);
    localparam ADDR_W = 20;
    localparam int REGS = 5;
    localparam logic [31:0] REG_ADDR [0:REGS-1] = '{32'h10, 32'h14, 32'h18, 32'h1C, 32'h20};

    logic              clk = 1'b0;
    logic              rst_n = 1'b0;
    logic              psel = 1'b0;
    logic              penable = 1'b0;
    logic              pwrite = 1'b0;
    logic [ADDR_W-1:0] paddr = '0;
    logic [31:0]       pwdata = '0;
    wire  [31:0]       prdata;
    wire               pready, pslverr, idle, in_ready;
    logic              in_valid = 1'b0;
    logic [1:0]        in_eof = 2'b00;
    logic [N*DATA_W-1:0] in_data = '0;

`include "native_common.svh"

    lebug #(
        .N(N), .M(M), .DATA_W(DATA_W), .FRAC_W(FRAC_W), .IB_DEPTH(IB_DEPTH), .FU_ROWS(FU_ROWS),
        .CACHE_DEPTH(CACHE_DEPTH), .TB_DEPTH(TB_DEPTH), .MAX_CHAINS(MAX_CHAINS),
        .VSRU_FIRST(VSRU_FIRST), .APB_ADDR_W(ADDR_W)
    ) dut (
        .clk(clk), .rst_n(rst_n),
        .in_valid(in_valid), .in_ready(in_ready), .in_eof(in_eof), .in_data(in_data),
        .psel(psel), .penable(penable), .pwrite(pwrite), .paddr(paddr),
        .pwdata(pwdata), .prdata(prdata), .pready(pready), .pslverr(pslverr),
        .idle(idle)
    );

    logic [N*DATA_W-1:0] stim [0:STIM_DEPTH-1];
    logic [1:0]          stim_eof [0:STIM_DEPTH-1];
    logic [31:0]         regs [0:REGS-1];
    logic [31:0]         trace [0:TB_DEPTH*N-1];
    string               dir;

    // LeBug clears its cache after reset and CTRL.clear: wait, then STATUS.clearing must be 0.
    task automatic wait_clear();
        logic [31:0] st;
        ticks(CACHE_DEPTH + 4);
        apb_read(32'h10, st);
        if (st[0]) $fatal(1, "LeBug still clearing after %0d cycles", CACHE_DEPTH + 4);
    endtask

    // Present every vector; in_valid only in cycles where in_ready (a register) is 1.
    task automatic play();
        int total, chunk, base, cnt, k;
        string f;
        if (!$value$plusargs("N_VECTORS=%d", total)) total = 0;
        if (!$value$plusargs("CHUNK=%d", chunk)) chunk = STIM_DEPTH;
        if (chunk < 1 || chunk > STIM_DEPTH) $fatal(1, "+CHUNK=%0d: must be in 1..%0d", chunk, STIM_DEPTH);
        base = 0;
        k = 0;
        while (base < total) begin
            cnt = (total - base < chunk) ? total - base : chunk;
            $sformat(f, "%0s/stim_%0d.hex", dir, k);
            $readmemh(f, stim, 0, cnt - 1);
            $sformat(f, "%0s/eof_%0d.hex", dir, k);
            $readmemh(f, stim_eof, 0, cnt - 1);
            for (int i = 0; i < cnt; ) begin
                longint unsigned t0 = cycle;
                @(negedge clk);
                while (!in_ready) begin
                    in_valid = 1'b0;
                    @(negedge clk);
                    if (cycle - t0 > wait_limit)
                        $fatal(1, "timeout: in_ready stayed 0 for %0d cycles (+TIMEOUT)", wait_limit);
                end
                in_valid = 1'b1;
                in_data = stim[i];
                in_eof = stim_eof[i];
                i++;
            end
            base += cnt;
            k++;
        end
        @(negedge clk);
        in_valid = 1'b0;
    endtask

    initial begin : main
        integer          fd;
        longint unsigned t_start, t_idle;
        if (!$value$plusargs("DIR=%s", dir)) $fatal(1, "+DIR=<dir> missing");
        ticks(3);
        rst_n = 1'b1;
        wait_clear();
        replay_records();
        wait_clear();
        t_start = cycle;
        play();
        ticks(2);
        `NATIVE_WAIT(idle, "idle")
        t_idle = cycle;
        ticks(1);
        for (int i = 0; i < TB_DEPTH * N; i++) apb_read(32'h10000 + 32'(4 * i), trace[i]);
        for (int i = 0; i < REGS; i++) apb_read(REG_ADDR[i], regs[i]);
        $writememh({dir, "/trace.hex"}, trace);
        $writememh({dir, "/regs.hex"}, regs);
        fd = $fopen({dir, "/summary.txt"}, "w");
        $fwrite(fd, "cycles %0d run_cycles %0d\n", cycle, t_idle - t_start);
        $fclose(fd);
        $finish;
    end
endmodule
