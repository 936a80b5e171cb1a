// Native testbench for systolic (verilator --binary --timing; docs/top.md, section
// "Native Verilator testbench"). Mirrors the cocotb run_job test of tb/systolic: reset, load the
// scratchpads by backdoor $readmemh, program the descriptors over APB, start, capture the
// output rows until done, dump the scratchpads with $writememh, read counters and status
// over APB.
// Plusargs: +DIR=<dir>; +N_<MEM>=<words> loads <dir>/<mem>.hex into dut.u_<mem>.mem and
// +DUMP_<MEM>=<words> writes <dir>/dump_<mem>.hex (MEM in ACT WGT BIAS QUANT OUT);
// +PROG_A/+PROG_D/+N_RECORDS (descriptor and NUM_DESC writes); +TIMEOUT=<cycles>.
// Outputs in <dir>: stream.txt ("<eof hex> <data hex>" per row), dump_<mem>.hex, regs.hex
// (CYCLES BUSY MACS STALLS ROWS STATUS), summary.txt ("cycles <total> run_cycles
// <start..done>"), written last.
module systolic_tb #(
    parameter K          = 8,
    parameter ACT_DEPTH  = 16384,
    parameter WGT_DEPTH  = 16384,
    parameter BQ_DEPTH   = 256,
    parameter OUT_DEPTH  = 16384,
    parameter ACC_DEPTH  = 1024,
    parameter CMD_DEPTH  = 64,
    parameter APB_ADDR_W = 23,
    parameter PROG_DEPTH = 4096
);
    localparam ADDR_W = APB_ADDR_W;
    localparam int REGS = 6;
    localparam logic [31:0] REG_ADDR [0:REGS-1] = '{32'h18, 32'h1C, 32'h20, 32'h24, 32'h28, 32'h14};

    logic              clk = 1'b0;
    logic              rst_n = 1'b0;
    logic              psel = 1'b0;
    logic              penable = 1'b0;
    logic              pwrite = 1'b0;
    logic [ADDR_W-1:0] paddr = '0;
    logic [31:0]       pwdata = '0;
    wire  [31:0]       prdata;
    wire               pready, pslverr, busy, done, out_valid;
    wire  [1:0]        out_eof;
    wire  [K*32-1:0]   out_data;

`include "native_common.svh"

    systolic #(
        .K(K), .ACT_DEPTH(ACT_DEPTH), .WGT_DEPTH(WGT_DEPTH), .BQ_DEPTH(BQ_DEPTH), .OUT_DEPTH(OUT_DEPTH),
        .ACC_DEPTH(ACC_DEPTH), .CMD_DEPTH(CMD_DEPTH), .APB_ADDR_W(APB_ADDR_W)
    ) dut (
        .clk(clk), .rst_n(rst_n),
        .psel(psel), .penable(penable), .pwrite(pwrite), .paddr(paddr),
        .pwdata(pwdata), .prdata(prdata), .pready(pready), .pslverr(pslverr),
        .out_valid(out_valid), .out_eof(out_eof), .out_data(out_data), .busy(busy), .done(done)
    );

    integer cap_fd = 0;
    always @(negedge clk) begin
        if (cap_fd != 0 && out_valid) $fwrite(cap_fd, "%h %h\n", out_eof, out_data);
    end

    string       dir;
    logic [31:0] regs [0:REGS-1];

    initial begin : main
        int              n;
        integer          fd;
        longint unsigned t_start, t_done;
        if (!$value$plusargs("DIR=%s", dir)) $fatal(1, "+DIR=<dir> missing");
        ticks(3);
        rst_n = 1'b1;
        ticks(1);
        if ($value$plusargs("N_ACT=%d", n) && n > 0) $readmemh({dir, "/act.hex"}, dut.u_act.mem, 0, n - 1);
        if ($value$plusargs("N_WGT=%d", n) && n > 0) $readmemh({dir, "/wgt.hex"}, dut.u_wgt.mem, 0, n - 1);
        if ($value$plusargs("N_BIAS=%d", n) && n > 0) $readmemh({dir, "/bias.hex"}, dut.u_bias.mem, 0, n - 1);
        if ($value$plusargs("N_QUANT=%d", n) && n > 0) $readmemh({dir, "/quant.hex"}, dut.u_quant.mem, 0, n - 1);
        if ($value$plusargs("N_OUT=%d", n) && n > 0) $readmemh({dir, "/out.hex"}, dut.u_out.mem, 0, n - 1);
        replay_records();
        cap_fd = $fopen({dir, "/stream.txt"}, "w");
        if (cap_fd == 0) $fatal(1, "cannot open %s/stream.txt", dir);
        t_start = cycle;
        apb_write(32'h0C, 32'h1);
        ticks(1);
        `NATIVE_WAIT(done, "done")
        t_done = cycle;
        ticks(1);
        $fclose(cap_fd);
        cap_fd = 0;
        if ($value$plusargs("DUMP_ACT=%d", n) && n > 0) $writememh({dir, "/dump_act.hex"}, dut.u_act.mem, 0, n - 1);
        if ($value$plusargs("DUMP_WGT=%d", n) && n > 0) $writememh({dir, "/dump_wgt.hex"}, dut.u_wgt.mem, 0, n - 1);
        if ($value$plusargs("DUMP_BIAS=%d", n) && n > 0)
            $writememh({dir, "/dump_bias.hex"}, dut.u_bias.mem, 0, n - 1);
        if ($value$plusargs("DUMP_QUANT=%d", n) && n > 0)
            $writememh({dir, "/dump_quant.hex"}, dut.u_quant.mem, 0, n - 1);
        if ($value$plusargs("DUMP_OUT=%d", n) && n > 0) $writememh({dir, "/dump_out.hex"}, dut.u_out.mem, 0, n - 1);
        for (int i = 0; i < REGS; i++) apb_read(REG_ADDR[i], regs[i]);
        $writememh({dir, "/regs.hex"}, regs);
        fd = $fopen({dir, "/summary.txt"}, "w");
        $fwrite(fd, "cycles %0d run_cycles %0d\n", cycle, t_done - t_start);
        $fclose(fd);
        $finish;
    end
endmodule
