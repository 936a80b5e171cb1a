// LeBug vector scalar-reduce unit: v_reduce() -> [sum(v), 0, ..., 0] (wrapping).
// Without v_reduce the data passes through. One register stage.
`default_nettype none
module lebug_vsru #(
    parameter N      = 8,                    // lanes
    parameter DATA_W = 32,                   // bits per lane
    parameter PASS_W = 9                     // control bits carried alongside the data
) (
    input  wire                clk,
    input  wire                rst_n,
    input  wire                flush,
    input  wire                in_valid,
    input  wire [N*DATA_W-1:0] in_data,
    input  wire [3:0]          in_flags,
    input  wire                vsru_en,
    input  wire [PASS_W-1:0]   in_pass,
    output wire                out_valid,
    output wire [N*DATA_W-1:0] out_data,
    output wire [3:0]          out_flags,
    output wire [PASS_W-1:0]   out_pass
);
    localparam VW = N * DATA_W;

    reg [DATA_W-1:0] sum;
    integer i;
    always @* begin
        sum = {DATA_W{1'b0}};
        for (i = 0; i < N; i = i + 1)
            sum = sum + in_data[i*DATA_W +: DATA_W];
    end

    wire [VW-1:0] res = vsru_en ? {{(VW-DATA_W){1'b0}}, sum} : in_data;

    lebug_stage_reg #(.VW(VW), .PASS_W(PASS_W)) u_stage (
        .clk(clk), .rst_n(rst_n), .flush(flush),
        .in_valid(in_valid), .in_data(res), .in_flags(in_flags), .in_pass(in_pass),
        .out_valid(out_valid), .out_data(out_data), .out_flags(out_flags), .out_pass(out_pass)
    );
endmodule
`default_nettype wire
