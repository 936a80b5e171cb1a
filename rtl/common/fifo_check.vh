// Assertions of a FIFO's books (docs/verification.md, "Assertions"): a module included and
// instantiated inside `ifdef ASSERT_ON by rtl/top/tap_fifo.v and rtl/lebug/lebug_input_buffer.v
// (simulation and formal only). An include, not an rtl/ module file: under SYNTHESIS it is not
// even read, so `make synth` reads exactly the files it read before (an extra module, even
// unused, changes yosys's internal names and so abc's gate counts slightly). It watches the FIFO's storage write (we at wptr), its pops
// (re at rptr) and its occupancy, and checks: occupancy within 0..DEPTH, pointers in range and
// agreeing with it, occupancy = writes - pops since reset/clear, and nothing stored lost or
// reordered: each slot keeps the number of the write that filled it (a shadow of the storage),
// and every pop takes the oldest entry not yet popped.
`ifndef ACCELSCOPE_FIFO_CHECK_VH
`define ACCELSCOPE_FIFO_CHECK_VH
`include "assert.vh"
`ifdef ASSERT_ON
`default_nettype none
module fifo_check #(
    parameter DEPTH = 8,                           // entries
    parameter AW    = (DEPTH > 1) ? $clog2(DEPTH) : 1  // pointer bits
) (
    input wire          clk,
    input wire          rst_n,
    input wire          clear,   // empties the FIFO (with reset)
    input wire          we,      // the storage is written at wptr this cycle
    input wire [AW-1:0] wptr,
    input wire          re,      // the entry at rptr is popped this cycle
    input wire [AW-1:0] rptr,
    input wire [31:0]   count    // occupancy
);
    localparam [31:0] DEPTH32 = DEPTH;

    // x mod DEPTH (a mask for a power of 2: no divider for the prover)
    function [31:0] sh_mod(input [31:0] x);
        sh_mod = ((DEPTH32 & (DEPTH32 - 32'd1)) == 32'd0) ? (x & (DEPTH32 - 32'd1)) : (x % DEPTH32);
    endfunction
    wire [31:0] sh_wr   = {{(32 - AW){1'b0}}, wptr};
    wire [31:0] sh_rd   = {{(32 - AW){1'b0}}, rptr};
    wire [31:0] sh_span = sh_mod(sh_wr + DEPTH32 - sh_rd);   // entries between the pointers

    // writes and pops since reset/clear; the number of the write that filled each slot
    reg [31:0] sh_writes, sh_pops;
    reg [31:0] sh_seq [0:DEPTH-1];
    always @(posedge clk) begin
        if (we) sh_seq[wptr] <= sh_writes;
        if (!rst_n || clear) begin
            sh_writes <= 32'd0;
            sh_pops   <= 32'd0;
        end else begin
            if (we) sh_writes <= sh_writes + 32'd1;
            if (re) sh_pops   <= sh_pops + 32'd1;
        end
    end

    `ASSERT(CountInRange_A, clk, rst_n, count <= DEPTH32)
    `ASSERT(PointersInRange_A, clk, rst_n, sh_wr < DEPTH32 && sh_rd < DEPTH32)
    `ASSERT(PointersMatchCount_A, clk, rst_n, sh_span == sh_mod(count))
    `ASSERT(CountMatchesBooks_A, clk, rst_n, count == sh_writes - sh_pops)
    `ASSERT(PopsOldest_A, clk, rst_n, !re || sh_seq[rptr] == sh_pops)
`ifdef FORMAL
    // the prover's induction invariant: the stored entries are writes sh_pops, sh_pops+1, ... in order
    reg sh_in_order;
    integer sh_j;
    always @* begin
        sh_in_order = 1'b1;
        for (sh_j = 0; sh_j < DEPTH; sh_j = sh_j + 1)
            if (sh_j < count && sh_seq[sh_mod(sh_rd + sh_j)] != sh_pops + sh_j) sh_in_order = 1'b0;
    end
    `ASSERT(StoredInOrder_A, clk, rst_n, sh_in_order)
`endif
endmodule
`default_nettype wire
`endif
`endif
