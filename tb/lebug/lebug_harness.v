// Testbench harness for lebug (tb/ only): the DUT, the shared APB master and job engine
// (tb/common/harness_core.vh), and a stimulus player. Every way of simulating LeBug
// (cocotb on Icarus or Verilator, the verilator-native binary) runs this module.
// Job files (tb/job.py writes them in +JOB_DIR):
//   stim_data.hex  one N*DATA_W-bit vector a line, lane 0 in the low bits
//   stim_ctl.hex   one word a line: [1:0] eof, [2] fire (present regardless of in_ready,
//                  so a full input buffer drops it), [31:16] idle cycles before the vector
//   header word 8  number of vectors
// RUN: the player waits until LeBug is idle (its cache clear done), presents every
// vector, and the phase ends when the last one was pushed and LeBug is idle again.
// raw_in_*: while raw_in_en is high LeBug's stream inputs come from cocotb instead
// (tb/common/harness.py RawStream; the fault tests drive X or garbage on in_data and
// in_eof while in_valid is low); the player must be idle then (a job of 0 vectors).
`default_nettype none
module lebug_harness #(
    parameter N           = 8,      // lanes
    parameter M           = 4,      // filter bins per pass
    parameter DATA_W      = 32,     // bits per lane
    parameter FRAC_W      = 0,      // fraction bits (0: integer)
    parameter IB_DEPTH    = 8,      // input buffer depth (vectors)
    parameter FU_ROWS     = 4,      // filter threshold rows
    parameter CACHE_DEPTH = 8,      // VVALU cache depth (vectors)
    parameter TB_DEPTH    = 64,     // trace buffer depth (rows of N)
    parameter MAX_CHAINS  = 8,      // firmware chains
    parameter VSRU_FIRST  = 0,      // 1: VSRU before VVALU
    parameter STIM_DEPTH  = 65536,  // most vectors per job
    parameter APB_ADDR_W  = 20      // LeBug's APB address width
) (
`include "harness_ports.vh"
    ,
    input  wire                raw_in_en,
    input  wire                raw_in_valid,
    input  wire [1:0]          raw_in_eof,
    input  wire [N*DATA_W-1:0] raw_in_data
);
    wire job_ready;
    wire job_run_done;
`include "harness_core.vh"

    // ---- stimulus player -------------------------------------------------------
    reg [N*DATA_W-1:0] stim_data [0:STIM_DEPTH-1];
    reg [31:0]         stim_ctl  [0:STIM_DEPTH-1];
    wire [31:0]        n_vectors = job_hdr[31:0];

    always @(posedge job_load_go) begin
        if (n_vectors != 32'd0) begin
            $sformat(job_fname, "%0s/stim_data.hex", job_dir);
            $readmemh(job_fname, stim_data, 0, n_vectors - 32'd1);
            $sformat(job_fname, "%0s/stim_ctl.hex", job_dir);
            $readmemh(job_fname, stim_ctl, 0, n_vectors - 32'd1);
        end
    end

    reg         armed;    // run_go seen, waiting for idle
    reg         running;
    reg         played;   // every vector pushed (or none to push)
    reg  [31:0] idx;
    reg  [15:0] gap;
    wire        in_ready, idle;
    wire [1:0]  eof     = stim_ctl[idx][1:0];
    wire        fire    = stim_ctl[idx][2];
    wire        present = running && (gap == 16'd0) && (fire || in_ready);

    assign job_ready    = idle;
    assign job_run_done = played & ~armed & ~running & idle;

    always @(posedge clk) begin
        if (!rst_n) begin
            armed   <= 1'b0;
            running <= 1'b0;
            played  <= 1'b0;
            idx     <= 32'd0;
            gap     <= 16'd0;
        end else if (job_run_go) begin
            armed  <= n_vectors != 32'd0;
            played <= n_vectors == 32'd0;
        end else if (armed) begin
            if (idle) begin
                armed   <= 1'b0;
                running <= 1'b1;
                idx     <= 32'd0;
                gap     <= stim_ctl[0][31:16];
            end
        end else if (running) begin
            if (gap != 16'd0) begin
                gap <= gap - 16'd1;
            end else if (present) begin
                if (idx + 32'd1 == n_vectors) begin
                    running <= 1'b0;
                    played  <= 1'b1;
                end else begin
                    idx <= idx + 32'd1;
                    gap <= stim_ctl[idx + 32'd1][31:16];
                end
            end
        end
    end

    // LeBug's stream inputs: the player's, or cocotb's raw override
    wire                dut_in_valid = raw_in_en ? raw_in_valid : present;
    wire [1:0]          dut_in_eof   = raw_in_en ? raw_in_eof : eof;
    wire [N*DATA_W-1:0] dut_in_data  = raw_in_en ? raw_in_data : stim_data[idx];

    lebug #(
        .N(N), .M(M), .DATA_W(DATA_W), .FRAC_W(FRAC_W), .IB_DEPTH(IB_DEPTH), .FU_ROWS(FU_ROWS),
        .CACHE_DEPTH(CACHE_DEPTH), .TB_DEPTH(TB_DEPTH), .MAX_CHAINS(MAX_CHAINS),
        .VSRU_FIRST(VSRU_FIRST), .APB_ADDR_W(APB_ADDR_W)
    ) dut (
        .clk(clk), .rst_n(rst_n),
        .in_valid(dut_in_valid), .in_ready(in_ready), .in_eof(dut_in_eof), .in_data(dut_in_data),
        .psel(psel), .penable(penable), .pwrite(pwrite), .paddr(paddr),
        .pwdata(pwdata), .prdata(prdata), .pready(pready), .pslverr(pslverr),
        .idle(idle)
    );

    // ---- viewer taps: each lane as a signed number (tb/lebug/jobs.py wave_groups) ----
    // (not in a mutant build, tb/mutate: the netlist names generate scopes differently)
`ifndef ACCELSCOPE_MUTANT
    /* verilator lint_off UNUSEDSIGNAL */
    genvar l;
    generate
        for (l = 0; l < N; l = l + 1) begin : lane
            wire signed [DATA_W-1:0] in_x   = stim_data[idx][l*DATA_W +: DATA_W];
            wire signed [DATA_W-1:0] fru_x  = dut.u_fru.out_data[l*DATA_W +: DATA_W];
            wire signed [DATA_W-1:0] row_x  = dut.u_dp.row_data[l*DATA_W +: DATA_W];
            wire signed [DATA_W-1:0] alu_x;
            wire signed [DATA_W-1:0] vsru_x;
            if (VSRU_FIRST) begin : g_taps
                assign alu_x  = dut.g_vsru_first.u_vvalu.out_data[l*DATA_W +: DATA_W];
                assign vsru_x = dut.g_vsru_first.u_vsru.out_data[l*DATA_W +: DATA_W];
            end else begin : g_taps
                assign alu_x  = dut.g_alu_first.u_vvalu.out_data[l*DATA_W +: DATA_W];
                assign vsru_x = dut.g_alu_first.u_vsru.out_data[l*DATA_W +: DATA_W];
            end
        end
    endgenerate
    /* verilator lint_on UNUSEDSIGNAL */
`endif
endmodule
// the inputs beyond harness_ports.vh, tied off by tb/common/job_main.v
`define HARNESS_TIES , .raw_in_en(1'b0), .raw_in_valid(1'b0), .raw_in_eof(2'b00), .raw_in_data('0)
`default_nettype wire
