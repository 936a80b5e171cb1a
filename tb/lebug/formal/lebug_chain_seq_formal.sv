// Formal wrapper of rtl/lebug/lebug_chain_seq.v (tb/lebug/formal/lebug_chain_seq.sby): up to
// 4 chains (CH_AW=2: NUM_CHAINS 0..7 reaches past the chain memory too), a 2-bit vector;
// every input free (NUM_CHAINS rewritten at any time, the buffer's empty flag, flushes),
// reset in the first cycle.
`include "formal_reset.vh"
module lebug_chain_seq_formal (
    input wire       clk,
    input wire       rst_n,
    input wire       flush,
    input wire [2:0] num_chains,
    input wire       buf_empty,
    input wire [1:0] buf_data,
    input wire [1:0] buf_eof
);
    `FORMAL_RESET_FIRST(clk, rst_n)

    wire       pop, valid;
    wire [1:0] chain_idx, vec;
    wire [3:0] flags;
    lebug_chain_seq #(.VW(2), .CH_AW(2), .NC_W(3)) u_dut (
        .clk(clk), .rst_n(rst_n), .flush(flush), .num_chains(num_chains), .buf_empty(buf_empty),
        .buf_data(buf_data), .buf_eof(buf_eof), .pop(pop), .valid(valid), .chain_idx(chain_idx),
        .vec(vec), .flags(flags)
    );
endmodule
