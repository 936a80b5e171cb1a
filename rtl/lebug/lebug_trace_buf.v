// LeBug trace buffer: circular RAM of TB_DEPTH rows of N*DATA_W bits.
// Row k of the packed stream goes to slot k mod TB_DEPTH. Asynchronous read
// port (one lane) for the APB; rows not written since reset/clear read as 0.
// Assertions (docs/verification.md, "Assertions"; proved by tb/lebug/formal/lebug_trace_buf.sby):
// the write pointer is ROWS mod TB_DEPTH, wrap is set once more than TB_DEPTH rows were
// written, and exactly the slots written since reset/clear read back their rows.
`include "assert.vh"
`default_nettype none
module lebug_trace_buf #(
    parameter N        = 8,                  // lanes
    parameter DATA_W   = 32,                 // bits per lane
    parameter TB_DEPTH = 64,                 // rows (power of 2)
    parameter TB_AW    = (TB_DEPTH > 1) ? $clog2(TB_DEPTH) : 1, // row address bits
    parameter LANE_W   = $clog2(N)           // lane index bits
) (
    input  wire                clk,
    input  wire                rst_n,
    input  wire                flush,
    input  wire                wr_en,
    input  wire [N*DATA_W-1:0] wr_data,
    input  wire [TB_AW-1:0]    rd_row,
    input  wire [LANE_W-1:0]   rd_lane,
    output wire [DATA_W-1:0]   rd_data,
    output reg  [31:0]         rows,
    output reg                 wrap
);
    localparam VW = N * DATA_W;
    localparam [31:0]      LAST32   = TB_DEPTH - 1;
    localparam [TB_AW-1:0] PTR_LAST = LAST32[TB_AW-1:0];
    localparam [TB_AW-1:0] PTR_ONE  = 1;
    localparam [TB_AW-1:0] PTR_ZERO = 0;
    localparam [31:0]      DEPTH32  = TB_DEPTH;

    reg [VW-1:0]       mem [0:TB_DEPTH-1];
    reg [TB_AW-1:0]    wp;
    reg [TB_DEPTH-1:0] written;   // slot written since reset/clear

    always @(posedge clk) begin
        if (wr_en) mem[wp] <= wr_data;
    end

    always @(posedge clk) begin
        if (!rst_n || flush) begin
            written <= {TB_DEPTH{1'b0}};
        end else if (wr_en) begin
            written[wp] <= 1'b1;
        end
    end

    always @(posedge clk) begin
        if (!rst_n || flush) begin
            wp   <= PTR_ZERO;
            rows <= 32'd0;
            wrap <= 1'b0;
        end else if (wr_en) begin
            wp   <= (wp == PTR_LAST) ? PTR_ZERO : wp + PTR_ONE;
            rows <= rows + 32'd1;
            if (rows >= DEPTH32) wrap <= 1'b1;
        end
    end

    // read port
    wire [VW-1:0]     rd_word = mem[rd_row];
    wire [DATA_W-1:0] lanes [0:N-1];
    genvar gl;
    generate
        for (gl = 0; gl < N; gl = gl + 1) begin : g_lane
            assign lanes[gl] = rd_word[gl*DATA_W +: DATA_W];
        end
    endgenerate
    assign rd_data = written[rd_row] ? lanes[rd_lane] : {DATA_W{1'b0}};

`ifdef ASSERT_ON
    // slot i holds a row since reset/clear iff wrap or i < ROWS
    reg [TB_DEPTH-1:0] sh_written;
    integer sh_i;
    always @* begin
        for (sh_i = 0; sh_i < TB_DEPTH; sh_i = sh_i + 1) sh_written[sh_i] = wrap || (sh_i < rows);
    end
    wire [31:0] sh_wp = {{(32 - TB_AW){1'b0}}, wp};
`endif
    `ASSERT(WritePtrIsRowsModDepth_A, clk, rst_n, sh_wp == (rows & (DEPTH32 - 32'd1)))
    `ASSERT(WrapAfterDepthRows_A, clk, rst_n, !(rows > DEPTH32) || wrap)
    `ASSERT(WrittenSlotsMatchRows_A, clk, rst_n, written == sh_written)
endmodule
`default_nettype wire
