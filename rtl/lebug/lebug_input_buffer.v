// LeBug input buffer: FIFO of DEPTH entries, W bits each.
// Write at one port (push), asynchronous read of the head (dout).
// A vector pushed in cycle k is visible (empty=0) in cycle k+1.
// Assertions (docs/verification.md, "Assertions"; proved by tb/lebug/formal/lebug_input_buffer.sby):
// the caller never pushes into a full buffer (that would overwrite the oldest vector) nor pops
// an empty one; the FIFO's books (rtl/common/fifo_check.vh): occupancy within 0..DEPTH, pointers
// that agree with it, nothing accepted lost: every pop takes the oldest vector.
`include "assert.vh"
`include "fifo_check.vh"
`default_nettype none
module lebug_input_buffer #(
    parameter W     = 258,                   // entry width (eof bits + vector)
    parameter DEPTH = 8                      // entries (>= 2)
) (
    input  wire         clk,
    input  wire         rst_n,
    input  wire         flush,
    input  wire         push,
    input  wire [W-1:0] din,
    input  wire         pop,
    output wire [W-1:0] dout,
    output wire         empty,
    output wire         full
);
    localparam AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;
    localparam CW = $clog2(DEPTH + 1);
    localparam [31:0]   LAST32   = DEPTH - 1;
    localparam [31:0]   DEPTH32  = DEPTH;
    localparam [AW-1:0] PTR_LAST = LAST32[AW-1:0];
    localparam [AW-1:0] PTR_ONE  = 1;
    localparam [AW-1:0] PTR_ZERO = 0;
    localparam [CW-1:0] CNT_FULL = DEPTH32[CW-1:0];
    localparam [CW-1:0] CNT_ONE  = 1;
    localparam [CW-1:0] CNT_ZERO = 0;

    reg [W-1:0]  mem [0:DEPTH-1];
    reg [AW-1:0] wp;
    reg [AW-1:0] rp;
    reg [CW-1:0] cnt;

    assign empty = (cnt == CNT_ZERO);
    assign full  = (cnt == CNT_FULL);
    assign dout  = mem[rp];

    always @(posedge clk) begin
        if (push) mem[wp] <= din;
    end

    always @(posedge clk) begin
        if (!rst_n || flush) begin
            wp  <= PTR_ZERO;
            rp  <= PTR_ZERO;
            cnt <= CNT_ZERO;
        end else begin
            if (push) wp <= (wp == PTR_LAST) ? PTR_ZERO : wp + PTR_ONE;
            if (pop)  rp <= (rp == PTR_LAST) ? PTR_ZERO : rp + PTR_ONE;
            if (push && !pop)      cnt <= cnt + CNT_ONE;
            else if (pop && !push) cnt <= cnt - CNT_ONE;
        end
    end

`ifdef ASSERT_ON
    // the books: occupancy and pointers, every accepted vector popped once, in order
    fifo_check #(.DEPTH(DEPTH), .AW(AW)) u_check (
        .clk(clk), .rst_n(rst_n), .clear(flush), .we(push), .wptr(wp), .re(pop), .rptr(rp),
        .count({{(32 - CW){1'b0}}, cnt})
    );
`endif
    // the caller's side: no push into a full buffer (it would overwrite the oldest), no pop of an empty one
    `ASSERT(NoPushWhenFull_A, clk, rst_n, !(push && full))
    `ASSERT(NoPopWhenEmpty_A, clk, rst_n, !(pop && empty))
endmodule
`default_nettype wire
