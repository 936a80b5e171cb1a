// LeBug data packer. v_commit(size, c1, c2) appends v[:size] (size 1, M or N)
// to the packing buffer; every N values form a trace row. A barrel rotator
// places the committed values at the current fill position so one commit can
// complete a row and start the next. One register stage: the completed row is
// presented on row_valid/row_data in the cycle after the commit.
// Assertion (docs/verification.md, "Assertions"; proved by tb/lebug/formal/lebug_dp.sby):
// pack_fill is consistent with the rows written: the values committed since reset/clear
// equal N x the rows handed to the trace buffer (row_valid, this cycle's included) + fill.
`include "assert.vh"
`default_nettype none
module lebug_dp #(
    parameter N      = 8,                    // lanes
    parameter M      = 4,                    // filter bins (commit size M)
    parameter DATA_W = 32,                   // bits per lane
    parameter FILL_W = $clog2(N)             // packer fill count bits
) (
    input  wire                clk,
    input  wire                rst_n,
    input  wire                flush,
    input  wire                in_valid,
    input  wire [N*DATA_W-1:0] in_data,
    input  wire [3:0]          in_flags,
    input  wire                commit_en,
    input  wire [1:0]          commit_size,
    input  wire [2:0]          commit_c1,
    input  wire [2:0]          commit_c2,
    output reg                 out_valid,   // a chain occupies this stage
    output reg                 row_valid,
    output reg  [N*DATA_W-1:0] row_data,
    output reg  [FILL_W-1:0]   fill
);
    localparam VW  = N * DATA_W;
    localparam SW  = FILL_W + 1;            // holds 0..2N-1
    localparam [SW-1:0] SIZE_1 = 1;
    localparam [31:0]   M32    = M;
    localparam [31:0]   N32    = N;
    localparam [SW-1:0] SIZE_M = M32[SW-1:0];
    localparam [SW-1:0] SIZE_N = N32[SW-1:0];
    localparam [1:0] CS_1 = 2'd0;
    localparam [1:0] CS_M = 2'd1;
    localparam [FILL_W-1:0] FILL_ZERO = 0;

    reg [VW-1:0] pbuf;   // pending values at lanes 0..fill-1

    wire commit_hold;
    lebug_cond u_commit_cond (.c1(commit_c1), .c2(commit_c2), .flags(in_flags), .ok(commit_hold));
    wire commit = in_valid & commit_en & commit_hold;

    wire [SW-1:0] size = (commit_size == CS_1) ? SIZE_1 :
                         (commit_size == CS_M) ? SIZE_M : SIZE_N;

    // barrel rotator: lane i of in_data goes to lane (i + fill) mod N
    wire [2*VW-1:0] dbl = {in_data, in_data};
    /* verilator lint_off UNUSEDSIGNAL */
    wire [2*VW-1:0] dbl_sh = dbl << (fill * DATA_W);
    /* verilator lint_on UNUSEDSIGNAL */
    wire [VW-1:0] rot = dbl_sh[2*VW-1:VW];

    wire [SW-1:0] end_pos  = {1'b0, fill} + size;        // fill + size, <= 2N-1
    wire          complete = end_pos[SW-1];              // fill + size >= N

    reg [VW-1:0] buf_next;
    reg [VW-1:0] row_next;
    reg [SW-1:0] rel;
    integer l;
    always @* begin
        for (l = 0; l < N; l = l + 1) begin
            // position of lane l relative to the fill point, mod N
            rel = {1'b0, l[FILL_W-1:0] - fill};
            buf_next[l*DATA_W +: DATA_W] = (rel < size) ? rot[l*DATA_W +: DATA_W]
                                                        : pbuf[l*DATA_W +: DATA_W];
            row_next[l*DATA_W +: DATA_W] = (l[FILL_W-1:0] < fill) ? pbuf[l*DATA_W +: DATA_W]
                                                                  : rot[l*DATA_W +: DATA_W];
        end
    end

    always @(posedge clk) begin
        if (!rst_n || flush) begin
            out_valid <= 1'b0;
            row_valid <= 1'b0;
            row_data  <= {VW{1'b0}};
            fill      <= FILL_ZERO;
            pbuf      <= {VW{1'b0}};
        end else begin
            out_valid <= in_valid;
            row_valid <= commit & complete;
            if (commit) begin
                pbuf <= buf_next;
                fill <= end_pos[FILL_W-1:0];
                if (complete) row_data <= row_next;
            end
        end
    end

`ifdef ASSERT_ON
    // values committed and rows presented (row_valid cycles) since reset/clear, mod 2^32
    reg [31:0] sh_values, sh_rows;
    always @(posedge clk) begin
        if (!rst_n || flush) begin
            sh_values <= 32'd0;
            sh_rows   <= 32'd0;
        end else begin
            if (commit)    sh_values <= sh_values + {{(32 - SW){1'b0}}, size};
            if (row_valid) sh_rows   <= sh_rows + 32'd1;
        end
    end
    wire [31:0] sh_fill = {{(32 - FILL_W){1'b0}}, fill};
`endif
    `ASSERT(FillMatchesRows_A, clk, rst_n, sh_values == (sh_rows + {31'd0, row_valid}) * N32 + sh_fill)
endmodule
`default_nettype wire
