// LeBug vector scalar-reduce unit: v_reduce() -> [sum(v), 0, ..., 0] (wrapping).
// Without v_reduce the data passes through. One register stage.
module lebug_vsru #(
    parameter N      = 8,
    parameter DATA_W = 32,
    parameter PASS_W = 9
) (
    input  wire                clk,
    input  wire                rst_n,
    input  wire                flush,
    input  wire                in_valid,
    input  wire [N*DATA_W-1:0] in_data,
    input  wire [3:0]          in_flags,
    input  wire                vsru_en,
    input  wire [PASS_W-1:0]   in_pass,
    output reg                 out_valid,
    output reg  [N*DATA_W-1:0] out_data,
    output reg  [3:0]          out_flags,
    output reg  [PASS_W-1:0]   out_pass
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

    always @(posedge clk) begin
        if (!rst_n || flush) begin
            out_valid <= 1'b0;
            out_data  <= {VW{1'b0}};
            out_flags <= 4'b0000;
            out_pass  <= {PASS_W{1'b0}};
        end else begin
            out_valid <= in_valid;
            if (in_valid) begin
                out_data  <= res;
                out_flags <= in_flags;
                out_pass  <= in_pass;
            end
        end
    end
endmodule
