// LeBug debug-instrumentation block (see docs/lebug.md).
// Top level: APB3 slave, control/status registers, chain memory, threshold
// registers, clear FSM, and the unit pipeline
//   input buffer -> sequencer -> FRU -> VVALU -> VSRU -> DP -> trace buffer
// (VSRU_FIRST=1: FRU -> VSRU -> VVALU -> DP). A chain issued in cycle k writes
// its trace row at the end of cycle k+4.
`default_nettype none
module lebug #(
    parameter N           = 8,
    parameter M           = 4,
    parameter DATA_W      = 32,
    parameter FRAC_W      = 0,
    parameter IB_DEPTH    = 8,
    parameter FU_ROWS     = 4,
    parameter CACHE_DEPTH = 8,
    parameter TB_DEPTH    = 64,
    parameter MAX_CHAINS  = 8,
    parameter VSRU_FIRST  = 0,
    parameter APB_ADDR_W  = 20
) (
    input  wire                  clk,
    input  wire                  rst_n,
    // input tap
    input  wire                  in_valid,
    output wire                  in_ready,
    input  wire [1:0]            in_eof,
    input  wire [N*DATA_W-1:0]   in_data,
    // APB3 slave
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
    // ------------------------------------------------------------------
    // derived sizes
    localparam VW     = N * DATA_W;
    localparam NTHR   = FU_ROWS * M + 1;
    localparam CA_W   = (CACHE_DEPTH > 1) ? $clog2(CACHE_DEPTH) : 1;
    localparam TB_AW  = (TB_DEPTH > 1) ? $clog2(TB_DEPTH) : 1;
    localparam CH_AW  = (MAX_CHAINS > 1) ? $clog2(MAX_CHAINS) : 1;
    localparam NC_W   = CH_AW + 1;
    localparam TH_AW  = $clog2(NTHR);
    localparam LOG2N  = $clog2(N);
    localparam FILL_W = LOG2N;

    // firmware word fields (docs/lebug.md "Firmware encoding")
    localparam FW_W          = 64;
    localparam F_FILT_EN     = 0;
    localparam F_FILT_ROW    = 1;    // 8 bits
    localparam F_MRED        = 9;    // 2 bits
    localparam F_VSRU_EN     = 11;
    localparam F_MC_LOAD     = 12;
    localparam F_ALU_OP      = 13;   // 3 bits
    localparam F_ALU_ADDR    = 16;   // 8 bits
    localparam F_ALU_C1      = 24;   // 3 bits
    localparam F_ALU_C2      = 27;   // 3 bits
    localparam F_CACHE_EN    = 30;
    localparam F_CACHE_ADDR  = 31;   // 8 bits
    localparam F_CACHE_C1    = 39;   // 3 bits
    localparam F_CACHE_C2    = 42;   // 3 bits
    localparam F_MC_SAVE     = 45;
    localparam F_COMMIT_EN   = 46;
    localparam F_COMMIT_SIZE = 47;   // 2 bits
    localparam F_COMMIT_C1   = 49;   // 3 bits
    localparam F_COMMIT_C2   = 52;   // 3 bits
    localparam F_USED_W      = 55;   // bits 63:55 reserved

    // control bundles passed down the pipeline after the FRU
    //   ALU bundle    = firmware bits [45:12] (mc_load .. mc_save)
    //   commit bundle = firmware bits [54:46] (commit_en .. commit_c2)
    localparam ALU_GW    = F_COMMIT_EN - F_MC_LOAD;     // 34
    localparam COMMIT_GW = F_USED_W - F_COMMIT_EN;      // 9
    localparam FRU_PW    = COMMIT_GW + 1 + ALU_GW;      // {commit, vsru_en, alu}
    // offsets inside an ALU bundle
    localparam A_MC_LOAD    = F_MC_LOAD    - F_MC_LOAD;
    localparam A_ALU_OP     = F_ALU_OP     - F_MC_LOAD;
    localparam A_ALU_ADDR   = F_ALU_ADDR   - F_MC_LOAD;
    localparam A_ALU_C1     = F_ALU_C1     - F_MC_LOAD;
    localparam A_ALU_C2     = F_ALU_C2     - F_MC_LOAD;
    localparam A_CACHE_EN   = F_CACHE_EN   - F_MC_LOAD;
    localparam A_CACHE_ADDR = F_CACHE_ADDR - F_MC_LOAD;
    localparam A_CACHE_C1   = F_CACHE_C1   - F_MC_LOAD;
    localparam A_CACHE_C2   = F_CACHE_C2   - F_MC_LOAD;
    localparam A_MC_SAVE    = F_MC_SAVE    - F_MC_LOAD;
    // offsets inside a commit bundle
    localparam K_EN   = F_COMMIT_EN   - F_COMMIT_EN;
    localparam K_SIZE = F_COMMIT_SIZE - F_COMMIT_EN;
    localparam K_C1   = F_COMMIT_C1   - F_COMMIT_EN;
    localparam K_C2   = F_COMMIT_C2   - F_COMMIT_EN;

    // APB register map
    localparam [31:0] A_ID         = 32'h00000;
    localparam [31:0] A_PARAMS     = 32'h00004;
    localparam [31:0] A_CTRL       = 32'h00008;
    localparam [31:0] A_NUM_CHAINS = 32'h0000C;
    localparam [31:0] A_STATUS     = 32'h00010;
    localparam [31:0] A_ROWS       = 32'h00014;
    localparam [31:0] A_DROPS      = 32'h00018;
    localparam [31:0] A_CYCLES     = 32'h0001C;
    localparam [31:0] A_VECTORS    = 32'h00020;
    localparam [31:0] A_PARAMS2    = 32'h00024;
    localparam [31:0] CHAIN_BASE   = 32'h01000;
    localparam [31:0] CHAIN_END    = CHAIN_BASE + 8 * MAX_CHAINS;
    localparam [31:0] THR_BASE     = 32'h02000;
    localparam [31:0] THR_END      = THR_BASE + 4 * NTHR;
    localparam [31:0] TRACE_BASE   = 32'h10000;
    localparam [31:0] TRACE_END    = TRACE_BASE + 4 * N * TB_DEPTH;
    localparam CHAIN_HI_BIT  = 2;    // CHAIN[c].hi at +4
    localparam CHAIN_IDX_LSB = 3;    // 8 bytes per chain
    localparam WORD_LSB      = 2;    // 4 bytes per register

    localparam [31:0] ID_VAL      = 32'h4C420001;
    localparam [31:0] PARAMS_VAL  = (VSRU_FIRST << 28) | (FRAC_W << 22) | (DATA_W << 16) |
                                    (M << 8) | N;
    localparam [31:0] PARAMS2_VAL = ((MAX_CHAINS - 1) << 24) | ((CACHE_DEPTH - 1) << 16) |
                                    TB_DEPTH;
    localparam CTRL_ENABLE = 0;
    localparam CTRL_CLEAR  = 1;

    localparam [NC_W-1:0] NC_ZERO = 0;
    localparam [31:0]     MAX_CHAINS32 = MAX_CHAINS;
    localparam [CA_W-1:0] CA_ZERO = 0;
    localparam [CA_W-1:0] CA_ONE  = 1;
    localparam [31:0]     CA_LAST32 = CACHE_DEPTH - 1;
    localparam [CA_W-1:0] CA_LAST = CA_LAST32[CA_W-1:0];

    genvar g;

    // ------------------------------------------------------------------
    // APB decode
    wire [31:0] a;    // paddr zero-extended to 32 bits
    generate
        if (APB_ADDR_W < 32) begin : g_addr_ext
            assign a = {{(32 - APB_ADDR_W){1'b0}}, paddr};
        end else begin : g_addr
            assign a = paddr;
        end
    endgenerate
    wire aligned   = (a[1:0] == 2'b00);
    wire hit_id    = aligned && (a == A_ID);
    wire hit_par   = aligned && (a == A_PARAMS);
    wire hit_ctrl  = aligned && (a == A_CTRL);
    wire hit_nc    = aligned && (a == A_NUM_CHAINS);
    wire hit_stat  = aligned && (a == A_STATUS);
    wire hit_rows  = aligned && (a == A_ROWS);
    wire hit_drops = aligned && (a == A_DROPS);
    wire hit_cyc   = aligned && (a == A_CYCLES);
    wire hit_vec   = aligned && (a == A_VECTORS);
    wire hit_par2  = aligned && (a == A_PARAMS2);
    wire hit_chain = aligned && (a >= CHAIN_BASE) && (a < CHAIN_END);
    wire hit_thr   = aligned && (a >= THR_BASE)   && (a < THR_END);
    wire hit_trace = aligned && (a >= TRACE_BASE) && (a < TRACE_END);
    wire hit_ro    = hit_id | hit_par | hit_stat | hit_rows | hit_drops | hit_cyc |
                     hit_vec | hit_par2 | hit_trace;
    wire hit_rw    = hit_ctrl | hit_nc | hit_chain | hit_thr;
    wire nc_bad    = (pwdata == 32'd0) || (pwdata > MAX_CHAINS32);
    wire apb_err   = !(hit_ro || hit_rw) || (pwrite && hit_ro) || (pwrite && hit_nc && nc_bad);

    wire apb_setup  = psel & ~penable;
    wire apb_access = psel & penable;
    wire apb_wr     = apb_access & pwrite & ~apb_err;

    wire [CH_AW-1:0] ap_chain = a[CHAIN_IDX_LSB +: CH_AW];
    wire             ap_hi    = a[CHAIN_HI_BIT];
    wire [TH_AW-1:0] ap_thr   = a[WORD_LSB +: TH_AW];
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0]      tr_off   = a - TRACE_BASE;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [LOG2N-1:0] ap_lane  = tr_off[WORD_LSB +: LOG2N];
    wire [TB_AW-1:0] ap_row   = tr_off[WORD_LSB + LOG2N +: TB_AW];

    assign pready  = 1'b1;
    assign pslverr = apb_access & apb_err;

    // ------------------------------------------------------------------
    // control registers, clear FSM
    reg            enable;
    reg [NC_W-1:0] num_chains;
    reg            clearing;
    reg [CA_W-1:0] clr_addr;
    wire           clr_start = apb_wr & hit_ctrl & pwdata[CTRL_CLEAR];

    always @(posedge clk) begin
        if (!rst_n) begin
            enable     <= 1'b0;
            num_chains <= NC_ZERO;
        end else if (apb_wr) begin
            if (hit_ctrl) enable     <= pwdata[CTRL_ENABLE];
            if (hit_nc)   num_chains <= pwdata[NC_W-1:0];
        end
    end

    always @(posedge clk) begin
        if (!rst_n || clr_start) begin
            clearing <= 1'b1;
            clr_addr <= CA_ZERO;
        end else if (clearing) begin
            if (clr_addr == CA_LAST) clearing <= 1'b0;
            clr_addr <= clr_addr + CA_ONE;
        end
    end

    // chain memory (register file, zeroed by reset only)
    wire [FW_W-1:0] chain_mem [0:MAX_CHAINS-1];
    generate
        for (g = 0; g < MAX_CHAINS; g = g + 1) begin : g_chain
            localparam [31:0]      C32 = g;
            localparam [CH_AW-1:0] CI  = C32[CH_AW-1:0];
            reg [FW_W/2-1:0] lo, hi;
            always @(posedge clk) begin
                if (!rst_n) begin
                    lo <= {(FW_W/2){1'b0}};
                    hi <= {(FW_W/2){1'b0}};
                end else if (apb_wr && hit_chain && ap_chain == CI) begin
                    if (ap_hi) hi <= pwdata;
                    else       lo <= pwdata;
                end
            end
            assign chain_mem[g] = {hi, lo};
        end
    endgenerate

    // threshold memory (register file, zeroed by reset only)
    wire [DATA_W-1:0]      thr [0:NTHR-1];
    wire [NTHR*DATA_W-1:0] thr_flat;
    generate
        for (g = 0; g < NTHR; g = g + 1) begin : g_thr
            localparam [31:0]      T32 = g;
            localparam [TH_AW-1:0] TI  = T32[TH_AW-1:0];
            reg [DATA_W-1:0] q;
            always @(posedge clk) begin
                if (!rst_n)                            q <= {DATA_W{1'b0}};
                else if (apb_wr && hit_thr && ap_thr == TI) q <= pwdata[DATA_W-1:0];
            end
            assign thr[g] = q;
            assign thr_flat[g*DATA_W +: DATA_W] = q;
        end
    endgenerate

    // ------------------------------------------------------------------
    // input buffer
    wire          ib_empty, ib_full, ib_pop;
    wire [VW+1:0] ib_head;
    wire          ib_push = in_valid & in_ready;
    assign in_ready = enable & ~clearing & ~ib_full;

    lebug_input_buffer #(.W(VW + 2), .DEPTH(IB_DEPTH)) u_ib (
        .clk(clk), .rst_n(rst_n), .flush(clr_start),
        .push(ib_push), .din({in_eof, in_data}),
        .pop(ib_pop), .dout(ib_head),
        .empty(ib_empty), .full(ib_full)
    );

    // sequencer
    wire             sq_valid;
    wire [CH_AW-1:0] sq_idx;
    wire [VW-1:0]    sq_vec;
    wire [3:0]       sq_flags;

    lebug_chain_seq #(.VW(VW), .CH_AW(CH_AW), .NC_W(NC_W)) u_seq (
        .clk(clk), .rst_n(rst_n), .flush(clr_start),
        .num_chains(num_chains),
        .buf_empty(ib_empty), .buf_data(ib_head[VW-1:0]), .buf_eof(ib_head[VW+1:VW]),
        .pop(ib_pop),
        .valid(sq_valid), .chain_idx(sq_idx), .vec(sq_vec), .flags(sq_flags)
    );

    // firmware word of the issued chain (reserved bits ignored)
    /* verilator lint_off UNUSEDSIGNAL */
    wire [FW_W-1:0] cw = chain_mem[sq_idx];
    /* verilator lint_on UNUSEDSIGNAL */
    wire                 cw_filt_en  = cw[F_FILT_EN];
    wire [7:0]           cw_filt_row = cw[F_FILT_ROW +: 8];
    wire [1:0]           cw_mred     = cw[F_MRED +: 2];
    wire                 cw_vsru_en  = cw[F_VSRU_EN];
    wire [ALU_GW-1:0]    cw_alu      = cw[F_MC_LOAD +: ALU_GW];
    wire [COMMIT_GW-1:0] cw_commit   = cw[F_COMMIT_EN +: COMMIT_GW];

    // ------------------------------------------------------------------
    // FRU
    wire              s1_valid;
    wire [VW-1:0]     s1_data;
    wire [3:0]        s1_flags;
    wire [FRU_PW-1:0] s1_pass;

    lebug_fru #(.N(N), .M(M), .DATA_W(DATA_W), .FRAC_W(FRAC_W), .FU_ROWS(FU_ROWS),
                .PASS_W(FRU_PW)) u_fru (
        .clk(clk), .rst_n(rst_n), .flush(clr_start),
        .thr_flat(thr_flat),
        .in_valid(sq_valid), .in_data(sq_vec), .in_flags(sq_flags),
        .filt_en(cw_filt_en), .filt_row(cw_filt_row), .mred(cw_mred),
        .in_pass({cw_commit, cw_vsru_en, cw_alu}),
        .out_valid(s1_valid), .out_data(s1_data), .out_flags(s1_flags), .out_pass(s1_pass)
    );

    wire [ALU_GW-1:0]    s1_alu    = s1_pass[0 +: ALU_GW];
    wire                 s1_vsru   = s1_pass[ALU_GW];
    wire [COMMIT_GW-1:0] s1_commit = s1_pass[ALU_GW + 1 +: COMMIT_GW];

    // ------------------------------------------------------------------
    // VVALU and VSRU, in either order
    wire                 s3_valid;
    wire [VW-1:0]        s3_data;
    wire [3:0]           s3_flags;
    wire [COMMIT_GW-1:0] s3_commit;

    wire                 s2_valid_any;   // stage 2 (VVALU or VSRU) occupied
    wire                 vv_clr_en = clearing;
    generate
        if (VSRU_FIRST == 0) begin : g_alu_first
            localparam PW2 = COMMIT_GW + 1;
            wire           s2_valid;
            wire [VW-1:0]  s2_data;
            wire [3:0]     s2_flags;
            wire [PW2-1:0] s2_pass;
            assign s2_valid_any = s2_valid;

            lebug_vvalu #(.N(N), .DATA_W(DATA_W), .FRAC_W(FRAC_W), .CACHE_DEPTH(CACHE_DEPTH),
                          .PASS_W(PW2), .CA_W(CA_W)) u_vvalu (
                .clk(clk), .rst_n(rst_n), .flush(clr_start),
                .clr_en(vv_clr_en), .clr_addr(clr_addr),
                .in_valid(s1_valid), .in_data(s1_data), .in_flags(s1_flags),
                .mc_load(s1_alu[A_MC_LOAD]), .alu_op(s1_alu[A_ALU_OP +: 3]),
                .alu_addr(s1_alu[A_ALU_ADDR +: 8]),
                .alu_c1(s1_alu[A_ALU_C1 +: 3]), .alu_c2(s1_alu[A_ALU_C2 +: 3]),
                .cache_en(s1_alu[A_CACHE_EN]), .cache_addr(s1_alu[A_CACHE_ADDR +: 8]),
                .cache_c1(s1_alu[A_CACHE_C1 +: 3]), .cache_c2(s1_alu[A_CACHE_C2 +: 3]),
                .mc_save(s1_alu[A_MC_SAVE]),
                .in_pass({s1_commit, s1_vsru}),
                .out_valid(s2_valid), .out_data(s2_data), .out_flags(s2_flags),
                .out_pass(s2_pass)
            );

            lebug_vsru #(.N(N), .DATA_W(DATA_W), .PASS_W(COMMIT_GW)) u_vsru (
                .clk(clk), .rst_n(rst_n), .flush(clr_start),
                .in_valid(s2_valid), .in_data(s2_data), .in_flags(s2_flags),
                .vsru_en(s2_pass[0]), .in_pass(s2_pass[PW2-1:1]),
                .out_valid(s3_valid), .out_data(s3_data), .out_flags(s3_flags),
                .out_pass(s3_commit)
            );
        end else begin : g_vsru_first
            localparam PW2 = COMMIT_GW + ALU_GW;
            wire           s2_valid;
            wire [VW-1:0]  s2_data;
            wire [3:0]     s2_flags;
            wire [PW2-1:0] s2_pass;
            wire [ALU_GW-1:0] s2_alu = s2_pass[0 +: ALU_GW];
            assign s2_valid_any = s2_valid;

            lebug_vsru #(.N(N), .DATA_W(DATA_W), .PASS_W(PW2)) u_vsru (
                .clk(clk), .rst_n(rst_n), .flush(clr_start),
                .in_valid(s1_valid), .in_data(s1_data), .in_flags(s1_flags),
                .vsru_en(s1_vsru), .in_pass({s1_commit, s1_alu}),
                .out_valid(s2_valid), .out_data(s2_data), .out_flags(s2_flags),
                .out_pass(s2_pass)
            );

            lebug_vvalu #(.N(N), .DATA_W(DATA_W), .FRAC_W(FRAC_W), .CACHE_DEPTH(CACHE_DEPTH),
                          .PASS_W(COMMIT_GW), .CA_W(CA_W)) u_vvalu (
                .clk(clk), .rst_n(rst_n), .flush(clr_start),
                .clr_en(vv_clr_en), .clr_addr(clr_addr),
                .in_valid(s2_valid), .in_data(s2_data), .in_flags(s2_flags),
                .mc_load(s2_alu[A_MC_LOAD]), .alu_op(s2_alu[A_ALU_OP +: 3]),
                .alu_addr(s2_alu[A_ALU_ADDR +: 8]),
                .alu_c1(s2_alu[A_ALU_C1 +: 3]), .alu_c2(s2_alu[A_ALU_C2 +: 3]),
                .cache_en(s2_alu[A_CACHE_EN]), .cache_addr(s2_alu[A_CACHE_ADDR +: 8]),
                .cache_c1(s2_alu[A_CACHE_C1 +: 3]), .cache_c2(s2_alu[A_CACHE_C2 +: 3]),
                .mc_save(s2_alu[A_MC_SAVE]),
                .in_pass(s2_pass[PW2-1:ALU_GW]),
                .out_valid(s3_valid), .out_data(s3_data), .out_flags(s3_flags),
                .out_pass(s3_commit)
            );
        end
    endgenerate

    // ------------------------------------------------------------------
    // data packer
    wire              dp_valid, dp_row_valid;
    wire [VW-1:0]     dp_row;
    wire [FILL_W-1:0] dp_fill;

    lebug_dp #(.N(N), .M(M), .DATA_W(DATA_W), .FILL_W(FILL_W)) u_dp (
        .clk(clk), .rst_n(rst_n), .flush(clr_start),
        .in_valid(s3_valid), .in_data(s3_data), .in_flags(s3_flags),
        .commit_en(s3_commit[K_EN]), .commit_size(s3_commit[K_SIZE +: 2]),
        .commit_c1(s3_commit[K_C1 +: 3]), .commit_c2(s3_commit[K_C2 +: 3]),
        .out_valid(dp_valid), .row_valid(dp_row_valid), .row_data(dp_row), .fill(dp_fill)
    );

    // trace buffer
    wire [DATA_W-1:0] tb_rd;
    wire [31:0]       tb_rows;
    wire              tb_wrap;

    lebug_trace_buf #(.N(N), .DATA_W(DATA_W), .TB_DEPTH(TB_DEPTH), .TB_AW(TB_AW),
                      .LANE_W(LOG2N)) u_tb (
        .clk(clk), .rst_n(rst_n), .flush(clr_start),
        .wr_en(dp_row_valid), .wr_data(dp_row),
        .rd_row(ap_row), .rd_lane(ap_lane), .rd_data(tb_rd),
        .rows(tb_rows), .wrap(tb_wrap)
    );

    // ------------------------------------------------------------------
    // status counters
    reg [31:0] drops, cycles, vectors;
    always @(posedge clk) begin
        if (!rst_n || clr_start) begin
            drops   <= 32'd0;
            cycles  <= 32'd0;
            vectors <= 32'd0;
        end else begin
            if (in_valid && !in_ready) drops   <= drops + 32'd1;
            if (sq_valid)              cycles  <= cycles + 32'd1;
            if (ib_push)               vectors <= vectors + 32'd1;
        end
    end

    assign idle = ib_empty & ~sq_valid & ~s1_valid & ~s2_valid_any & ~s3_valid & ~dp_valid &
                  ~clearing;

    // ------------------------------------------------------------------
    // APB read data (registered in the setup phase)
    wire [31:0] tr_sx;
    wire [31:0] thr_sx;
    wire [DATA_W-1:0] thr_rd = thr[ap_thr];
    generate
        if (DATA_W < 32) begin : g_sx
            assign tr_sx  = {{(32 - DATA_W){tb_rd[DATA_W-1]}}, tb_rd};
            assign thr_sx = {{(32 - DATA_W){thr_rd[DATA_W-1]}}, thr_rd};
        end else begin : g_nosx
            assign tr_sx  = tb_rd;
            assign thr_sx = thr_rd;
        end
    endgenerate

    wire [FW_W-1:0] ap_cw = chain_mem[ap_chain];
    wire [31:0] status_val = {16'd0, {(8 - FILL_W){1'b0}}, dp_fill, 5'd0, idle, tb_wrap, clearing};
    wire [31:0] nc_val     = {{(32 - NC_W){1'b0}}, num_chains};

    reg [31:0] rd_val;
    always @* begin
        rd_val = 32'd0;
        if (hit_id)    rd_val = ID_VAL;
        if (hit_par)   rd_val = PARAMS_VAL;
        if (hit_ctrl)  rd_val = {31'd0, enable};
        if (hit_nc)    rd_val = nc_val;
        if (hit_stat)  rd_val = status_val;
        if (hit_rows)  rd_val = tb_rows;
        if (hit_drops) rd_val = drops;
        if (hit_cyc)   rd_val = cycles;
        if (hit_vec)   rd_val = vectors;
        if (hit_par2)  rd_val = PARAMS2_VAL;
        if (hit_chain) rd_val = ap_hi ? ap_cw[63:32] : ap_cw[31:0];
        if (hit_thr)   rd_val = thr_sx;
        if (hit_trace) rd_val = tr_sx;
    end

    reg [31:0] prdata_q;
    always @(posedge clk) begin
        if (!rst_n)         prdata_q <= 32'd0;
        else if (apb_setup) prdata_q <= rd_val;
    end
    assign prdata = prdata_q;
endmodule
`default_nettype wire
