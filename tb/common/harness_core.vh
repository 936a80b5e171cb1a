// Body every harness shares, included after the block declares
//   wire job_ready;     the block can take a job (LeBug: not clearing)
//   wire job_run_done;  the RUN phase is over (stimulus played and idle; accelerator done)
// Provides the APB bus to connect to the DUT
// (psel, penable, pwrite, paddr, pwdata <- prdata, pready, pslverr: apb_host's, or the raw_*
// ports while raw_en is high), the job's
// one-cycle phase strobes job_load_go / job_run_go / job_dump_go, the block's header
// words job_hdr (word 8 of job.hex at bits 31:0), and job_dir, the +JOB_DIR string.
    localparam HDR_WORDS  = 32;
    localparam PROG_DEPTH = 65536;  // most write records per job (tb/job.py PROG_DEPTH)
    localparam READ_DEPTH = 65536;  // most read-back addresses per job (tb/job.py READ_DEPTH)
    wire                        psel, penable, pwrite, pready, pslverr;
    wire [APB_ADDR_W-1:0]       paddr;
    wire [31:0]                 pwdata, prdata;
    wire                        m_psel, m_penable, m_pwrite;  // apb_host's bus
    wire [APB_ADDR_W-1:0]       m_paddr;
    wire [31:0]                 m_pwdata;
    wire                        eng_valid, eng_write, eng_active, req_ready, rsp_valid, rsp_err;
    wire [APB_ADDR_W-1:0]       eng_addr;
    wire [31:0]                 eng_wdata, rsp_rdata;
    wire                        job_load_go, job_run_go;
    /* verilator lint_off UNUSEDSIGNAL */
    wire                        job_overlapped;  // an OVERLAP round (tb/common/job_engine.v): not every harness uses it
    /* verilator lint_on UNUSEDSIGNAL */
    // not every block has a dump phase or uses every header word
    /* verilator lint_off UNUSEDSIGNAL */
    wire                        job_dump_go;
    wire [32*(HDR_WORDS-8)-1:0] job_hdr;
    /* verilator lint_on UNUSEDSIGNAL */
    reg  [8*1024-1:0]           job_dir;
    reg  [8*1100-1:0]           job_fname;

    initial begin
        if (!$value$plusargs("JOB_DIR=%s", job_dir)) job_dir = ".";
    end

    assign host_ready = ~eng_active & req_ready;
    assign host_rsp   = ~eng_active & rsp_valid;
    assign host_rdata = rsp_rdata;
    assign host_err   = rsp_err;

    // the DUT's APB inputs: apb_host's, or cocotb's raw override (harness_ports.vh)
    assign psel    = raw_en ? raw_psel    : m_psel;
    assign penable = raw_en ? raw_penable : m_penable;
    assign pwrite  = raw_en ? raw_pwrite  : m_pwrite;
    assign paddr   = raw_en ? raw_paddr   : m_paddr;
    assign pwdata  = raw_en ? raw_pwdata  : m_pwdata;

    apb_host #(.ADDR_W(APB_ADDR_W)) u_apb (
        .clk(clk), .rst_n(rst_n),
        .req_valid(eng_active ? eng_valid : host_valid), .req_ready(req_ready),
        .req_write(eng_active ? eng_write : host_write), .req_addr(eng_active ? eng_addr : host_addr),
        .req_wdata(eng_active ? eng_wdata : host_wdata),
        .rsp_valid(rsp_valid), .rsp_rdata(rsp_rdata), .rsp_err(rsp_err),
        .psel(m_psel), .penable(m_penable), .pwrite(m_pwrite), .paddr(m_paddr), .pwdata(m_pwdata),
        .prdata(prdata), .pready(pready), .pslverr(pslverr)
    );

    job_engine #(
        .ADDR_W(APB_ADDR_W), .PROG_DEPTH(PROG_DEPTH), .READ_DEPTH(READ_DEPTH), .HDR_WORDS(HDR_WORDS)
    ) u_job (
        .clk(clk), .rst_n(rst_n), .go(job_go), .done(job_done), .active(eng_active), .hdr_block(job_hdr),
        .ready(job_ready), .load_go(job_load_go), .run_go(job_run_go), .run_done(job_run_done),
        .overlapped(job_overlapped),
        .dump_go(job_dump_go),
        .req_valid(eng_valid), .req_ready(req_ready), .req_write(eng_write), .req_addr(eng_addr),
        .req_wdata(eng_wdata), .rsp_valid(rsp_valid), .rsp_rdata(rsp_rdata), .rsp_err(rsp_err)
    );
