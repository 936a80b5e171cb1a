// Top of the no-Python fast path (tb/runner.py, "verilator-native"; and the plain-Icarus
// baseline in bench/): a clock, the reset that tb/common/harness.py applies, and one job
// through the same harness the cocotb testbenches drive. Built with
//   -DHARNESS=<block>_harness  -DHARNESS_PARAMS=.N(8),.M(4),...
// +JOB_DIR=<dir> names the job (tb/common/job_engine.v). Exit: $finish when the job is
// done; the job's own timeout ends a run that hangs (job_out.hex says which).
// A harness with inputs beyond harness_ports.vh defines HARNESS_TIES at its end: the
// connections that tie them off here (e.g. LeBug's raw stream override), each with a
// leading comma.
`ifndef HARNESS_TIES
`define HARNESS_TIES
`endif
`default_nettype none
module job_main;
    reg  clk;
    reg  rst_n;
    reg  job_go;
    wire job_done;
    /* verilator lint_off UNUSEDSIGNAL */
    wire        host_ready, host_rsp, host_err;
    wire [31:0] host_rdata;
    /* verilator lint_on UNUSEDSIGNAL */

    initial begin  // 10 ns, as tb/common/harness.py's clock
        clk = 1'b0;
        forever #5 clk = ~clk;
    end

    `HARNESS #(`HARNESS_PARAMS) h (
        .clk(clk), .rst_n(rst_n),
        .host_valid(1'b0), .host_ready(host_ready), .host_write(1'b0), .host_addr('0), .host_wdata(32'd0),
        .host_rsp(host_rsp), .host_rdata(host_rdata), .host_err(host_err),
        .job_go(job_go), .job_done(job_done),
        .raw_en(1'b0), .raw_psel(1'b0), .raw_penable(1'b0), .raw_pwrite(1'b0), .raw_paddr('0), .raw_pwdata(32'd0)
        `HARNESS_TIES
    );

    // the reset of HarnessTB.reset(): low for 3 rising edges, then the job
    initial begin
        rst_n  = 1'b0;
        job_go = 1'b0;
        repeat (3) @(posedge clk);
        @(negedge clk);  // release between edges: the 4th rising edge is the first out of reset
        rst_n = 1'b1;
        @(posedge clk);
        @(negedge clk);
        job_go = 1'b1;
        @(posedge job_done);
        @(posedge clk);
        $finish;
    end
endmodule
`default_nettype wire
