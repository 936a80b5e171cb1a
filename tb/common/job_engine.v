// Job engine of every testbench harness (tb/ only; docs/verification.md, "One testbench").
// A job is a directory of files (+JOB_DIR=<dir>, written by tb/job.py):
//   job.hex   HDR_WORDS header words (layout below)
//   0PROG_A, 0PROG_D   APB write records, one %08x a line (the bundle's PROG format)
//   rd_a.hex  addresses to read back after the run, one %08x a line
//   rounds.hex  (when header word 7, ROUNDS, is > 1) per round its end indices into the
//             records and the reads: 2 words a round, cumulative
//   rd_p.hex  (when header flag bit 3, POLL, is set) per read its poll minimum: a read whose
//             rd_a word has bit 31 set is a POLL: it is repeated until its data, unsigned, is at
//             least that minimum (e.g. LeBug's ROWS before its new trace rows are read); the
//             read before a poll is answered first, and nothing after it goes until it holds
// On a rising edge of `go` the engine loads them, then runs the phases
//   READY  wait until the block's `ready` (LeBug: cache clear finished)
//   LOAD   one-cycle `load_go` pulse: the block's backdoor $readmemh loads, stimulus loads
//   WRITE  every record as one APB write, through apb_host
//   START  optional single APB write (header START_ADDR/START_DATA), e.g. CTRL.start
//   RUN    one-cycle `run_go` pulse, RUN_SETTLE cycles, then wait for the block's
//          `run_done` (stimulus played and pipeline idle; accelerator done), one more cycle
//   READ   every rd_a address as one APB read
//   END    one-cycle `dump_go` pulse (the block's $writememh dumps), then rd_d.hex
//          (read data) and job_out.hex (OUT words, layout below) are written
// and holds `done` until `go` falls. With ROUNDS > 1, WRITE, START, RUN and READ repeat once
// a round, each round on its own slice of the records and reads (program once, then per
// batch: inputs, start, run, logits); LOAD happens once. Nothing here is synthesized.
// OVERLAP (header flag bit 2): each round but the last runs WRITE, START (if flagged), READ,
// then RUN (run_go, wait for run_done) instead of WRITE, START, RUN, READ. So the round's
// reads, and its records after one that starts the block (a record may be the start write
// itself), are APB transfers while the block runs (streaming: batch i+1's inputs in, batch
// i-1's results out while batch i runs). The last round keeps the usual order (its RUN waits
// for everything to drain, then READ: the last results and the final status). `overlapped`
// is high during an overlapped round: the harness may end its RUN when the block is no longer
// busy rather than when everything has drained. Nothing else changes (cycle counts per phase
// as usual).
//
// Header (job.hex):        0 magic 4a4f4201  1 writes  2 reads  3 flags (bit 0 start write,
//                          bit 1 run phase, bit 2 overlap, bit 3 poll reads)  4 start address  5 start data  6 job timeout in
//                          cycles (0: none)  7 ROUNDS (0 or 1: one)  8.. block words (`hdr_block`)
// Result (job_out.hex):    0 error bits (0 bad header, 1 PSLVERR on a write, 2 PSLVERR on a
//                          read, 3 record address beyond the APB bus, 4 job timeout)
//                          1 first failing record or read (1-based; 0 none)
//                          2 WRITE+START cycles  3 RUN cycles  4 READ cycles (sums over the
//                          rounds)  5 cycles from READY to END  6, 7 clock cycles since time 0
//                          at the start of the first and the end of the last RUN (for the
//                          waveform viewer)
// Rounds (rounds_out.hex, ROUNDS > 1): per round WRITE+START, RUN and READ cycles.
`default_nettype none
module job_engine #(
    parameter ADDR_W     = 24,     // APB address width of the block
    parameter PROG_DEPTH = 65536,  // most write records per job
    parameter READ_DEPTH = 8192,   // most read-back addresses per job
    parameter HDR_WORDS  = 32,     // header words (8 generic + the block's)
    parameter RUN_SETTLE = 2,      // cycles after run_go before run_done is looked at
    parameter MAX_ROUNDS = 4096    // most rounds per job
) (
    input  wire                        clk,
    input  wire                        rst_n,
    input  wire                        go,         // rising edge: load the job files and run
    output wire                        done,       // the job finished (results written)
    output wire                        active,     // the engine owns apb_host
    output wire [32*(HDR_WORDS-8)-1:0] hdr_block,  // header words 8.. (block-specific)
    input  wire                        ready,      // the block can take a job
    output reg                         load_go,
    output reg                         run_go,
    input  wire                        run_done,
    output wire                        overlapped, // the current round is an OVERLAP round (not the last)
    output reg                         dump_go,
    output wire                        req_valid,
    input  wire                        req_ready,
    output wire                        req_write,
    output wire [ADDR_W-1:0]           req_addr,
    output wire [31:0]                 req_wdata,
    input  wire                        rsp_valid,
    input  wire [31:0]                 rsp_rdata,
    input  wire                        rsp_err
);
    localparam [31:0] MAGIC = 32'h4a4f4201;
    localparam [3:0] S_IDLE = 4'd0, S_READY = 4'd1, S_LOAD = 4'd2, S_WRITE = 4'd3, S_START = 4'd4,
                     S_RUN = 4'd5, S_READ = 4'd6, S_END = 4'd7, S_DUMP = 4'd8, S_DONE = 4'd9, S_GO = 4'd10;
    localparam OUT_WORDS = 8;

    reg [31:0] hdr    [0:HDR_WORDS-1];
    reg [31:0] prog_a [0:PROG_DEPTH-1];
    reg [31:0] prog_d [0:PROG_DEPTH-1];
    reg [31:0] rd_a   [0:READ_DEPTH-1];
    reg [31:0] rd_d   [0:READ_DEPTH-1];
    reg [31:0] rd_p   [0:READ_DEPTH-1];  // poll minimum of each read (rd_p.hex; POLL reads only)
    reg [31:0] out    [0:OUT_WORDS-1];
    reg [31:0] rnd_end [0:2*MAX_ROUNDS-1];  // per round: records end, reads end (cumulative)
    reg [31:0] rnd_out [0:3*MAX_ROUNDS-1];  // per round: WRITE+START, RUN, READ cycles
    reg [8*1024-1:0] dir;
    reg [8*1100-1:0] fname;

    // ---- files -----------------------------------------------------------------
    initial begin
        if (!$value$plusargs("JOB_DIR=%s", dir)) dir = ".";
    end

    always @(posedge go) begin
        $sformat(fname, "%0s/job.hex", dir);
        $readmemh(fname, hdr);
        if (hdr[0] == MAGIC && hdr[1] <= PROG_DEPTH && hdr[2] <= READ_DEPTH) begin
            if (hdr[1] != 32'd0) begin
                $sformat(fname, "%0s/0PROG_A", dir);
                $readmemh(fname, prog_a, 0, hdr[1] - 32'd1);
                $sformat(fname, "%0s/0PROG_D", dir);
                $readmemh(fname, prog_d, 0, hdr[1] - 32'd1);
            end
            if (hdr[2] != 32'd0) begin
                $sformat(fname, "%0s/rd_a.hex", dir);
                $readmemh(fname, rd_a, 0, hdr[2] - 32'd1);
                if (hdr[3][3]) begin
                    $sformat(fname, "%0s/rd_p.hex", dir);
                    $readmemh(fname, rd_p, 0, hdr[2] - 32'd1);
                end
            end
            if (hdr[7] > 32'd1 && hdr[7] <= MAX_ROUNDS) begin
                $sformat(fname, "%0s/rounds.hex", dir);
                $readmemh(fname, rnd_end, 0, 2 * hdr[7] - 32'd1);
            end
        end
    end

    always @(posedge dump_go) begin
        $sformat(fname, "%0s/rd_d.hex", dir);
        if (hdr[2] != 32'd0) $writememh(fname, rd_d, 0, hdr[2] - 32'd1);
        $sformat(fname, "%0s/job_out.hex", dir);
        $writememh(fname, out);
        if (rounds > 32'd1) begin
            $sformat(fname, "%0s/rounds_out.hex", dir);
            $writememh(fname, rnd_out, 0, 3 * rounds - 32'd1);
        end
    end

    genvar g;
    generate
        for (g = 8; g < HDR_WORDS; g = g + 1) begin : g_hdr
            assign hdr_block[32*(g-8) +: 32] = hdr[g];
        end
    endgenerate

    // ---- phases ----------------------------------------------------------------
    reg [3:0]  state;
    reg [31:0] issued;    // requests accepted in this phase
    reg [31:0] answered;  // responses received in this phase
    reg [31:0] settle;
    reg [31:0] t_phase;   // cycles in the current phase
    reg [31:0] t_job;
    reg        go_q;
    reg [31:0] cyc;  // clock cycles since time 0 (not reset: it dates the waveform)

    initial cyc = 32'd0;
    always @(posedge clk) cyc <= cyc + 32'd1;

    reg  [31:0] rnd;      // the current round
    reg  [31:0] w_base;   // its first record
    reg  [31:0] r_base;   // its first read
    wire [31:0] rounds    = (hdr[7] > 32'd1) ? hdr[7] : 32'd1;
    wire        last_rnd  = rnd + 32'd1 >= rounds;
    wire [31:0] w_end     = (rounds > 32'd1) ? rnd_end[2*rnd] : hdr[1];
    wire [31:0] r_end     = (rounds > 32'd1) ? rnd_end[2*rnd+1] : hdr[2];
    wire [31:0] n_writes  = w_end - w_base;  // this round's
    wire [31:0] n_reads   = r_end - r_base;
    wire        has_start = hdr[3][0];
    wire        has_run   = hdr[3][1];
    wire        overlap   = hdr[3][2] && !last_rnd;  // this round: WRITE, START, READ, RUN
    wire [31:0] timeout   = hdr[6];
    wire        writing   = state == S_WRITE && issued < n_writes;
    wire        starting  = state == S_START && issued == 32'd0;
    // a POLL read (rd_a bit 31) and the read after it wait until everything before is answered
    wire [31:0] rd_cur    = rd_a[r_base + issued];
    wire        rd_prev_poll = issued != 32'd0 && rd_a[r_base + issued - 32'd1][31];
    wire        rd_wait   = (rd_cur[31] || rd_prev_poll) && answered != issued;
    wire        reading   = state == S_READ && issued < n_reads && !rd_wait;
    wire        ans_poll  = rd_a[r_base + answered][31];  // the read being answered is a POLL read
    wire        poll_low  = ans_poll && rsp_rdata < rd_p[r_base + answered] && !rsp_err;  // poll again
    wire [31:0] cur_addr  = starting ? hdr[4] : (state == S_READ ? {1'b0, rd_cur[30:0]} : prog_a[w_base + issued]);
    wire        addr_ok   = (cur_addr >> ADDR_W) == 32'd0;

    assign req_valid = (writing | starting | reading) & addr_ok;
    assign req_write = ~reading;
    assign req_addr  = cur_addr[ADDR_W-1:0];
    assign req_wdata = starting ? hdr[5] : prog_d[w_base + issued];
    assign done      = state == S_DONE;
    assign overlapped = overlap;
    assign active    = state != S_IDLE && state != S_DONE && state != S_GO;

    task automatic fail(input [4:0] bit_index, input [31:0] which);
        begin
            out[0][bit_index] <= 1'b1;
            if (out[1] == 32'd0) out[1] <= which;
        end
    endtask

    // the end of a round (after READ; with OVERLAP after RUN): the next round, or END
    task automatic round_end;
        begin
            if (rounds > 32'd1) begin  // progress for the runner (tb/runner.py run_job)
                $display("JOB_ROUND %0d", rnd + 32'd1);
                $fflush;
            end
            if (last_rnd || out[0][2]) begin
                state <= S_END;
            end else begin  // the next round: its records, start, run, reads
                rnd      <= rnd + 32'd1;
                w_base   <= w_end;
                r_base   <= r_end;
                issued   <= 32'd0;
                answered <= 32'd0;
                t_phase  <= 32'd0;
                state    <= S_WRITE;
            end
        end
    endtask

    integer i;
    always @(posedge clk) begin
        if (!rst_n) begin
            state    <= S_IDLE;
            issued   <= 32'd0;
            answered <= 32'd0;
            settle   <= 32'd0;
            t_phase  <= 32'd0;
            t_job    <= 32'd0;
            go_q     <= 1'b0;
            load_go  <= 1'b0;
            run_go   <= 1'b0;
            dump_go  <= 1'b0;
            rnd      <= 32'd0;
            w_base   <= 32'd0;
            r_base   <= 32'd0;
        end else begin
            go_q    <= go;
            load_go <= 1'b0;
            run_go  <= 1'b0;
            dump_go <= 1'b0;
            t_phase <= t_phase + 32'd1;
            t_job   <= t_job + 32'd1;
            if (req_valid && req_ready) issued <= issued + 32'd1;
            if (rsp_valid && active && state == S_READ && poll_low) begin
                issued <= issued - 32'd1;  // the poll goes again (nothing else is outstanding)
            end else if (rsp_valid && active) begin
                answered <= answered + 32'd1;
                if (state == S_READ) rd_d[r_base + answered] <= rsp_rdata;
                if (rsp_err) fail(state == S_READ ? 2 : 1, (state == S_READ ? r_base : w_base) + answered + 32'd1);
            end
            case (state)
                S_IDLE: if (go && !go_q) begin  // the files load at go's edge: look one cycle later
                    for (i = 0; i < OUT_WORDS; i = i + 1) out[i] <= 32'd0;
                    t_job  <= 32'd0;
                    rnd    <= 32'd0;
                    w_base <= 32'd0;
                    r_base <= 32'd0;
                    state  <= S_GO;
                end
                S_GO: begin
                    if (hdr[0] != MAGIC || hdr[1] > PROG_DEPTH || hdr[2] > READ_DEPTH || hdr[7] > MAX_ROUNDS) begin
                        out[0][0] <= 1'b1;
                        state <= S_END;
                    end else begin
                        state <= S_READY;
                    end
                end
                S_READY: if (ready) begin  // job cycles count from here: equal on every path
                    t_job    <= 32'd0;
                    load_go  <= 1'b1;
                    issued   <= 32'd0;
                    answered <= 32'd0;
                    t_phase  <= 32'd0;
                    state    <= S_LOAD;
                end
                S_LOAD: state <= S_WRITE;
                S_WRITE: begin
                    if ((writing && !addr_ok) || out[0][1]) begin
                        if (!addr_ok) fail(3, w_base + issued + 32'd1);
                        state <= S_END;
                    end else if (answered == n_writes && !(rsp_valid && active)) begin
                        issued   <= 32'd0;
                        answered <= 32'd0;
                        if (has_start) begin
                            state <= S_START;
                        end else begin
                            out[2] <= out[2] + t_phase;
                            rnd_out[3*rnd] <= t_phase;
                            t_phase <= 32'd0;
                            state <= (has_run && !overlap) ? S_RUN : S_READ;
                            run_go <= has_run && !overlap;
                            if (rnd == 32'd0 && !overlap) out[6] <= cyc;
                            settle <= 32'd0;
                        end
                    end
                end
                S_START: if (answered == 32'd1) begin
                    out[2]   <= out[2] + t_phase;
                    rnd_out[3*rnd] <= t_phase;
                    t_phase  <= 32'd0;
                    issued   <= 32'd0;
                    answered <= 32'd0;
                    if (out[0][1] || !has_run || overlap) begin
                        state <= out[0][1] ? S_END : S_READ;
                    end else begin
                        state  <= S_RUN;
                        run_go <= 1'b1;
                        if (rnd == 32'd0) out[6] <= cyc;
                        settle <= 32'd0;
                    end
                end else if (starting && !addr_ok) begin
                    fail(3, 32'd0);
                    state <= S_END;
                end
                S_RUN: begin
                    if (settle < RUN_SETTLE) settle <= settle + 32'd1;
                    if (settle == RUN_SETTLE && run_done) begin
                        settle <= RUN_SETTLE + 32'd1;
                    end else if (settle == RUN_SETTLE + 1) begin
                        out[3]   <= out[3] + t_phase;
                        rnd_out[3*rnd+1] <= t_phase;
                        out[7]   <= cyc;
                        t_phase  <= 32'd0;
                        issued   <= 32'd0;
                        answered <= 32'd0;
                        if (overlap) round_end;
                        else         state <= S_READ;
                    end
                end
                S_READ: begin
                    if (reading && !addr_ok) begin
                        fail(3, r_base + issued + 32'd1);
                        state <= S_END;
                    end else if (answered == n_reads && !(rsp_valid && active)) begin
                        out[4] <= out[4] + t_phase;
                        rnd_out[3*rnd+2] <= t_phase;
                        if (overlap && has_run && !out[0][2]) begin  // RUN-wait after the reads
                            state    <= S_RUN;
                            run_go   <= 1'b1;
                            if (rnd == 32'd0) out[6] <= cyc;
                            settle   <= 32'd0;
                            t_phase  <= 32'd0;
                        end else begin
                            round_end;
                        end
                    end
                end
                S_END: begin
                    out[5] <= t_job;
                    state  <= S_DUMP;
                end
                S_DUMP: begin
                    dump_go <= 1'b1;
                    state   <= S_DONE;
                end
                S_DONE: if (!go) state <= S_IDLE;
                default: state <= S_IDLE;
            endcase
            if (active && state != S_END && state != S_DUMP && timeout != 32'd0 && t_job >= timeout) begin
                fail(4, 32'd0);
                state <= S_END;
            end
        end
    end
endmodule
`default_nettype wire
