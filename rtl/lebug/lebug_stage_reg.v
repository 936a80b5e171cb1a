// LeBug pipeline stage register: a unit's combinational result plus the chain's
// flags and the control fields still needed downstream. Cleared by reset/flush;
// holds its value while no chain occupies the stage.
`default_nettype none
module lebug_stage_reg #(
    parameter VW     = 256,                  // vector width
    parameter PASS_W = 9                     // control bits carried alongside the data
) (
    input  wire              clk,
    input  wire              rst_n,
    input  wire              flush,
    input  wire              in_valid,
    input  wire [VW-1:0]     in_data,
    input  wire [3:0]        in_flags,
    input  wire [PASS_W-1:0] in_pass,
    output reg               out_valid,
    output reg  [VW-1:0]     out_data,
    output reg  [3:0]        out_flags,
    output reg  [PASS_W-1:0] out_pass
);
    always @(posedge clk) begin
        if (!rst_n || flush) begin
            out_valid <= 1'b0;
            out_data  <= {VW{1'b0}};
            out_flags <= 4'b0000;
            out_pass  <= {PASS_W{1'b0}};
        end else begin
            out_valid <= in_valid;
            if (in_valid) begin
                out_data  <= in_data;
                out_flags <= in_flags;
                out_pass  <= in_pass;
            end
        end
    end
endmodule
`default_nettype wire
