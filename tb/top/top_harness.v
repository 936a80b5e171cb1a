// Testbench harness for accel_top (tb/ only): the DUT, the shared APB master and job
// engine (tb/common/harness_core.vh), and the systolic scratchpad backdoor and
// output-row capture (tb/common/scratchpad_backdoor.vh). Every way of simulating the top
// level (cocotb on Icarus or Verilator, the verilator-native binary, plain Icarus) runs
// this module. A job (tb/top/jobs.py, a compiled bundle):
//   READY  LeBug's cache clear after reset is over (`idle`)
//   LOAD   backdoor mode: $readmemh of the systolic scratchpad images (header words 8..13);
//          stream.txt opened
//   WRITE  the bundle's PROG records (apb mode) or LeBug memories and registers (backdoor)
//   START  systolic CTRL.start
//   RUN    ends when the accelerator is done and the tap FIFO and LeBug have drained (in an
//          overlapped round of a stream, tb/top/stream.py: when it is no longer busy)
//   READ   systolic counters and status, tap registers, LeBug status and trace buffer
//   DUMP   $writememh of the written scratchpad words (header words 14..19)
// From LOAD to DUMP the harness also logs the tap to tap.txt (tb/top/jobs.py read_tap_log), one
// line an event, with the clock cycle since time 0 (the job engine's count):
//   r <cycle> <1|0>   an output row reached the tap FIFO: stored (1) or dropped, FIFO full (0)
//   b <cycle> / e <cycle>   the accelerator became busy / no longer busy
`default_nettype none
module top_harness #(
    parameter K           = 8,      // systolic array size (K lanes per output row)
    parameter ACT_DEPTH   = 16384,  // activation scratchpad words
    parameter WGT_DEPTH   = 16384,  // weight scratchpad words
    parameter BQ_DEPTH    = 256,    // bias and requantization scratchpad words
    parameter OUT_DEPTH   = 16384,  // int32 output scratchpad words
    parameter ACC_DEPTH   = 1024,   // accumulator rows
    parameter CMD_DEPTH   = 64,     // descriptors
    parameter WIN_ROWS    = 16,     // CONV window rows
    parameter WIN_BYTES   = 128,    // CONV window bytes per row
    parameter N           = 8,      // LeBug lanes
    parameter M           = 4,      // LeBug filter bins per pass
    parameter DATA_W      = 32,     // LeBug lane width (below 32 the tap saturates the int32 lanes)
    parameter FRAC_W      = 0,      // LeBug fraction bits (0: integer)
    parameter IB_DEPTH    = 8,      // LeBug input buffer depth (vectors)
    parameter FU_ROWS     = 4,      // LeBug filter threshold rows
    parameter CACHE_DEPTH = 8,      // LeBug VVALU cache depth (vectors)
    parameter TB_DEPTH    = 64,     // LeBug trace buffer depth (rows of N)
    parameter MAX_CHAINS  = 8,      // LeBug firmware chains
    parameter VSRU_FIRST  = 0,      // LeBug: 1 puts the VSRU before the VVALU
    parameter TAP_DEPTH   = 1024,   // tap FIFO depth (rows)
    parameter APB_ADDR_W  = 24      // accel_top's APB address width
) (
`include "harness_ports.vh"
);
    wire job_ready;
    wire job_run_done;
`include "harness_core.vh"

    wire done, idle, busy;

    assign job_ready    = idle;
    // an overlapped round (a stream: the next batch goes in while this one runs) ends when the
    // accelerator is no longer busy, the tap and LeBug catch up in the background; otherwise when
    // it is done and the tap FIFO and LeBug have drained
    assign job_run_done = job_overlapped ? ~busy : (done & idle);

`define SPAD_ROOT dut.u_sys
`define CAP_VALID dut.st_valid
`define CAP_EOF dut.st_eof
`define CAP_DATA dut.st_data
`include "scratchpad_backdoor.vh"
`undef SPAD_ROOT
`undef CAP_VALID
`undef CAP_EOF
`undef CAP_DATA

    // ---- tap log (tap.txt): what the tap model (pymodel/top/tapmodel.py) is checked on -------
    integer      tap_fd;
    reg          tap_busy_q;
    reg [8*1100-1:0] tap_fname;
    initial begin
        tap_fd = 0;
        tap_busy_q = 1'b0;
    end
    /* verilator lint_off BLKSEQ */
    always @(posedge job_load_go or posedge job_dump_go) begin
        if (tap_fd != 0) $fclose(tap_fd);
        tap_fd = 0;
        if (job_load_go) begin
            $sformat(tap_fname, "%0s/tap.txt", job_dir);
            tap_fd = $fopen(tap_fname, "w");
        end
    end
    /* verilator lint_on BLKSEQ */
    // sampled before this edge's updates, as the stream capture
    always @(posedge clk) begin
        tap_busy_q <= busy;
        if (tap_fd != 0) begin
            if (dut.st_valid) $fwrite(tap_fd, "r %0d %0d\n", u_job.cyc, !dut.fifo_full);
            if (busy && !tap_busy_q) $fwrite(tap_fd, "b %0d\n", u_job.cyc);
            if (!busy && tap_busy_q) $fwrite(tap_fd, "e %0d\n", u_job.cyc);
        end
    end

    accel_top #(
        .K(K), .ACT_DEPTH(ACT_DEPTH), .WGT_DEPTH(WGT_DEPTH), .BQ_DEPTH(BQ_DEPTH), .OUT_DEPTH(OUT_DEPTH),
        .ACC_DEPTH(ACC_DEPTH), .CMD_DEPTH(CMD_DEPTH), .WIN_ROWS(WIN_ROWS), .WIN_BYTES(WIN_BYTES), .N(N), .M(M), .DATA_W(DATA_W), .FRAC_W(FRAC_W), .IB_DEPTH(IB_DEPTH),
        .FU_ROWS(FU_ROWS), .CACHE_DEPTH(CACHE_DEPTH), .TB_DEPTH(TB_DEPTH), .MAX_CHAINS(MAX_CHAINS),
        .VSRU_FIRST(VSRU_FIRST), .TAP_DEPTH(TAP_DEPTH)
    ) dut (
        .clk(clk), .rst_n(rst_n),
        .psel(psel), .penable(penable), .pwrite(pwrite), .paddr(paddr),
        .pwdata(pwdata), .prdata(prdata), .pready(pready), .pslverr(pslverr),
        .busy(busy), .done(done), .idle(idle)
    );

    // ---- viewer taps: each lane as a signed number (tb/waves.py shows these) ------
    /* verilator lint_off UNUSEDSIGNAL */
    genvar l;
    generate
        for (l = 0; l < K; l = l + 1) begin : lane
            wire signed [31:0] out_x = dut.st_data[l*32 +: 32];  // accelerator output row lane l
        end
        for (l = 0; l < N; l = l + 1) begin : vec
            wire signed [DATA_W-1:0] in_x = dut.lb_data[l*DATA_W +: DATA_W];  // LeBug input vector lane l
        end
    endgenerate
    /* verilator lint_on UNUSEDSIGNAL */
endmodule
`default_nettype wire
