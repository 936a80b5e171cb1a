// The port list every harness shares (tb/<block>/<block>_harness.v), included inside the
// module header after the block's parameters (APB_ADDR_W among them):
//   host_*   single APB transfers from cocotb (tb/common/harness.py, HostPort), through
//            apb_host; refused (host_ready low) while a job runs
//   job_go   rising edge: run the job in +JOB_DIR (tb/common/job_engine.v); job_done
//            stays high until job_go falls
    input  wire                  clk,
    input  wire                  rst_n,
    input  wire                  host_valid,
    output wire                  host_ready,
    input  wire                  host_write,
    input  wire [APB_ADDR_W-1:0] host_addr,
    input  wire [31:0]           host_wdata,
    output wire                  host_rsp,
    output wire [31:0]           host_rdata,
    output wire                  host_err,
    input  wire                  job_go,
    output wire                  job_done
