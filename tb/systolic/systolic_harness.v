// Testbench harness for systolic (tb/ only): the DUT, the shared APB master and job engine
// (tb/common/harness_core.vh), and the scratchpad backdoor and output-row capture
// (tb/common/scratchpad_backdoor.vh). Every way of simulating the systolic block (cocotb
// on Icarus or Verilator, the verilator-native binary, plain Icarus) runs this module.
// A job (tb/systolic/jobs.py):
//   LOAD   $readmemh of the scratchpad images <mem>.hex (header words 8..13: word counts),
//          stream.txt opened
//   WRITE  descriptors and NUM_DESC over APB;  START  CTRL.start
//   RUN    ends when the block raises `done` (after its last descriptor or an error)
//   READ   counters and STATUS over APB
//   (OVERLAP jobs: WRITE, START, READ, RUN; records after CTRL.start and the reads run while busy)
//   DUMP   $writememh of dump_<mem>.hex (header words 14..19), stream.txt closed, and
//          apb_waits.txt: the APB access cycles with PREADY = 0 since LOAD
`default_nettype none
module systolic_harness #(
    parameter K          = 8,      // array size (K x K PEs, K lanes per output row)
    parameter ACT_DEPTH  = 16384,  // activation scratchpad words
    parameter WGT_DEPTH  = 16384,  // weight scratchpad words
    parameter BQ_DEPTH   = 256,    // bias and requantization scratchpad words
    parameter OUT_DEPTH  = 16384,  // int32 output scratchpad words
    parameter ACC_DEPTH  = 1024,   // accumulator rows
    parameter CMD_DEPTH  = 64,     // descriptors
    parameter WIN_ROWS   = 16,     // CONV window rows
    parameter WIN_BYTES  = 128,    // CONV window bytes per row
    parameter APB_ADDR_W = 23      // the block's APB address width
) (
`include "harness_ports.vh"
);
    wire job_ready;
    wire job_run_done;
`include "harness_core.vh"

    wire           out_valid, busy, done;
    wire [1:0]     out_eof;
    wire [K*32-1:0] out_data;

    assign job_ready    = ~busy;
    assign job_run_done = done;

`define SPAD_ROOT dut
`define CAP_VALID out_valid
`define CAP_EOF out_eof
`define CAP_DATA out_data
`include "scratchpad_backdoor.vh"
`undef SPAD_ROOT
`undef CAP_VALID
`undef CAP_EOF
`undef CAP_DATA

    systolic #(
        .K(K), .ACT_DEPTH(ACT_DEPTH), .WGT_DEPTH(WGT_DEPTH), .BQ_DEPTH(BQ_DEPTH), .OUT_DEPTH(OUT_DEPTH),
        .ACC_DEPTH(ACC_DEPTH), .CMD_DEPTH(CMD_DEPTH), .WIN_ROWS(WIN_ROWS), .WIN_BYTES(WIN_BYTES),
        .APB_ADDR_W(APB_ADDR_W)
    ) dut (
        .clk(clk), .rst_n(rst_n),
        .psel(psel), .penable(penable), .pwrite(pwrite), .paddr(paddr),
        .pwdata(pwdata), .prdata(prdata), .pready(pready), .pslverr(pslverr),
        .out_valid(out_valid), .out_eof(out_eof), .out_data(out_data), .busy(busy), .done(done)
    );

    // ---- APB wait states: access cycles with PREADY = 0 from LOAD to DUMP, written to
    // <job_dir>/apb_waits.txt at DUMP (tb/systolic/jobs.py apb_waits). Not synthesized.
    integer apb_waits, waits_base, waits_fd;
    reg [8*1100-1:0] waits_fname;
    initial apb_waits = 0;
    always @(posedge clk) begin
        if (psel && penable && !pready) apb_waits <= apb_waits + 1;
    end
    /* verilator lint_off BLKSEQ */
    always @(posedge job_load_go or posedge job_dump_go) begin
        if (job_load_go) begin
            waits_base = apb_waits;
        end else begin
            $sformat(waits_fname, "%0s/apb_waits.txt", job_dir);
            waits_fd = $fopen(waits_fname, "w");
            if (waits_fd != 0) begin
                $fdisplay(waits_fd, "%0d", apb_waits - waits_base);
                $fclose(waits_fd);
            end
        end
    end
    /* verilator lint_on BLKSEQ */

    // ---- viewer taps: each lane as a signed number (tb/waves.py shows these) ------
    /* verilator lint_off UNUSEDSIGNAL */
    genvar l;
    generate
        for (l = 0; l < K; l = l + 1) begin : lane
            wire signed [7:0]  act_x = dut.arr_a[l*8 +: 8];     // activation entering array row l
            wire signed [31:0] out_x = out_data[l*32 +: 32];    // output row lane l
        end
    endgenerate
    /* verilator lint_on UNUSEDSIGNAL */
endmodule
`default_nettype wire
