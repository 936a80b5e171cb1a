// Native testbench for accel_top (verilator --binary --timing; see docs/top.md,
// "Native Verilator testbench"). Replays a compiled bundle and writes everything the
// cocotb run_job test reads back, for pymodel/native.py to compare with the model.
//   reset; [backdoor: $readmemh +LOAD_<MEM> (+N_<MEM> words) into dut.u_sys.u_<mem>.mem];
//   APB writes of +PROG_A/+PROG_D (+N_RECORDS); start; wait done, then idle (+TIMEOUT);
//   $writememh scratchpads ACT/OUT words 0..+DUMP_ACT-1 / +DUMP_OUT-1; counters, status and
//   the LeBug trace buffer read over APB.
// Files written in +OUT=<dir>: stream.txt ("<eof hex> <data hex>" per output row),
// dump_act.hex, dump_out.hex, regs.hex (REGS words, order below), trace.hex
// (TB_DEPTH*N words, row-major), summary.txt ("cycles <total> run_cycles <start..idle>"),
// written last.
module top_tb #(
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
    parameter TAP_DEPTH   = 256,
    parameter PROG_DEPTH  = 1 << 20
);
    localparam ADDR_W = 24;
    localparam [31:0] SYS_BASE = 32'h000000, LEBUG_BASE = 32'h800000, TOP_BASE = 32'h900000;
    // regs.hex order: systolic cycles busy macs stalls rows status | tap rows drops vectors maxfill |
    //                 LeBug status rows drops cycles vectors
    localparam int REGS = 15;
    localparam logic [31:0] REG_ADDR [0:REGS-1] = '{
        SYS_BASE + 32'h18, SYS_BASE + 32'h1C, SYS_BASE + 32'h20, SYS_BASE + 32'h24, SYS_BASE + 32'h28,
        SYS_BASE + 32'h14,
        TOP_BASE + 32'h0C, TOP_BASE + 32'h10, TOP_BASE + 32'h14, TOP_BASE + 32'h18,
        LEBUG_BASE + 32'h10, LEBUG_BASE + 32'h14, LEBUG_BASE + 32'h18, LEBUG_BASE + 32'h1C,
        LEBUG_BASE + 32'h20};

    logic              clk = 1'b0;
    logic              rst_n = 1'b0;
    logic              psel = 1'b0;
    logic              penable = 1'b0;
    logic              pwrite = 1'b0;
    logic [ADDR_W-1:0] paddr = '0;
    logic [31:0]       pwdata = '0;
    wire  [31:0]       prdata;
    wire               pready, pslverr, busy, done, idle;

`include "native_common.svh"

    accel_top #(
        .K(K), .ACT_DEPTH(ACT_DEPTH), .WGT_DEPTH(WGT_DEPTH), .BQ_DEPTH(BQ_DEPTH), .OUT_DEPTH(OUT_DEPTH),
        .ACC_DEPTH(ACC_DEPTH), .CMD_DEPTH(CMD_DEPTH), .N(N), .M(M), .FRAC_W(FRAC_W), .IB_DEPTH(IB_DEPTH),
        .FU_ROWS(FU_ROWS), .CACHE_DEPTH(CACHE_DEPTH), .TB_DEPTH(TB_DEPTH), .MAX_CHAINS(MAX_CHAINS),
        .VSRU_FIRST(VSRU_FIRST), .TAP_DEPTH(TAP_DEPTH)
    ) dut (
        .clk(clk), .rst_n(rst_n),
        .psel(psel), .penable(penable), .pwrite(pwrite), .paddr(paddr),
        .pwdata(pwdata), .prdata(prdata), .pready(pready), .pslverr(pslverr),
        .busy(busy), .done(done), .idle(idle)
    );

    // output-row capture (rows are registered: sampled once per cycle on the falling edge)
    integer cap_fd = 0;
    always @(negedge clk) begin
        if (cap_fd != 0 && dut.st_valid) $fwrite(cap_fd, "%h %h\n", dut.st_eof, dut.st_data);
    end

    string       out_dir;
    logic [31:0] regs [0:REGS-1];
    logic [31:0] trace [0:TB_DEPTH*N-1];

    // Backdoor: $readmemh(+LOAD_<MEM>, dut.u_sys.u_<mem>.mem, 0, +N_<MEM> - 1) when both are given.
    task automatic backdoor_load();
        string f;
        int    n;
        if ($value$plusargs("LOAD_CMD=%s", f) && $value$plusargs("N_CMD=%d", n) && n > 0)
            $readmemh(f, dut.u_sys.u_cmd.mem, 0, n - 1);
        if ($value$plusargs("LOAD_ACT=%s", f) && $value$plusargs("N_ACT=%d", n) && n > 0)
            $readmemh(f, dut.u_sys.u_act.mem, 0, n - 1);
        if ($value$plusargs("LOAD_WGT=%s", f) && $value$plusargs("N_WGT=%d", n) && n > 0)
            $readmemh(f, dut.u_sys.u_wgt.mem, 0, n - 1);
        if ($value$plusargs("LOAD_BIAS=%s", f) && $value$plusargs("N_BIAS=%d", n) && n > 0)
            $readmemh(f, dut.u_sys.u_bias.mem, 0, n - 1);
        if ($value$plusargs("LOAD_QUANT=%s", f) && $value$plusargs("N_QUANT=%d", n) && n > 0)
            $readmemh(f, dut.u_sys.u_quant.mem, 0, n - 1);
    endtask

    initial begin : main
        int              n;
        integer          fd;
        longint unsigned t_start, t_idle;
        if (!$value$plusargs("OUT=%s", out_dir)) $fatal(1, "+OUT=<dir> missing");
        // reset, then LeBug's cache clear
        ticks(3);
        rst_n = 1'b1;
        ticks(CACHE_DEPTH + 4);
        backdoor_load();
        replay_records();
        // start, capture the output rows, wait for done and for the tap and LeBug to drain
        cap_fd = $fopen({out_dir, "/stream.txt"}, "w");
        if (cap_fd == 0) $fatal(1, "cannot open %s/stream.txt", out_dir);
        t_start = cycle;
        apb_write(SYS_BASE + 32'h0C, 32'h1);
        ticks(1);
        `NATIVE_WAIT(done, "done")
        ticks(2);
        `NATIVE_WAIT(idle, "idle")
        t_idle = cycle;
        ticks(2);
        $fclose(cap_fd);
        cap_fd = 0;
        // read back
        if ($value$plusargs("DUMP_ACT=%d", n) && n > 0)
            $writememh({out_dir, "/dump_act.hex"}, dut.u_sys.u_act.mem, 0, n - 1);
        if ($value$plusargs("DUMP_OUT=%d", n) && n > 0)
            $writememh({out_dir, "/dump_out.hex"}, dut.u_sys.u_out.mem, 0, n - 1);
        for (int i = 0; i < REGS; i++) apb_read(REG_ADDR[i], regs[i]);
        for (int i = 0; i < TB_DEPTH * N; i++) apb_read(LEBUG_BASE + 32'h10000 + 32'(4 * i), trace[i]);
        $writememh({out_dir, "/regs.hex"}, regs);
        $writememh({out_dir, "/trace.hex"}, trace);
        fd = $fopen({out_dir, "/summary.txt"}, "w");
        $fwrite(fd, "cycles %0d run_cycles %0d\n", cycle, t_idle - t_start);
        $fclose(fd);
        $finish;
    end
endmodule
