// Adapts accelerator output rows (K lanes of DATA_W bits + eof, as stored in the tap
// FIFO) to LeBug input vectors (N lanes of DATA_W bits), from the tap FIFO's head,
// only when LeBug is ready, so nothing is lost between the FIFO and LeBug
// (docs/top.md, "Tap"):
//   K == N: one vector per row;
//   K >  N: R = K/N vectors per row, lanes [0, N) first; the row's eof bits go
//           with its last vector;
//   K <  N: one vector per row, lanes [K, N) are 0.
// Assertions (docs/verification.md, "Assertions"; proved by tb/top/formal/tap_adapter.sby):
// a vector only while LeBug is ready, R vectors a row in order (vectors handed out = R x rows
// popped + the part of the row at the head).
`include "assert.vh"
`default_nettype none
module tap_adapter #(
    parameter K      = 8,    // accelerator lanes per row
    parameter N      = 8,    // LeBug lanes per vector
    parameter DATA_W = 32    // lane width (LeBug's DATA_W; accel_top saturates the int32 lanes to it)
) (
    input  wire                clk,
    input  wire                rst_n,
    input  wire                clear,
    input  wire                row_valid,   // FIFO not empty
    input  wire [K*DATA_W+1:0] row,         // {eof[1:0], data}
    output wire                row_pop,
    input  wire                vec_ready,
    output wire                vec_valid,
    output wire [1:0]          vec_eof,
    output wire [N*DATA_W-1:0] vec_data
);
    localparam R   = (K > N) ? K / N : 1;   // vectors per row
    localparam L   = (K > N) ? N : K;       // accelerator lanes per vector
    localparam PW  = (R > 1) ? $clog2(R) : 1;
    localparam [31:0] R32 = R;
    localparam [PW-1:0] PART_LAST = R32[PW-1:0] - 1'b1;

    reg  [PW-1:0] part;
    wire          last_part = (part == PART_LAST);
    wire [K*DATA_W-1:0] data = row[K*DATA_W-1:0];
    wire [1:0]          eof  = row[K*DATA_W+1:K*DATA_W];

    assign vec_valid = row_valid & vec_ready;
    assign vec_eof   = last_part ? eof : 2'b00;
    assign row_pop   = vec_valid & last_part;

    generate
        if (N > L) begin : g_pad
            assign vec_data = {{((N - L) * DATA_W){1'b0}}, data[L*DATA_W-1:0]};
        end else if (R > 1) begin : g_split
            assign vec_data = data[part * (L * DATA_W) +: L * DATA_W];
        end else begin : g_same
            assign vec_data = data;
        end
    endgenerate

    always @(posedge clk) begin
        if (!rst_n || clear) part <= {PW{1'b0}};
        else if (vec_valid) part <= last_part ? {PW{1'b0}} : part + 1'b1;
    end

`ifdef ASSERT_ON
    // vectors handed to LeBug and rows popped from the FIFO since reset or clear
    reg [31:0] sh_vectors, sh_rows;
    always @(posedge clk) begin
        if (!rst_n || clear) begin
            sh_vectors <= 32'd0;
            sh_rows    <= 32'd0;
        end else begin
            if (vec_valid) sh_vectors <= sh_vectors + 32'd1;
            if (row_pop)   sh_rows    <= sh_rows + 32'd1;
        end
    end
    wire [31:0] sh_part = {{(32 - PW){1'b0}}, part};
`endif
    `ASSERT(VectorOnlyWhenReady_A, clk, rst_n, !vec_valid || (vec_ready && row_valid))
    `ASSERT(PartInRange_A, clk, rst_n, sh_part < R32)
    `ASSERT(VectorsFollowRows_A, clk, rst_n, sh_vectors == sh_rows * R32 + sh_part)
endmodule
`default_nettype wire
