// Requantization of one output lane to int8 (docs/systolic.md):
//   q = clamp((y * mult + (shift > 0 ? 2^(shift-1) : 0)) >>> shift, -128, 127)
// y signed 32 bits, mult unsigned 24 bits, shift 0..31, on 64-bit intermediates.
// Result sign-extended to 32 bits. Combinational.
`default_nettype none
module systolic_requant (
    input  wire [31:0] y,
    input  wire [23:0] mult,
    input  wire [4:0]  shift,
    output wire [31:0] q
);
    localparam signed [63:0] QMAX = 64'sd127;
    localparam signed [63:0] QMIN = -64'sd128;

    wire signed [63:0] y64   = {{32{y[31]}}, y};
    wire signed [63:0] m64   = {40'd0, mult};
    wire signed [63:0] prod  = y64 * m64;
    wire        [5:0]  sh1   = {1'b0, shift} - 6'd1;
    wire signed [63:0] rnd   = (shift == 5'd0) ? 64'sd0 : (64'sd1 <<< sh1);
    wire signed [63:0] sum   = prod + rnd;
    wire signed [63:0] shr   = sum >>> shift;
    wire        [7:0]  sat   = (shr > QMAX) ? 8'h7F : (shr < QMIN) ? 8'h80 : shr[7:0];

    assign q = {{24{sat[7]}}, sat};
endmodule
`default_nettype wire
