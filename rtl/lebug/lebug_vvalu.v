// LeBug vector-vector ALU. Owns the vector cache (CACHE_DEPTH x N*DATA_W,
// asynchronous read, one write port shared with the clear FSM) and the
// minicache register. Reads and writes cache/minicache in the same cycle, so
// the next chain sees this chain's writes. One register stage.
module lebug_vvalu #(
    parameter N           = 8,
    parameter DATA_W      = 32,
    parameter FRAC_W      = 0,
    parameter CACHE_DEPTH = 8,
    parameter PASS_W      = 10,
    parameter CA_W        = (CACHE_DEPTH > 1) ? $clog2(CACHE_DEPTH) : 1
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
    output reg                 out_valid,
    output reg  [N*DATA_W-1:0] out_data,
    output reg  [3:0]          out_flags,
    output reg  [PASS_W-1:0]   out_pass
);
    localparam VW = N * DATA_W;
    localparam PW = DATA_W + FRAC_W;    // product bits needed for (a*b) >>> FRAC_W
    localparam [2:0] OP_ADD = 3'd1;
    localparam [2:0] OP_SUB = 3'd2;
    localparam [2:0] OP_MUL = 3'd3;
    localparam [2:0] OP_MAX = 3'd4;
    localparam [2:0] C_FIRST    = 3'd1;
    localparam [2:0] C_LAST     = 3'd2;
    localparam [2:0] C_NOTFIRST = 3'd3;
    localparam [2:0] C_NOTLAST  = 3'd4;
    localparam [31:0] DEPTH32   = CACHE_DEPTH;

    // condition code test against {last, first} of one EOF level
    function cond_ok;
        input [2:0] code;
        input       first;
        input       last;
        begin
            case (code)
                C_FIRST:    cond_ok = first;
                C_LAST:     cond_ok = last;
                C_NOTFIRST: cond_ok = ~first;
                C_NOTLAST:  cond_ok = ~last;
                default:    cond_ok = 1'b1;
            endcase
        end
    endfunction

    reg [VW-1:0] cache [0:CACHE_DEPTH-1];
    reg [VW-1:0] minicache;

    wire alu_in_range   = ({24'd0, alu_addr}   < DEPTH32);
    wire cache_in_range = ({24'd0, cache_addr} < DEPTH32);
    wire [VW-1:0] cache_rd = alu_in_range ? cache[alu_addr[CA_W-1:0]] : {VW{1'b0}};

    wire [VW-1:0] opnd = mc_load ? minicache : in_data;
    wire alu_hold   = cond_ok(alu_c1,   in_flags[0], in_flags[1]) &
                      cond_ok(alu_c2,   in_flags[2], in_flags[3]);
    wire cache_hold = cond_ok(cache_c1, in_flags[0], in_flags[1]) &
                      cond_ok(cache_c2, in_flags[2], in_flags[3]);

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
            reg [DATA_W-1:0] r;
            always @* begin
                r = a;
                if (alu_hold) begin
                    case (alu_op)
                        OP_ADD:  r = a + b;
                        OP_SUB:  r = a - b;
                        OP_MUL:  r = prod[FRAC_W +: DATA_W];
                        OP_MAX:  r = (a > b) ? a : b;
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
        if (!rst_n || flush) begin
            minicache <= {VW{1'b0}};
            out_valid <= 1'b0;
            out_data  <= {VW{1'b0}};
            out_flags <= 4'b0000;
            out_pass  <= {PASS_W{1'b0}};
        end else begin
            out_valid <= in_valid;
            if (in_valid) begin
                if (mc_save) minicache <= res;
                out_data  <= res;
                out_flags <= in_flags;
                out_pass  <= in_pass;
            end
        end
    end
endmodule
