// The formal wrappers' reset (tb/<block>/formal/*_formal.sv, docs/verification.md "Formal"):
// rst_n is low in the first cycle of every trace, and free after it (a reset may come again).
`define FORMAL_RESET_FIRST(clk, rst_n) \
    reg formal_init = 1'b1; \
    always @(posedge clk) formal_init <= 1'b0; \
    always @(*) if (formal_init) assume (!(rst_n));
