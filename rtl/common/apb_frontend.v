// APB3 slave front end, the one shared by lebug, systolic and the accel_top registers
// (docs/verification.md, "APB"). It extends PADDR to 32 bits for the block's decoder,
// recognises the transfer phases, gates the block's write strobe, captures the block's
// read data in the setup phase, and answers PREADY and PSLVERR. PREADY is 1 unless the
// block holds the access phase (hold; LeBug and the accel_top registers tie it to 0).
//   setup   PSEL & !PENABLE: the block registers read data (rd_q) and may start a RAM read
//   access  PSEL & PENABLE after a setup cycle: a write commits (wr) unless the block's
//           decoder flags the transfer (err), which answers PSLVERR instead
//   held    access & hold: PREADY = 0, no commit, no PSLVERR; the next cycle (PSEL, PENABLE
//           and the address, data and direction held by the master) is the same access
//           phase again, so the block decides afresh each cycle (docs/systolic.md, "APB while busy")
// An access cycle not preceded by a setup cycle (or a held access cycle) (PENABLE without setup, or PSEL held
// with PENABLE for a second cycle) is a protocol error: ignored, answered with PSLVERR.
// Assertions (docs/verification.md, "Assertions"; proved for any input sequence by
// tb/formal/common/apb_frontend.sby) restate these rules from the pins.
`include "assert.vh"
`default_nettype none
module apb_frontend #(
    parameter ADDR_W = 20    // PADDR bits (1..32)
) (
    input  wire              clk,
    input  wire              rst_n,
    input  wire              psel,
    input  wire              penable,
    input  wire              pwrite,
    input  wire [ADDR_W-1:0] paddr,
    output wire [31:0]       addr,     // PADDR zero-extended to 32 bits
    output wire              setup,    // setup phase this cycle
    output wire              access,   // legal access phase this cycle
    input  wire              err,      // the block's decoder rejects this transfer
    input  wire              hold,     // the block holds this access phase (wait state)
    output wire              wr,       // commit the write this cycle
    input  wire [31:0]       rd_val,   // read data of addr (taken in the setup phase)
    output reg  [31:0]       rd_q,     // read data held for the access phase
    output wire              pready,
    output wire              pslverr
);
    generate
        if (ADDR_W < 1 || ADDR_W > 32) begin : g_bad_addr_w
            apb_frontend_ADDR_W_must_be_1_to_32 illegal_parameter();
        end
        if (ADDR_W < 32) begin : g_addr_ext
            assign addr = {{(32 - ADDR_W){1'b0}}, paddr};
        end else begin : g_addr
            assign addr = paddr;
        end
    endgenerate

    reg  setup_q;    // the previous cycle was a setup phase or a held access phase
    wire stray = psel & penable & ~setup_q;
    wire held  = access & hold;
    assign setup   = psel & ~penable;
    assign access  = psel & penable & setup_q;
    assign wr      = access & pwrite & ~err & ~hold;
    assign pready  = ~held;
    assign pslverr = (access & err & ~hold) | stray;

    always @(posedge clk) begin
        if (!rst_n) begin
            setup_q <= 1'b0;
            rd_q    <= 32'd0;
        end else begin
            setup_q <= setup | held;
            if (setup) rd_q <= rd_val;
        end
    end

`ifdef ASSERT_ON
    // the protocol seen from the pins: the previous cycle (out of reset) was a setup phase or
    // a wait state (PSEL, PENABLE, PREADY low), so PSEL & PENABLE now is a legal access phase
    reg        sh_run;        // the previous cycle was out of reset
    reg        sh_after_setup;
    reg        sh_setup;      // the previous cycle was a setup phase
    reg [31:0] sh_rd_q;
    always @(posedge clk) begin
        sh_run         <= rst_n;
        sh_after_setup <= rst_n && psel && (!penable || !pready);
        sh_setup       <= setup;
        sh_rd_q        <= rd_q;
    end
    wire sh_stray = psel && penable && !sh_after_setup;
`endif
    // only a legal access phase (after a setup phase or wait state) is one
    `ASSERT(AccessAfterSetup_A, clk, rst_n, access == (psel && penable && sh_after_setup))
    // no state change on a stray access or on PSLVERR: a write commits only in a legal access
    // phase that completes (PREADY) without PSLVERR
    `ASSERT(CommitOnlyOnLegalAccess_A, clk, rst_n,
            !wr || (psel && penable && pwrite && sh_after_setup && pready && !pslverr))
    `ASSERT(StrayAccessRejected_A, clk, rst_n, !sh_stray || (pslverr && pready && !wr))
    // PSLVERR only in the completing cycle of an access phase; a rejected legal access answers it
    `ASSERT(PslverrOnlyOnAccess_A, clk, rst_n, !pslverr || (psel && penable && pready))
    `ASSERT(ErrAnswersPslverr_A, clk, rst_n, !(access && err && !hold) || pslverr)
    // PREADY low only in a legal access phase the block holds (a wait state)
    `ASSERT(WaitOnlyWhenHeld_A, clk, rst_n, pready || (access && hold))
    // read data is loaded in setup phases only (PRDATA never follows an idle bus)
    `ASSERT(ReadDataFromSetup_A, clk, rst_n, !sh_run || rd_q == sh_rd_q || sh_setup)
endmodule
`default_nettype wire
