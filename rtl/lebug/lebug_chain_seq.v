// LeBug chain sequencer. Pops the head vector of the input buffer when idle or
// issuing the last chain, then issues chains 0..num_chains-1 on consecutive
// cycles (the registered outputs are the issued slot). Computes the per-vector
// condition flags: flags = {last_1, first_1, last_0, first_0}.
// Assertions (docs/verification.md, "Assertions"; proved by tb/lebug/formal/lebug_chain_seq.sby):
// legal chain sequencing: a pop only when idle or issuing the last chain; chains 0, 1, ... on
// consecutive cycles, each below NUM_CHAINS (while NUM_CHAINS stays as it was at the pop);
// chain 0 follows each pop.
`include "assert.vh"
`default_nettype none
module lebug_chain_seq #(
    parameter VW    = 256,                   // vector width (N*DATA_W bits)
    parameter CH_AW = 3,                     // chain index bits
    parameter NC_W  = CH_AW + 1              // NUM_CHAINS width
) (
    input  wire             clk,
    input  wire             rst_n,
    input  wire             flush,
    input  wire [NC_W-1:0]  num_chains,
    input  wire             buf_empty,
    input  wire [VW-1:0]    buf_data,
    input  wire [1:0]       buf_eof,
    output wire             pop,
    output reg              valid,
    output reg  [CH_AW-1:0] chain_idx,
    output reg  [VW-1:0]    vec,
    output reg  [3:0]       flags
);
    localparam [NC_W-1:0]  NC_ZERO  = 0;
    localparam [NC_W-1:0]  NC_ONE   = 1;
    localparam [CH_AW-1:0] IDX_ZERO = 0;
    localparam [CH_AW-1:0] IDX_ONE  = 1;
    localparam [1:0]       ALL_LAST = 2'b11;

    // EOF bits of the previous accepted vector (reset/clear: "first" holds)
    reg  [1:0] prev_last;

    wire last_chain = valid && (({1'b0, chain_idx} + NC_ONE) >= num_chains);
    assign pop = (!valid || last_chain) && !buf_empty && (num_chains != NC_ZERO);

    always @(posedge clk) begin
        if (!rst_n || flush) begin
            valid     <= 1'b0;
            chain_idx <= IDX_ZERO;
            vec       <= {VW{1'b0}};
            flags     <= 4'b0000;
            prev_last <= ALL_LAST;
        end else if (pop) begin
            valid     <= 1'b1;
            chain_idx <= IDX_ZERO;
            vec       <= buf_data;
            flags     <= {buf_eof[1], prev_last[1], buf_eof[0], prev_last[0]};
            prev_last <= buf_eof;
        end else if (last_chain) begin
            valid     <= 1'b0;
        end else if (valid) begin
            chain_idx <= chain_idx + IDX_ONE;
        end
    end

`ifdef ASSERT_ON
    // the previous cycle's slot, and NUM_CHAINS as it was at the last pop and whether it stayed so
    reg             sh_run, sh_valid, sh_pop, sh_last, sh_flush, sh_nc_same;
    reg [CH_AW-1:0] sh_idx;
    reg [NC_W-1:0]  sh_nc;
    always @(posedge clk) begin
        sh_run   <= rst_n;
        sh_valid <= valid;
        sh_pop   <= pop;
        sh_last  <= last_chain;
        sh_flush <= flush;
        sh_idx   <= chain_idx;
        if (pop) sh_nc <= num_chains;
        sh_nc_same <= pop ? 1'b1 : (sh_nc_same && num_chains == sh_nc);
    end
    wire sh_next_chain = sh_run && !sh_flush && sh_valid && !sh_pop && !sh_last;
    wire sh_new_vector = sh_run && !sh_flush && sh_pop;
`endif
    `ASSERT(PopOnlyAtLastChain_A, clk, rst_n,
            !pop || !valid || ({1'b0, chain_idx} + NC_ONE >= num_chains))
    `ASSERT(PopNeedsChains_A, clk, rst_n, !pop || (num_chains != NC_ZERO && !buf_empty))
    `ASSERT(ChainsInOrder_A, clk, rst_n, !sh_next_chain || (valid && chain_idx == sh_idx + IDX_ONE))
    `ASSERT(ChainZeroAfterPop_A, clk, rst_n, !sh_new_vector || (valid && chain_idx == IDX_ZERO))
    `ASSERT(ChainBelowNumChains_A, clk, rst_n,
            !(valid && sh_nc_same && num_chains == sh_nc) || ({1'b0, chain_idx} < num_chains))
endmodule
`default_nettype wire
