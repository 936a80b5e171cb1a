// Processing element of the weight-stationary array.
// Two weight registers (double buffer); the activation carries the select bit
// of the buffer its tile uses, so a tile boundary sweeps through the array as a
// wavefront. Each cycle: p_out <= p_in + a_in * w[sel_in] (int32 wrap-around),
// a_out <= a_in, sel_out <= sel_in.
`default_nettype none
module systolic_pe (
    input  wire        clk,
    input  wire        rst_n,
    input  wire        wl_we,     // load this PE's weight register wl_buf
    input  wire        wl_buf,
    input  wire [7:0]  wl_data,
    input  wire [7:0]  a_in,
    input  wire        sel_in,
    input  wire [31:0] p_in,
    output reg  [7:0]  a_out,
    output reg         sel_out,
    output reg  [31:0] p_out
);
    reg  [7:0]         w0, w1;
    wire [7:0]         w    = sel_in ? w1 : w0;
    wire signed [15:0] prod = $signed(a_in) * $signed(w);

    always @(posedge clk) begin
        if (!rst_n) begin
            w0 <= 8'd0;
            w1 <= 8'd0;
        end else if (wl_we) begin
            if (wl_buf) w1 <= wl_data;
            else        w0 <= wl_data;
        end
    end

    always @(posedge clk) begin
        if (!rst_n) begin
            a_out   <= 8'd0;
            sel_out <= 1'b0;
            p_out   <= 32'd0;
        end else begin
            a_out   <= a_in;
            sel_out <= sel_in;
            p_out   <= p_in + {{16{prod[15]}}, prod};
        end
    end
endmodule
`default_nettype wire
