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
endmodule
`default_nettype wire
