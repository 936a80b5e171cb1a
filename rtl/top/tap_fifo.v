// Tap FIFO between the accelerator's output row stream and LeBug: first-word
// fall-through, one write and one read port, asynchronous read (distributed RAM).
// A row offered while full is not stored (the caller counts it as dropped).
// Assertions (docs/verification.md, "Assertions"; proved by tb/top/formal/tap_fifo.sby): the
// FIFO's books, rtl/common/fifo_check.vh: occupancy within 0..DEPTH, pointers that agree with it,
// and nothing stored is lost: every pop takes the oldest row not yet popped.
`include "assert.vh"
`include "fifo_check.vh"
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
    // the books: occupancy and pointers, every stored row popped once, in order
    fifo_check #(.DEPTH(DEPTH), .AW(AW)) u_check (
        .clk(clk), .rst_n(rst_n), .clear(clear), .we(do_push), .wptr(wr_ptr), .re(do_pop), .rptr(rd_ptr),
        .count(count)
    );
`endif
endmodule
`default_nettype wire
