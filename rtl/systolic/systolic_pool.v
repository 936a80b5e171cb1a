// Max-pooling datapath of the systolic block (docs/systolic.md, "POOL: max-pooling").
// The sequencer reads one ACT word a cycle (the kh*kw words of a pooling window for one
// channel tile, in a row); the word arrives the next cycle (stage S), where the lane-wise
// signed maximum with the running maximum is formed. At the window's last word the result,
// lanes >= nrem set to 0 and each lane sign-extended to 32 bits, is presented to the output
// stage of systolic_post (o_valid), which streams it and writes it to ACT the cycle after.
`default_nettype none
module systolic_pool #(
    parameter K      = 8,                    // lanes
    parameter ACT_AW = 14,                   // ACT address bits
    parameter LOG2K  = $clog2(K)             // derived: lane index bits
) (
    input  wire              clk,
    input  wire              rst_n,
    // issue (the cycle of the ACT read)
    input  wire              i_re,
    input  wire              i_first,        // the window's first word
    input  wire              i_last,         // the window's last word
    input  wire              i_eof0,
    input  wire              i_eof1,
    input  wire [ACT_AW-1:0] i_daddr,
    input  wire [LOG2K:0]    i_nrem,         // lanes below this are channels
    // ACT read data (the cycle after i_re)
    input  wire [K*8-1:0]    rdata,
    // result row (stage S)
    output wire              o_valid,
    output wire [1:0]        o_eof,
    output wire [ACT_AW-1:0] o_daddr,
    output wire [K*32-1:0]   o_row,
    output wire              busy
);
    reg              s_v, s_first, s_last;
    reg [1:0]        s_eof;
    reg [ACT_AW-1:0] s_daddr;
    reg [LOG2K:0]    s_nrem;
    reg [K*8-1:0]    mx;
    wire [K*8-1:0]   mx_next;

    always @(posedge clk) begin
        if (!rst_n) begin
            s_v     <= 1'b0;
            s_first <= 1'b0;
            s_last  <= 1'b0;
            s_eof   <= 2'd0;
            s_daddr <= {ACT_AW{1'b0}};
            s_nrem  <= {(LOG2K + 1){1'b0}};
            mx      <= {(K * 8){1'b0}};
        end else begin
            s_v <= i_re;
            if (i_re) begin
                s_first <= i_first;
                s_last  <= i_last;
                s_eof   <= {i_eof1, i_eof0};
                s_daddr <= i_daddr;
                s_nrem  <= i_nrem;
            end
            if (s_v) mx <= mx_next;
        end
    end

    genvar g;
    generate
        for (g = 0; g < K; g = g + 1) begin : g_lane
            localparam [LOG2K:0] LANE = g;
            wire signed [7:0] a = rdata[g*8 +: 8];
            wire signed [7:0] b = mx[g*8 +: 8];
            wire        [7:0] m = (s_first || a > b) ? a : b;
            assign mx_next[g*8 +: 8]  = m;
            assign o_row[g*32 +: 32] = (LANE < s_nrem) ? {{24{m[7]}}, m} : 32'd0;
        end
    endgenerate

    assign o_valid = s_v && s_last;
    assign o_eof   = s_eof;
    assign o_daddr = s_daddr;
    assign busy    = s_v;
endmodule
`default_nettype wire
