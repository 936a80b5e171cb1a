// Formal check of rtl/systolic/systolic_requant.v against the requantization equation of
// docs/systolic.md ("Arithmetic and requantization") and pymodel.systolic.model.requantize:
//   q = clamp((y * mult + (shift > 0 ? 2^(shift-1) : 0)) >> shift, -128, 127)
// written another way here: with P = y * mult (exact), round half up is
// floor(P / 2^shift) plus bit shift-1 of P (the first discarded bit), and the clamp is a
// comparison of that value with -128 and 127. Full widths (y 32, mult 24, shift 5 bits).
// P is formed as the RTL forms it (64-bit signed product of y sign-extended and mult
// zero-extended), so yosys merges the two into the RTL's one $mul: what the proof compares is
// the rounding, the shift and the saturation, for every y, mult and shift (all 2^61 inputs),
// the multiplier included in the SAT problem; and that the product fits 56 bits (|P| < 2^55:
// |y| <= 2^31, mult < 2^24), which the 64-bit intermediates of docs/systolic.md rely on.
module systolic_requant_formal (
    input wire [31:0] y,
    input wire [23:0] mult,
    input wire [4:0]  shift
);
    wire [31:0] q;
    systolic_requant u_dut (.y(y), .mult(mult), .shift(shift), .q(q));

    wire signed [63:0] p     = $signed({{32{y[31]}}, y}) * $signed({40'd0, mult});
    always @(*) ProductFits_A: assert (p[63:55] == {9{p[55]}});       // |P| < 2^55
    wire signed [63:0] fl    = p >>> shift;                            // floor(P / 2^shift)
    wire        [63:0] below = (64'd1 << shift) >> 1;                  // 2^(shift-1), 0 for shift 0
    wire               half  = |(p & below);                           // bit shift-1 of P
    wire signed [63:0] v     = fl + {63'd0, half};
    wire signed [7:0]  sat   = (v > 64'sd127) ? 8'sd127 : (v < -64'sd128) ? -8'sd128 : v[7:0];
    always @(*) EqualsEquation_A: assert (q == {{24{sat[7]}}, sat});
endmodule
