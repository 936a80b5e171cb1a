// accelscope top level: the systolic GEMM block and the LeBug instrumentation
// behind one APB3 slave port; LeBug taps the accelerator's output row stream
// through a FIFO and a lane adapter (docs/top.md).
//   0x000000 - 0x7FFFFF  systolic (its own map, docs/systolic.md)
//   0x800000 - 0x8FFFFF  LeBug    (its own map, docs/lebug.md)
//   0x900000 - 0x9000FF  top registers (ID, PARAMS, tap counters)
// Anything else answers PSLVERR and changes nothing.
`default_nettype none
module accel_top #(
    // systolic
    parameter K           = 8,
    parameter ACT_DEPTH   = 16384,
    parameter WGT_DEPTH   = 16384,
    parameter BQ_DEPTH    = 256,
    parameter OUT_DEPTH   = 16384,
    parameter ACC_DEPTH   = 1024,
    parameter CMD_DEPTH   = 64,
    // LeBug (lanes are 32 bits: the stream carries int32 values)
    parameter N           = 8,
    parameter M           = 4,
    parameter FRAC_W      = 0,
    parameter IB_DEPTH    = 8,
    parameter FU_ROWS     = 4,
    parameter CACHE_DEPTH = 8,
    parameter TB_DEPTH    = 64,
    parameter MAX_CHAINS  = 8,
    parameter VSRU_FIRST  = 0,
    // tap
    parameter TAP_DEPTH   = 1024
) (
    input  wire        clk,
    input  wire        rst_n,
    input  wire        psel,
    input  wire        penable,
    input  wire        pwrite,
    input  wire [23:0] paddr,
    input  wire [31:0] pwdata,
    output wire [31:0] prdata,
    output wire        pready,
    output wire        pslverr,
    output wire        busy,      // accelerator running
    output wire        done,      // accelerator finished its descriptor list
    output wire        idle       // accelerator not busy, tap FIFO empty, LeBug idle
);
    localparam LANE_W    = 32;
    localparam SYS_AW    = 23;
    localparam LB_AW     = 20;
    localparam ROW_W     = K * LANE_W + 2;
    localparam [31:0] TOP_ID   = 32'h544F0001;
    localparam [3:0]  WIN_LB   = 4'h8;
    localparam [3:0]  WIN_TOP  = 4'h9;
    localparam [7:0]  R_ID      = 8'h00;
    localparam [7:0]  R_PARAMS  = 8'h04;
    localparam [7:0]  R_CTRL    = 8'h08;
    localparam [7:0]  R_ROWS    = 8'h0C;
    localparam [7:0]  R_DROPS   = 8'h10;
    localparam [7:0]  R_VECTORS = 8'h14;
    localparam [7:0]  R_MAXFILL = 8'h18;
    localparam [31:0] K32 = K;
    localparam [31:0] N32 = N;
    localparam [31:0] TAP32 = TAP_DEPTH;

    // ------------------------------------------------------------------
    // address decode
    wire sel_sys = (paddr[23] == 1'b0);
    wire sel_lb  = (paddr[23:20] == WIN_LB);
    wire sel_top = (paddr[23:20] == WIN_TOP);
    wire top_in  = sel_top && (paddr[19:8] == 12'd0) && (paddr[1:0] == 2'b00);

    wire [31:0] sys_prdata, lb_prdata;
    wire        sys_pready, lb_pready, sys_pslverr, lb_pslverr;

    // ------------------------------------------------------------------
    // systolic block
    wire            st_valid;
    wire [1:0]      st_eof;
    wire [K*32-1:0] st_data;

    systolic #(
        .K(K), .ACT_DEPTH(ACT_DEPTH), .WGT_DEPTH(WGT_DEPTH), .BQ_DEPTH(BQ_DEPTH), .OUT_DEPTH(OUT_DEPTH),
        .ACC_DEPTH(ACC_DEPTH), .CMD_DEPTH(CMD_DEPTH), .APB_ADDR_W(SYS_AW)
    ) u_sys (
        .clk(clk), .rst_n(rst_n),
        .psel(psel & sel_sys), .penable(penable), .pwrite(pwrite), .paddr(paddr[SYS_AW-1:0]),
        .pwdata(pwdata), .prdata(sys_prdata), .pready(sys_pready), .pslverr(sys_pslverr),
        .out_valid(st_valid), .out_eof(st_eof), .out_data(st_data),
        .busy(busy), .done(done)
    );

    // ------------------------------------------------------------------
    // top registers
    reg  [31:0] tap_rows, tap_drops, tap_vectors, tap_maxfill;
    wire        top_wr    = psel & penable & pwrite & top_in;
    wire        tap_clear = top_wr && (paddr[7:0] == R_CTRL) && pwdata[0];

    // ------------------------------------------------------------------
    // tap: FIFO + adapter
    wire            fifo_empty, fifo_full, fifo_pop;
    wire [31:0]     fifo_count;
    wire [ROW_W-1:0] fifo_head;
    wire            lb_ready, lb_valid, lb_idle;
    wire [1:0]      lb_eof;
    wire [N*32-1:0] lb_data;

    tap_fifo #(.W(ROW_W), .DEPTH(TAP_DEPTH)) u_tap_fifo (
        .clk(clk), .rst_n(rst_n), .clear(tap_clear),
        .push(st_valid), .din({st_eof, st_data}), .pop(fifo_pop),
        .dout(fifo_head), .empty(fifo_empty), .full(fifo_full), .count(fifo_count)
    );

    tap_adapter #(.K(K), .N(N)) u_tap_adapter (
        .clk(clk), .rst_n(rst_n), .clear(tap_clear),
        .row_valid(~fifo_empty), .row(fifo_head), .row_pop(fifo_pop),
        .vec_ready(lb_ready), .vec_valid(lb_valid), .vec_eof(lb_eof), .vec_data(lb_data)
    );

    always @(posedge clk) begin
        if (!rst_n || tap_clear) begin
            tap_rows    <= 32'd0;
            tap_drops   <= 32'd0;
            tap_vectors <= 32'd0;
            tap_maxfill <= 32'd0;
        end else begin
            if (st_valid && !fifo_full) tap_rows  <= tap_rows + 32'd1;
            if (st_valid && fifo_full)  tap_drops <= tap_drops + 32'd1;
            if (lb_valid) tap_vectors <= tap_vectors + 32'd1;
            if (fifo_count > tap_maxfill) tap_maxfill <= fifo_count;
        end
    end

    // ------------------------------------------------------------------
    // LeBug
    lebug #(
        .N(N), .M(M), .DATA_W(LANE_W), .FRAC_W(FRAC_W), .IB_DEPTH(IB_DEPTH), .FU_ROWS(FU_ROWS),
        .CACHE_DEPTH(CACHE_DEPTH), .TB_DEPTH(TB_DEPTH), .MAX_CHAINS(MAX_CHAINS), .VSRU_FIRST(VSRU_FIRST),
        .APB_ADDR_W(LB_AW)
    ) u_lebug (
        .clk(clk), .rst_n(rst_n),
        .in_valid(lb_valid), .in_ready(lb_ready), .in_eof(lb_eof), .in_data(lb_data),
        .psel(psel & sel_lb), .penable(penable), .pwrite(pwrite), .paddr(paddr[LB_AW-1:0]),
        .pwdata(pwdata), .prdata(lb_prdata), .pready(lb_pready), .pslverr(lb_pslverr),
        .idle(lb_idle)
    );

    assign idle = ~busy & fifo_empty & lb_idle;

    // ------------------------------------------------------------------
    // top register reads (registered in the setup phase, like the blocks)
    reg [31:0] top_rd;
    always @(posedge clk) begin
        if (!rst_n) begin
            top_rd <= 32'd0;
        end else if (psel && !penable) begin
            case (paddr[7:0])
                R_ID:      top_rd <= TOP_ID;
                R_PARAMS:  top_rd <= {TAP32[15:0], N32[7:0], K32[7:0]};
                R_ROWS:    top_rd <= tap_rows;
                R_DROPS:   top_rd <= tap_drops;
                R_VECTORS: top_rd <= tap_vectors;
                R_MAXFILL: top_rd <= tap_maxfill;
                default:   top_rd <= 32'd0;
            endcase
        end
    end
    wire top_ok = top_in && ((paddr[7:0] == R_CTRL) ? pwrite :
                             (!pwrite && (paddr[7:0] <= R_MAXFILL) && (paddr[7:0] != R_CTRL)));

    assign prdata  = sel_sys ? sys_prdata : sel_lb ? lb_prdata : (top_ok ? top_rd : 32'd0);
    assign pready  = sel_sys ? sys_pready : sel_lb ? lb_pready : 1'b1;
    assign pslverr = sel_sys ? sys_pslverr : sel_lb ? lb_pslverr : (psel & penable & ~top_ok);
endmodule
`default_nettype wire
