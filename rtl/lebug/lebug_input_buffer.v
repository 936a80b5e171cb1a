// LeBug input buffer: FIFO of DEPTH entries, W bits each.
// Write at one port (push), asynchronous read of the head (dout).
// A vector pushed in cycle k is visible (empty=0) in cycle k+1.
// Assertions (docs/verification.md, "Assertions"; proved by tb/lebug/formal/lebug_input_buffer.sby):
// the caller never pushes into a full buffer (that would overwrite the oldest vector) nor pops
// an empty one; occupancy within 0..DEPTH and pointers that agree with it; nothing accepted is
// lost: each slot remembers which push wrote it, and every pop takes the oldest vector.
`include "assert.vh"
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
    wire [31:0] sh_wp   = {{(32 - AW){1'b0}}, wp};
    wire [31:0] sh_rp   = {{(32 - AW){1'b0}}, rp};
    wire [31:0] sh_cnt  = {{(32 - CW){1'b0}}, cnt};
    wire [31:0] sh_span = (sh_wp + DEPTH32 - sh_rp) % DEPTH32;
    // vectors pushed and popped since reset/flush; the number of the push that wrote each slot
    reg  [31:0] sh_pushes, sh_pops;
    reg  [31:0] sh_seq [0:DEPTH-1];
    always @(posedge clk) begin
        if (push) sh_seq[wp] <= sh_pushes;
        if (!rst_n || flush) begin
            sh_pushes <= 32'd0;
            sh_pops   <= 32'd0;
        end else begin
            if (push) sh_pushes <= sh_pushes + 32'd1;
            if (pop)  sh_pops   <= sh_pops + 32'd1;
        end
    end
`endif
    `ASSERT(NoPushWhenFull_A, clk, rst_n, !(push && full))
    `ASSERT(NoPopWhenEmpty_A, clk, rst_n, !(pop && empty))
    `ASSERT(CountInRange_A, clk, rst_n, cnt <= CNT_FULL)
    `ASSERT(PointersInRange_A, clk, rst_n, sh_wp < DEPTH32 && sh_rp < DEPTH32)
    `ASSERT(PointersMatchCount_A, clk, rst_n, sh_span == sh_cnt % DEPTH32)
    `ASSERT(CountMatchesBooks_A, clk, rst_n, sh_cnt == sh_pushes - sh_pops)
    `ASSERT(PopsOldestVector_A, clk, rst_n, !pop || sh_seq[rp] == sh_pops)
`ifdef FORMAL
    // the prover's induction invariant: the held vectors are pushes sh_pops, sh_pops+1, ... in order
    reg sh_in_order;
    integer sh_j;
    always @* begin
        sh_in_order = 1'b1;
        for (sh_j = 0; sh_j < DEPTH; sh_j = sh_j + 1)
            if (sh_j < sh_cnt && sh_seq[(sh_rp + sh_j) % DEPTH32] != sh_pops + sh_j) sh_in_order = 1'b0;
    end
    `ASSERT(HeldVectorsInOrder_A, clk, rst_n, sh_in_order)
`endif
endmodule
`default_nettype wire
