// Scratchpad RAM: one synchronous write port, one synchronous read port
// (simple dual port, read-first). The storage array is named `mem` so that a
// harness can load it with $readmemh(file, <instance>.mem). Not reset.
`default_nettype none
module systolic_ram #(
    parameter W     = 32,                    // word width
    parameter DEPTH = 1024,                  // words
    parameter AW    = (DEPTH > 1) ? $clog2(DEPTH) : 1 // derived: address bits
) (
    input  wire          clk,
    input  wire          we,
    input  wire [AW-1:0] waddr,
    input  wire [W-1:0]  wdata,
    input  wire          re,
    input  wire [AW-1:0] raddr,
    output reg  [W-1:0]  rdata
);
    reg [W-1:0] mem [0:DEPTH-1];

    always @(posedge clk) begin
        if (we) mem[waddr] <= wdata;
    end

    always @(posedge clk) begin
        if (re) rdata <= mem[raddr];
    end
endmodule
`default_nettype wire
