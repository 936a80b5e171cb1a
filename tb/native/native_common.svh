// Shared by the native (verilator --binary --timing) testbenches in tb/native/:
// clock, cycle counter, timeout watchdog, an APB3 master driven on falling edges,
// and a replay of APB programming records loaded with $readmemh.
// Included inside a module that declares, before the include:
//   parameter ADDR_W, parameter PROG_DEPTH;
//   logic clk, psel, penable, pwrite; logic [ADDR_W-1:0] paddr; logic [31:0] pwdata;
//   wire [31:0] prdata; wire pready, pslverr;
// Plusargs read here: +TIMEOUT=<cycles> (limit for every wait on the DUT; default 10,000,000).

    longint unsigned cycle = 0;       // rising clock edges since time 0
    longint unsigned wait_limit = 64'd10000000;

    always #5 clk = ~clk;             // 100 MHz, like the cocotb clocks (10 ns)
    always @(posedge clk) cycle <= cycle + 64'd1;

    initial begin
        if (!$value$plusargs("TIMEOUT=%d", wait_limit)) wait_limit = 64'd10000000;
    end

    // Wait n falling edges.
    task automatic ticks(input int n);
        repeat (n) @(negedge clk);
    endtask

    // One APB3 transfer (two cycles, like tb/common/apb.py): setup driven on a falling edge,
    // access on the next one; read data and PSLVERR sampled 1 ns into the access phase.
    task automatic apb_xfer(input logic wr, input logic [31:0] addr, input logic [31:0] data,
                            output logic [31:0] rdata, output logic err);
        @(negedge clk);
        psel = 1'b1;
        penable = 1'b0;
        pwrite = wr;
        paddr = addr[ADDR_W-1:0];
        pwdata = wr ? data : 32'd0;
        @(negedge clk);
        penable = 1'b1;
        #1;
        while (!pready) begin
            @(negedge clk);
            #1;
        end
        rdata = prdata;
        err = pslverr;
        @(posedge clk);               // the access phase ends at this edge
        #1;
        psel = 1'b0;
        penable = 1'b0;
        pwrite = 1'b0;
    endtask

    task automatic apb_write(input logic [31:0] addr, input logic [31:0] data);
        logic [31:0] unused_rd;
        logic        err;
        apb_xfer(1'b1, addr, data, unused_rd, err);
        if (err) $fatal(1, "APB write %08x <- %08x: PSLVERR", addr, data);
    endtask

    task automatic apb_read(input logic [31:0] addr, output logic [31:0] data);
        logic err;
        apb_xfer(1'b0, addr, 32'd0, data, err);
        if (err) $fatal(1, "APB read %08x: PSLVERR", addr);
    endtask

    // Programming records: +PROG_A / +PROG_D ($readmemh files, one 32-bit word a line,
    // line i of one pairs with line i of the other) and +N_RECORDS; each is one APB write.
    logic [31:0] prog_a [0:PROG_DEPTH-1];
    logic [31:0] prog_d [0:PROG_DEPTH-1];

    task automatic replay_records();
        string fa, fd;
        int    n;
        if (!$value$plusargs("N_RECORDS=%d", n)) n = 0;
        if (n < 0 || n > PROG_DEPTH) $fatal(1, "+N_RECORDS=%0d: must be in 0..%0d", n, PROG_DEPTH);
        if (n == 0) return;
        if (!$value$plusargs("PROG_A=%s", fa)) $fatal(1, "+PROG_A=<file> missing");
        if (!$value$plusargs("PROG_D=%s", fd)) $fatal(1, "+PROG_D=<file> missing");
        $readmemh(fa, prog_a, 0, n - 1);
        $readmemh(fd, prog_d, 0, n - 1);
        for (int i = 0; i < n; i++) begin
            logic [31:0] unused_rd;
            logic        err;
            apb_xfer(1'b1, prog_a[i], prog_d[i], unused_rd, err);
            if (err) $fatal(1, "record %0d: APB write %08x <- %08x: PSLVERR", i + 1, prog_a[i], prog_d[i]);
        end
    endtask

    // Wait (on falling edges) until the expression is true; $fatal after wait_limit cycles.
`define NATIVE_WAIT(cond, what) \
    begin \
        longint unsigned t0_ = cycle; \
        while (!(cond)) begin \
            @(negedge clk); \
            if (cycle - t0_ > wait_limit) \
                $fatal(1, "timeout: %s not reached within %0d cycles (+TIMEOUT)", what, wait_limit); \
        end \
    end
