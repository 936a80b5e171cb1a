// accelscope top level: the systolic GEMM block and the LeBug instrumentation
// behind one APB3 slave port; LeBug taps the accelerator's output row stream
// through a FIFO and a lane adapter (docs/top.md).
// The windows (systolic, LeBug, top registers) are rtl/top/accel_top.rdl's
// (docs/regs/accel_top.md); anything else answers PSLVERR and changes nothing.
// Assertions (docs/verification.md, "Assertions"; proved by tb/top/formal/accel_top_tap.sby
// with the two blocks as free stubs): the tap's books balance (every stream row stored in the
// FIFO or counted in TAP_DROPS, every stored row in the FIFO or popped by the adapter, which
// hands LeBug its vectors (tap_adapter.v) only when LeBug takes them) and TAP_MAXFILL is the
// FIFO's high-water mark.
`include "assert.vh"
`default_nettype none
module accel_top #(
    // systolic (docs/systolic.md)
    parameter K           = 8,        // array size
    parameter ACT_DEPTH   = 16384,    // activation scratchpad words
    parameter WGT_DEPTH   = 16384,    // weight scratchpad words
    parameter BQ_DEPTH    = 256,      // bias / quant scratchpad words
    parameter OUT_DEPTH   = 16384,    // output scratchpad words
    parameter ACC_DEPTH   = 1024,     // accumulator words
    parameter CMD_DEPTH   = 64,       // command memory descriptors
    parameter WIN_ROWS    = 16,       // CONV window rows
    parameter WIN_BYTES   = 128,      // CONV window bytes per row
    // LeBug (docs/lebug.md)
    parameter N           = 8,        // lanes
    parameter M           = 4,        // filter bins per pass
    parameter DATA_W      = 32,       // lane width: 32 sees the int32 stream as is; below 32 the tap
                                      // saturates every lane to DATA_W bits (docs/top.md, "Tap")
    parameter FRAC_W      = 0,        // fraction bits (0: integer)
    parameter IB_DEPTH    = 8,        // input buffer depth (vectors)
    parameter FU_ROWS     = 4,        // filter threshold rows
    parameter CACHE_DEPTH = 8,        // VVALU cache depth (vectors)
    parameter TB_DEPTH    = 64,       // trace buffer depth (rows of N)
    parameter MAX_CHAINS  = 8,        // firmware chains
    parameter VSRU_FIRST  = 0,        // 1 puts the VSRU before the VVALU
    // tap
    parameter TAP_DEPTH   = 1024      // tap FIFO depth (rows)
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
`include "accel_top_regs.vh"
    localparam LANE_W    = DATA_W;                          // tap FIFO and LeBug lane width
    localparam SYS_AW    = $clog2(ACCEL_TOP_SYS_SIZE);      // the blocks' APB address widths
    localparam LB_AW     = $clog2(ACCEL_TOP_LEBUG_SIZE);
    localparam ROW_W     = K * LANE_W + 2;
    localparam [31:0] K_U32 = K;
    localparam [31:0] N_U32 = N;
    localparam [31:0] TAP_DEPTH_U32 = TAP_DEPTH;
    localparam [31:0] PARAMS_VAL = (K_U32 << ACCEL_TOP_PARAMS_K_LSB) | (N_U32 << ACCEL_TOP_PARAMS_N_LSB) |
                                   (TAP_DEPTH_U32 << ACCEL_TOP_PARAMS_TAP_DEPTH_LSB);

    // ------------------------------------------------------------------
    // address decode: the windows, and the top registers through the shared front end
    wire [31:0] addr;     // PADDR, 32 bits (from the front end)
    // a window is a power of 2 aligned on its size (tb/regs.py checks): compare the bits above it
    wire sel_sys = ((addr ^ ACCEL_TOP_SYS_BASE)   & ~(ACCEL_TOP_SYS_SIZE - 1))   == 32'd0;
    wire sel_lb  = ((addr ^ ACCEL_TOP_LEBUG_BASE) & ~(ACCEL_TOP_LEBUG_SIZE - 1)) == 32'd0;
    wire sel_own = ~sel_sys & ~sel_lb;            // the top registers and everything unmapped
    wire aligned = (addr[1:0] == 2'b00);
    wire reg_id      = aligned && (addr == ACCEL_TOP_ID_ADDR);
    wire reg_params  = aligned && (addr == ACCEL_TOP_PARAMS_ADDR);
    wire reg_ctrl    = aligned && (addr == ACCEL_TOP_CTRL_ADDR);
    wire reg_rows    = aligned && (addr == ACCEL_TOP_TAP_ROWS_ADDR);
    wire reg_drops   = aligned && (addr == ACCEL_TOP_TAP_DROPS_ADDR);
    wire reg_vectors = aligned && (addr == ACCEL_TOP_TAP_VECTORS_ADDR);
    wire reg_maxfill = aligned && (addr == ACCEL_TOP_TAP_MAXFILL_ADDR);
    wire reg_ro  = reg_id | reg_params | reg_rows | reg_drops | reg_vectors | reg_maxfill;
    // CTRL is write-only, every other register read-only
    wire top_ok  = pwrite ? reg_ctrl : reg_ro;

    wire [31:0] top_prdata, top_rd_val;
    wire        top_pready, top_pslverr, top_wr;
    /* verilator lint_off UNUSEDSIGNAL */
    wire        top_setup, top_access;    // writes use top_wr, reads the front end's rd_q
    /* verilator lint_on UNUSEDSIGNAL */
    apb_frontend #(.ADDR_W(24)) u_apb (
        .clk(clk), .rst_n(rst_n), .psel(psel & sel_own), .penable(penable), .pwrite(pwrite), .paddr(paddr),
        .addr(addr), .setup(top_setup), .access(top_access), .err(~top_ok), .hold(1'b0), .wr(top_wr),
        .rd_val(top_rd_val), .rd_q(top_prdata), .pready(top_pready), .pslverr(top_pslverr)
    );

    wire [31:0] sys_prdata, lb_prdata;
    wire        sys_pready, lb_pready, sys_pslverr, lb_pslverr;

    // ------------------------------------------------------------------
    // systolic block
    wire            st_valid;
    wire [1:0]      st_eof;
    wire [K*32-1:0] st_data;

    systolic #(
        .K(K), .ACT_DEPTH(ACT_DEPTH), .WGT_DEPTH(WGT_DEPTH), .BQ_DEPTH(BQ_DEPTH), .OUT_DEPTH(OUT_DEPTH),
        .ACC_DEPTH(ACC_DEPTH), .CMD_DEPTH(CMD_DEPTH), .WIN_ROWS(WIN_ROWS), .WIN_BYTES(WIN_BYTES),
        .APB_ADDR_W(SYS_AW)
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
    wire        tap_clear = top_wr && reg_ctrl && pwdata[ACCEL_TOP_CTRL_CLEAR_LSB];

    // ------------------------------------------------------------------
    // tap: saturation to LANE_W bits, FIFO, adapter
    wire                fifo_empty, fifo_full, fifo_pop;
    wire [31:0]         fifo_count;
    wire [ROW_W-1:0]    fifo_head;
    wire                lb_ready, lb_valid, lb_idle;
    wire [1:0]          lb_eof;
    wire [N*LANE_W-1:0] lb_data;
    wire [K*LANE_W-1:0] tap_data;     // the row's lanes, each saturated to LANE_W bits

    genvar gl;
    generate
        for (gl = 0; gl < K; gl = gl + 1) begin : g_tap_lane
            wire [31:0] x = st_data[gl*32 +: 32];
            if (LANE_W < 32) begin : g_sat
                // in range when the bits above the lane's sign bit all equal it
                wire fits = (x[31:LANE_W-1] == {(33 - LANE_W){1'b0}}) ||
                            (x[31:LANE_W-1] == {(33 - LANE_W){1'b1}});
                assign tap_data[gl*LANE_W +: LANE_W] = fits  ? x[LANE_W-1:0] :
                                                       x[31] ? {1'b1, {(LANE_W - 1){1'b0}}}
                                                             : {1'b0, {(LANE_W - 1){1'b1}}};
            end else begin : g_pass
                assign tap_data[gl*LANE_W +: LANE_W] = x;
            end
        end
    endgenerate

    tap_fifo #(.W(ROW_W), .DEPTH(TAP_DEPTH)) u_tap_fifo (
        .clk(clk), .rst_n(rst_n), .clear(tap_clear),
        .push(st_valid), .din({st_eof, tap_data}), .pop(fifo_pop),
        .dout(fifo_head), .empty(fifo_empty), .full(fifo_full), .count(fifo_count)
    );

    tap_adapter #(.K(K), .N(N), .DATA_W(LANE_W)) u_tap_adapter (
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
    // top register reads (taken in the setup phase by the front end, like the blocks)
    reg [31:0] top_rd_mux;
    always @* begin
        top_rd_mux = 32'd0;
        if (reg_id)      top_rd_mux = ACCEL_TOP_ID_RESET;
        if (reg_params)  top_rd_mux = PARAMS_VAL;
        if (reg_rows)    top_rd_mux = tap_rows;
        if (reg_drops)   top_rd_mux = tap_drops;
        if (reg_vectors) top_rd_mux = tap_vectors;
        if (reg_maxfill) top_rd_mux = tap_maxfill;
    end
    assign top_rd_val = top_rd_mux;

    // the window of the transfer, held from its setup phase (PRDATA never follows an idle PADDR)
    reg [1:0] rd_win;    // 0 top, 1 systolic, 2 LeBug
    always @(posedge clk) begin
        if (!rst_n)                rd_win <= 2'd0;
        else if (psel && !penable) rd_win <= sel_sys ? 2'd1 : sel_lb ? 2'd2 : 2'd0;
    end
    assign prdata  = (rd_win == 2'd1) ? sys_prdata : (rd_win == 2'd2) ? lb_prdata : top_prdata;
    // PREADY and PSLVERR follow PADDR, which the master holds through a transfer's access
    // phase, wait states included: a held systolic transfer (ACT/OUT while busy) keeps
    // sel_sys and rd_win (no new setup phase) until its PREADY
    assign pready  = sel_sys ? sys_pready  : sel_lb ? lb_pready  : top_pready;
    assign pslverr = sel_sys ? sys_pslverr : sel_lb ? lb_pslverr : top_pslverr;

    // ------------------------------------------------------------------
    // assertions
`ifdef ASSERT_ON
    // since reset/CTRL.CLEAR: stream rows offered to the tap, rows popped from the FIFO
    reg [31:0] sh_offered, sh_popped, sh_count;
    reg        sh_run;
    always @(posedge clk) begin
        sh_run   <= rst_n && !tap_clear;
        sh_count <= fifo_count;
        if (!rst_n || tap_clear) begin
            sh_offered <= 32'd0;
            sh_popped  <= 32'd0;
        end else begin
            if (st_valid) sh_offered <= sh_offered + 32'd1;
            if (fifo_pop) sh_popped  <= sh_popped + 32'd1;
        end
    end
`endif
    // the accelerator cannot be stalled: each stream row is stored or dropped and counted
    `ASSERT(TapRowStoredOrDropped_A, clk, rst_n, tap_rows + tap_drops == sh_offered)
    // nothing stored is lost: each stored row is in the FIFO or was popped
    `ASSERT(TapStoredNotLost_A, clk, rst_n, tap_rows == fifo_count + sh_popped)
    // LeBug takes every tap vector (it never drops one of them)
    `ASSERT(TapVectorAccepted_A, clk, rst_n, !lb_valid || lb_ready)
    `ASSERT(TapMaxfillInRange_A, clk, rst_n, tap_maxfill <= TAP_DEPTH_U32 && fifo_count <= TAP_DEPTH_U32)
    `ASSERT(TapMaxfillIsHighWater_A, clk, rst_n, !sh_run || tap_maxfill >= sh_count)
endmodule
`default_nettype wire
