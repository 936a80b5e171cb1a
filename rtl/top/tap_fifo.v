// Tap FIFO between the accelerator's output row stream and LeBug: first-word
// fall-through, one write and one read port, asynchronous read (distributed RAM).
// A row offered while full is not stored (the caller counts it as dropped).
// Assertions (docs/verification.md, "Assertions"; proved by tb/top/formal/tap_fifo.sby):
// occupancy within 0..DEPTH, pointers that agree with it, and nothing stored is lost: each
// slot remembers which push wrote it (a shadow sequence number, written with the row), and
// every pop takes the oldest row not yet popped.
`include "assert.vh"
`default_nettype none
module tap_fifo #(
    parameter W     = 258,                   // row width (eof bits + K lanes)
    parameter DEPTH = 256                    // rows
) (
    input  wire         clk,
    input  wire         rst_n,
    input  wire         clear,
    input  wire         push,
    input  wire [W-1:0] din,
    input  wire         pop,
    output wire [W-1:0] dout,
    output wire         empty,
    output wire         full,
    output reg  [31:0]  count
);
    localparam AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;
    localparam [31:0] DEPTH32 = DEPTH;
    localparam [AW-1:0] LAST = DEPTH32[AW-1:0] - 1'b1;

    reg [W-1:0]  mem [0:DEPTH-1];
    reg [AW-1:0] rd_ptr;
    reg [AW-1:0] wr_ptr;

    assign empty = (count == 32'd0);
    assign full  = (count == DEPTH32);
    assign dout  = mem[rd_ptr];

    wire do_push = push & ~full;
    wire do_pop  = pop & ~empty;

    always @(posedge clk) begin
        if (do_push) mem[wr_ptr] <= din;
    end

    always @(posedge clk) begin
        if (!rst_n || clear) begin
            rd_ptr <= {AW{1'b0}};
            wr_ptr <= {AW{1'b0}};
            count  <= 32'd0;
        end else begin
            if (do_push) wr_ptr <= (wr_ptr == LAST) ? {AW{1'b0}} : wr_ptr + 1'b1;
            if (do_pop)  rd_ptr <= (rd_ptr == LAST) ? {AW{1'b0}} : rd_ptr + 1'b1;
            count <= count + {31'd0, do_push} - {31'd0, do_pop};
        end
    end

`ifdef ASSERT_ON
    // x mod DEPTH (a mask for a power of 2: no divider for the prover)
    function [31:0] sh_mod(input [31:0] x);
        sh_mod = ((DEPTH32 & (DEPTH32 - 32'd1)) == 32'd0) ? (x & (DEPTH32 - 32'd1)) : (x % DEPTH32);
    endfunction
    // rows between the pointers (mod DEPTH), in 32 bits
    wire [31:0] sh_wr   = {{(32 - AW){1'b0}}, wr_ptr};
    wire [31:0] sh_rd   = {{(32 - AW){1'b0}}, rd_ptr};
    wire [31:0] sh_span = sh_mod(sh_wr + DEPTH32 - sh_rd);
    // rows stored and popped since reset/clear; the number of the push that wrote each slot
    reg  [31:0] sh_pushes, sh_pops;
    reg  [31:0] sh_seq [0:DEPTH-1];
    always @(posedge clk) begin
        if (do_push) sh_seq[wr_ptr] <= sh_pushes;
        if (!rst_n || clear) begin
            sh_pushes <= 32'd0;
            sh_pops   <= 32'd0;
        end else begin
            if (do_push) sh_pushes <= sh_pushes + 32'd1;
            if (do_pop)  sh_pops   <= sh_pops + 32'd1;
        end
    end
`endif
    `ASSERT(CountInRange_A, clk, rst_n, count <= DEPTH32)
    `ASSERT(PointersInRange_A, clk, rst_n, sh_wr < DEPTH32 && sh_rd < DEPTH32)
    `ASSERT(PointersMatchCount_A, clk, rst_n, sh_span == sh_mod(count))
    `ASSERT(CountMatchesBooks_A, clk, rst_n, count == sh_pushes - sh_pops)
    `ASSERT(PopsOldestRow_A, clk, rst_n, !do_pop || sh_seq[rd_ptr] == sh_pops)
`ifdef FORMAL
    // the prover's induction invariant: the stored rows are pushes sh_pops, sh_pops+1, ... in order
    reg sh_in_order;
    integer sh_j;
    always @* begin
        sh_in_order = 1'b1;
        for (sh_j = 0; sh_j < DEPTH; sh_j = sh_j + 1)
            if (sh_j < count && sh_seq[sh_mod(sh_rd + sh_j)] != sh_pops + sh_j) sh_in_order = 1'b0;
    end
    `ASSERT(StoredRowsInOrder_A, clk, rst_n, sh_in_order)
`endif
endmodule
`default_nettype wire
