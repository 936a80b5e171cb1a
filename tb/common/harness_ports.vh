// The port list every harness shares (tb/<block>/<block>_harness.v), included inside the
// module header after the block's parameters (APB_ADDR_W among them):
//   host_*   single APB transfers from cocotb (tb/common/harness.py, HostPort), through
//            apb_host; refused (host_ready low) while a job runs
//   job_go   rising edge: run the job in +JOB_DIR (tb/common/job_engine.v); job_done
//            stays high until job_go falls
//   raw_*    raw APB override (tb/common/harness.py, RawApb): while raw_en is high the DUT's
//            APB inputs are raw_psel .. raw_pwdata, driven cycle by cycle from cocotb
//            (malformed transfers, X or garbage on an idle bus), instead of apb_host's; the
//            DUT's answer is the harness's prdata, pready, pslverr. Only while apb_host is
//            idle (no host transfer, the job engine not in WRITE, START or READ); tie raw_en
//            low otherwise (tb/common/job_main.v does)
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
    output wire                  job_done,
    input  wire                  raw_en,
    input  wire                  raw_psel,
    input  wire                  raw_penable,
    input  wire                  raw_pwrite,
    input  wire [APB_ADDR_W-1:0] raw_paddr,
    input  wire [31:0]           raw_pwdata
