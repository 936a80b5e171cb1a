// LeBug vector-vector ALU. Owns the vector cache (CACHE_DEPTH x N*DATA_W,
// asynchronous read, one write port shared with the clear FSM) and the
// minicache register. Reads and writes cache/minicache in the same cycle, so
// the next chain sees this chain's writes. One register stage.
`default_nettype none
module lebug_vvalu #(
    parameter N           = 8,               // lanes
    parameter DATA_W      = 32,              // bits per lane
    parameter FRAC_W      = 0,               // fraction bits (0: integer)
    parameter CACHE_DEPTH = 8,               // vector cache entries
    parameter PASS_W      = 10,              // control bits carried alongside the data
    parameter CA_W        = (CACHE_DEPTH > 1) ? $clog2(CACHE_DEPTH) : 1 // cache address bits
) (
    input  wire                clk,
    input  wire                rst_n,
    input  wire                flush,
    // clear FSM: zero one cache address per cycle
    input  wire                clr_en,
    input  wire [CA_W-1:0]     clr_addr,
    input  wire                in_valid,
    input  wire [N*DATA_W-1:0] in_data,
    input  wire [3:0]          in_flags,
    input  wire                mc_load,
    input  wire [2:0]          alu_op,
    input  wire [7:0]          alu_addr,
    input  wire [2:0]          alu_c1,
    input  wire [2:0]          alu_c2,
    input  wire                cache_en,
    input  wire [7:0]          cache_addr,
    input  wire [2:0]          cache_c1,
    input  wire [2:0]          cache_c2,
    input  wire                mc_save,
    input  wire [PASS_W-1:0]   in_pass,
    output wire                out_valid,
    output wire [N*DATA_W-1:0] out_data,
    output wire [3:0]          out_flags,
    output wire [PASS_W-1:0]   out_pass
);
    localparam VW = N * DATA_W;
    localparam PW = DATA_W + FRAC_W;    // product bits needed for (a*b) >>> FRAC_W
    localparam [2:0] OP_ADD = 3'd1;
    localparam [2:0] OP_SUB = 3'd2;
    localparam [2:0] OP_MUL = 3'd3;
    localparam [2:0] OP_MAX = 3'd4;
    localparam [31:0] DEPTH32   = CACHE_DEPTH;

    reg [VW-1:0] cache [0:CACHE_DEPTH-1];
    reg [VW-1:0] minicache;

    wire alu_in_range   = ({24'd0, alu_addr}   < DEPTH32);
    wire cache_in_range = ({24'd0, cache_addr} < DEPTH32);
    wire [VW-1:0] cache_rd = alu_in_range ? cache[alu_addr[CA_W-1:0]] : {VW{1'b0}};

    wire [VW-1:0] opnd = mc_load ? minicache : in_data;
    wire alu_hold;
    wire cache_hold;
    lebug_cond u_alu_cond   (.c1(alu_c1),   .c2(alu_c2),   .flags(in_flags), .ok(alu_hold));
    lebug_cond u_cache_cond (.c1(cache_c1), .c2(cache_c2), .flags(in_flags), .ok(cache_hold));

    // add, sub and max share one adder per lane: s = a + b, or a - b (as a + ~b + 1) on
    // DATA_W+1 bits, whose sign gives the signed comparison for max (a - b < 0: b is larger)
    wire sub_like = (alu_op == OP_SUB) | (alu_op == OP_MAX);
    wire [VW-1:0] res;
    genvar gl;
    generate
        for (gl = 0; gl < N; gl = gl + 1) begin : g_lane
            wire signed [DATA_W-1:0] a = opnd[gl*DATA_W +: DATA_W];
            wire signed [DATA_W-1:0] b = cache_rd[gl*DATA_W +: DATA_W];
            // low DATA_W+FRAC_W bits of the signed product; bits below FRAC_W are shifted out
            /* verilator lint_off UNUSEDSIGNAL */
            wire signed [PW-1:0] prod = a * b;
            /* verilator lint_on UNUSEDSIGNAL */
            wire [DATA_W:0] bx = {b[DATA_W-1], b};
            wire [DATA_W:0] s  = {a[DATA_W-1], a} + (sub_like ? ~bx : bx) + {{DATA_W{1'b0}}, sub_like};
            reg [DATA_W-1:0] r;
            always @* begin
                r = a;
                if (alu_hold) begin
                    case (alu_op)
                        OP_ADD:  r = s[DATA_W-1:0];
                        OP_SUB:  r = s[DATA_W-1:0];
                        OP_MUL:  r = prod[FRAC_W +: DATA_W];
                        OP_MAX:  r = s[DATA_W] ? b : a;
                        default: r = a;
                    endcase
                end
            end
            assign res[gl*DATA_W +: DATA_W] = r;
        end
    endgenerate

    // single cache write port: clear FSM has priority (pipeline is empty then)
    wire            cache_we    = clr_en | (in_valid & cache_en & cache_hold & cache_in_range);
    wire [CA_W-1:0] cache_waddr = clr_en ? clr_addr : cache_addr[CA_W-1:0];
    wire [VW-1:0]   cache_wdata = clr_en ? {VW{1'b0}} : res;

    always @(posedge clk) begin
        if (cache_we) cache[cache_waddr] <= cache_wdata;
    end

    always @(posedge clk) begin
        if (!rst_n || flush) minicache <= {VW{1'b0}};
        else if (in_valid && mc_save) minicache <= res;
    end

    lebug_stage_reg #(.VW(VW), .PASS_W(PASS_W)) u_stage (
        .clk(clk), .rst_n(rst_n), .flush(flush),
        .in_valid(in_valid), .in_data(res), .in_flags(in_flags), .in_pass(in_pass),
        .out_valid(out_valid), .out_data(out_data), .out_flags(out_flags), .out_pass(out_pass)
    );
endmodule
`default_nettype wire
