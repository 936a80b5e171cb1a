// LeBug condition check: both EOF levels' condition codes against the chain's
// first/last flags (flags = {last1, first1, last0, first0}). Combinational.
// Codes (docs/lebug.md): 1 first, 2 last, 3 notfirst, 4 notlast, others always.
`default_nettype none
module lebug_cond (
    input  wire [2:0] c1,     // EOF level 0
    input  wire [2:0] c2,     // EOF level 1
    input  wire [3:0] flags,
    output wire       ok
);
    localparam [2:0] C_FIRST    = 3'd1;
    localparam [2:0] C_LAST     = 3'd2;
    localparam [2:0] C_NOTFIRST = 3'd3;
    localparam [2:0] C_NOTLAST  = 3'd4;

    function level_ok;
        input [2:0] code;
        input       first;
        input       last;
        begin
            case (code)
                C_FIRST:    level_ok = first;
                C_LAST:     level_ok = last;
                C_NOTFIRST: level_ok = ~first;
                C_NOTLAST:  level_ok = ~last;
                default:    level_ok = 1'b1;
            endcase
        end
    endfunction

    assign ok = level_ok(c1, flags[0], flags[1]) & level_ok(c2, flags[2], flags[3]);
endmodule
`default_nettype wire
