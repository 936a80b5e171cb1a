// The cocotb Clock(impl="gpi") waveform: rises at time 0 (after the testbench's
// initial blocks are waiting, so the first edge counts as in cocotb), period CLK_NS.
initial begin
    clk = 1'b0;
    #0 clk = 1'b1;
    forever #(CLK_NS / 2) clk = ~clk;
end
