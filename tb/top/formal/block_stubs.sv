// Free stand-ins for the two blocks inside accel_top, for tb/top/formal/accel_top_tap.sby: the
// same parameters and ports as rtl/systolic/systolic.v and rtl/lebug/lebug.v, every output a
// free value each cycle ($anyseq), so the tap's proof holds for any stream, any LeBug in_ready,
// any bus answer. Formal only (yosys read -formal).
module systolic #(
    parameter K = 8, parameter ACT_DEPTH = 16384, parameter WGT_DEPTH = 16384, parameter BQ_DEPTH = 256,
    parameter OUT_DEPTH = 16384, parameter ACC_DEPTH = 1024, parameter CMD_DEPTH = 64,
    parameter WIN_ROWS = 16, parameter WIN_BYTES = 128, parameter APB_ADDR_W = 23
) (
    input  wire                  clk,
    input  wire                  rst_n,
    input  wire                  psel,
    input  wire                  penable,
    input  wire                  pwrite,
    input  wire [APB_ADDR_W-1:0] paddr,
    input  wire [31:0]           pwdata,
    output wire [31:0]           prdata,
    output wire                  pready,
    output wire                  pslverr,
    output wire                  out_valid,
    output wire [1:0]            out_eof,
    output wire [K*32-1:0]       out_data,
    output wire                  busy,
    output wire                  done
);
    (* anyseq *) reg [31:0]     f_prdata;
    (* anyseq *) reg            f_pready, f_pslverr, f_valid, f_busy, f_done;
    (* anyseq *) reg [1:0]      f_eof;
    (* anyseq *) reg [K*32-1:0] f_data;
    assign prdata = f_prdata;
    assign pready = f_pready;
    assign pslverr = f_pslverr;
    assign out_valid = f_valid;
    assign out_eof = f_eof;
    assign out_data = f_data;
    assign busy = f_busy;
    assign done = f_done;
endmodule

module lebug #(
    parameter N = 8, parameter M = 4, parameter DATA_W = 32, parameter FRAC_W = 0, parameter IB_DEPTH = 8,
    parameter FU_ROWS = 4, parameter CACHE_DEPTH = 8, parameter TB_DEPTH = 64, parameter MAX_CHAINS = 8,
    parameter VSRU_FIRST = 0, parameter APB_ADDR_W = 20
) (
    input  wire                  clk,
    input  wire                  rst_n,
    input  wire                  in_valid,
    output wire                  in_ready,
    input  wire [1:0]            in_eof,
    input  wire [N*DATA_W-1:0]   in_data,
    input  wire                  psel,
    input  wire                  penable,
    input  wire                  pwrite,
    input  wire [APB_ADDR_W-1:0] paddr,
    input  wire [31:0]           pwdata,
    output wire [31:0]           prdata,
    output wire                  pready,
    output wire                  pslverr,
    output wire                  idle
);
    (* anyseq *) reg [31:0] f_prdata;
    (* anyseq *) reg        f_ready, f_pready, f_pslverr, f_idle;
    assign in_ready = f_ready;
    assign prdata = f_prdata;
    assign pready = f_pready;
    assign pslverr = f_pslverr;
    assign idle = f_idle;
endmodule
