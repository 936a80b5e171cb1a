// LeBug debug-instrumentation block (see docs/lebug.md).
// Top level: APB3 slave, control/status registers, chain memory, threshold
// registers, clear FSM, and the unit pipeline
//   input buffer -> sequencer -> FRU -> VVALU -> VSRU -> DP -> trace buffer
// (VSRU_FIRST=1: FRU -> VSRU -> VVALU -> DP). A chain issued in cycle k writes
// its trace row at the end of cycle k+4.
// Assertions (docs/verification.md, "Assertions") at the end of this module: the input books
// (every offered vector accepted or counted in DROPS, every accepted one in the buffer or
// popped), the clear FSM, and the packer's fill against the trace rows written.
`include "assert.vh"
`default_nettype none
module lebug #(
    parameter N           = 8,      // lanes (power of 2, 2..64)
    parameter M           = 4,      // filter bins per pass (power of 2, <= N)
    parameter DATA_W      = 32,     // bits per lane, two's complement (8..32)
    parameter FRAC_W      = 0,      // fraction bits (0: integer; < DATA_W)
    parameter IB_DEPTH    = 8,      // input buffer depth in vectors (>= 2)
    parameter FU_ROWS     = 4,      // filter threshold rows (FU_ROWS*M+1 thresholds)
    parameter CACHE_DEPTH = 8,      // vector cache depth in vectors (2..256)
    parameter TB_DEPTH    = 64,     // trace buffer depth in rows of N lanes (power of 2)
    parameter MAX_CHAINS  = 8,      // chain memory depth (1..256)
    parameter VSRU_FIRST  = 0,      // 1: pipeline FRU -> VSRU -> VVALU -> DP
    parameter APB_ADDR_W  = 20      // APB byte address width
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
`include "lebug_regs.vh"

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
    localparam WORD_LSB      = 2;                                   // 4 bytes per APB word
    localparam CHAIN_IDX_LSB = $clog2(LEBUG_CHAIN_ENTRY_BYTES);     // bytes per chain word
    localparam CHAIN_SUB_W   = CHAIN_IDX_LSB - WORD_LSB;            // APB words per chain word, log2

    // illegal parameter values stop elaboration (the missing module names the rule)
    generate
        if (N < 2 || N > 64 || (N & (N - 1)) != 0) begin : g_bad_n
            lebug_N_must_be_a_power_of_2_in_2_to_64 illegal_parameter();
        end
        if (M < 1 || M > N || (M & (M - 1)) != 0) begin : g_bad_m
            lebug_M_must_be_a_power_of_2_at_most_N illegal_parameter();
        end
        if (DATA_W < 8 || DATA_W > 32) begin : g_bad_data_w
            lebug_DATA_W_must_be_8_to_32 illegal_parameter();
        end
        if (FRAC_W < 0 || FRAC_W >= DATA_W) begin : g_bad_frac_w
            lebug_FRAC_W_must_be_below_DATA_W illegal_parameter();
        end
        if (IB_DEPTH < 2) begin : g_bad_ib
            lebug_IB_DEPTH_must_be_at_least_2 illegal_parameter();
        end
        if (CACHE_DEPTH < 2 || CACHE_DEPTH > (1 << LEBUG_CHAIN_ALU_ADDR_W)) begin : g_bad_cache
            lebug_CACHE_DEPTH_must_fit_the_chain_word_cache_address illegal_parameter();
        end
        if (FU_ROWS < 1 || FU_ROWS > (1 << LEBUG_CHAIN_FILT_ROW_W) ||
            4 * NTHR > LEBUG_THRESH_SIZE) begin : g_bad_fu_rows
            lebug_FU_ROWS_must_fit_the_chain_word_and_the_threshold_window illegal_parameter();
        end
        if (TB_DEPTH < 1 || (TB_DEPTH & (TB_DEPTH - 1)) != 0 || 4 * N * TB_DEPTH > LEBUG_TRACE_SIZE)
        begin : g_bad_tb
            lebug_TB_DEPTH_must_be_a_power_of_2_fitting_the_trace_window illegal_parameter();
        end
        if (MAX_CHAINS < 1 || MAX_CHAINS >= (1 << LEBUG_NUM_CHAINS_COUNT_W) ||
            LEBUG_CHAIN_ENTRY_BYTES * MAX_CHAINS > LEBUG_CHAIN_SIZE) begin : g_bad_chains
            lebug_MAX_CHAINS_must_fit_NUM_CHAINS_and_the_chain_window illegal_parameter();
        end
    endgenerate

    // control bundles passed down the pipeline after the FRU: the chain word's fields
    // regrouped (offsets inside a bundle are local; the word's layout is lebug.rdl's)
    //   ALU bundle    = {mc_save, cache_c2, cache_c1, cache_addr, cache_en, alu_c2, alu_c1, alu_addr, alu_op, mc_load}
    //   commit bundle = {commit_c2, commit_c1, commit_size, commit_en}
    localparam AB_MC_LOAD    = 0;
    localparam AB_ALU_OP     = AB_MC_LOAD    + LEBUG_CHAIN_MC_LOAD_W;
    localparam AB_ALU_ADDR   = AB_ALU_OP     + LEBUG_CHAIN_ALU_OP_W;
    localparam AB_ALU_C1     = AB_ALU_ADDR   + LEBUG_CHAIN_ALU_ADDR_W;
    localparam AB_ALU_C2     = AB_ALU_C1     + LEBUG_CHAIN_ALU_C1_W;
    localparam AB_CACHE_EN   = AB_ALU_C2     + LEBUG_CHAIN_ALU_C2_W;
    localparam AB_CACHE_ADDR = AB_CACHE_EN   + LEBUG_CHAIN_CACHE_EN_W;
    localparam AB_CACHE_C1   = AB_CACHE_ADDR + LEBUG_CHAIN_CACHE_ADDR_W;
    localparam AB_CACHE_C2   = AB_CACHE_C1   + LEBUG_CHAIN_CACHE_C1_W;
    localparam AB_MC_SAVE    = AB_CACHE_C2   + LEBUG_CHAIN_CACHE_C2_W;
    localparam ALU_GW        = AB_MC_SAVE    + LEBUG_CHAIN_MC_SAVE_W;
    localparam CB_EN         = 0;
    localparam CB_SIZE       = CB_EN   + LEBUG_CHAIN_COMMIT_EN_W;
    localparam CB_C1         = CB_SIZE + LEBUG_CHAIN_COMMIT_SIZE_W;
    localparam CB_C2         = CB_C1   + LEBUG_CHAIN_COMMIT_C1_W;
    localparam COMMIT_GW     = CB_C2   + LEBUG_CHAIN_COMMIT_C2_W;
    localparam FRU_PW        = COMMIT_GW + 1 + ALU_GW;      // {commit, vsru_en, alu}

    localparam [31:0] CHAIN_END = LEBUG_CHAIN_BASE  + LEBUG_CHAIN_ENTRY_BYTES * MAX_CHAINS;
    localparam [31:0] THR_END   = LEBUG_THRESH_BASE + 4 * NTHR;
    localparam [31:0] TRACE_END = LEBUG_TRACE_BASE  + 4 * N * TB_DEPTH;

    localparam [31:0] N_U32 = N, M_U32 = M, DATA_W_U32 = DATA_W, FRAC_W_U32 = FRAC_W, VSRU_FIRST_U32 = VSRU_FIRST;
    localparam [31:0] TB_DEPTH_U32 = TB_DEPTH, CACHE_M1_U32 = CACHE_DEPTH - 1, CHAINS_M1_U32 = MAX_CHAINS - 1;
    localparam [31:0] PARAMS_VAL  = (N_U32 << LEBUG_PARAMS_N_LSB) | (M_U32 << LEBUG_PARAMS_M_LSB) |
                                    (DATA_W_U32 << LEBUG_PARAMS_DATA_W_LSB) | (FRAC_W_U32 << LEBUG_PARAMS_FRAC_W_LSB) |
                                    (VSRU_FIRST_U32 << LEBUG_PARAMS_VSRU_FIRST_LSB);
    localparam [31:0] PARAMS2_VAL = (TB_DEPTH_U32 << LEBUG_PARAMS2_TB_DEPTH_LSB) |
                                    (CACHE_M1_U32 << LEBUG_PARAMS2_CACHE_DEPTH_M1_LSB) |
                                    (CHAINS_M1_U32 << LEBUG_PARAMS2_MAX_CHAINS_M1_LSB);

    localparam [NC_W-1:0] NC_ZERO = 0;
    localparam [31:0]     MAX_CHAINS_U32 = MAX_CHAINS;
    localparam [CA_W-1:0] CA_ZERO = 0;
    localparam [CA_W-1:0] CA_ONE  = 1;
    localparam [CA_W-1:0] CA_LAST = CACHE_M1_U32[CA_W-1:0];

    genvar g;

    // ------------------------------------------------------------------
    // APB front end and decode
    wire [31:0] addr;          // PADDR, 32 bits
    wire        apb_wr, apb_err;
    /* verilator lint_off UNUSEDSIGNAL */
    wire        apb_setup, apb_access;  // lebug reads and writes need neither phase strobe
    /* verilator lint_on UNUSEDSIGNAL */
    wire [31:0] rd_val;     // read data of addr

    apb_frontend #(.ADDR_W(APB_ADDR_W)) u_apb (
        .clk(clk), .rst_n(rst_n), .psel(psel), .penable(penable), .pwrite(pwrite), .paddr(paddr),
        .addr(addr), .setup(apb_setup), .access(apb_access), .err(apb_err), .hold(1'b0), .wr(apb_wr),
        .rd_val(rd_val), .rd_q(prdata), .pready(pready), .pslverr(pslverr)
    );

    wire aligned   = (addr[WORD_LSB-1:0] == {WORD_LSB{1'b0}});
    wire hit_id    = aligned && (addr == LEBUG_ID_ADDR);
    wire hit_par   = aligned && (addr == LEBUG_PARAMS_ADDR);
    wire hit_ctrl  = aligned && (addr == LEBUG_CTRL_ADDR);
    wire hit_nc    = aligned && (addr == LEBUG_NUM_CHAINS_ADDR);
    wire hit_stat  = aligned && (addr == LEBUG_STATUS_ADDR);
    wire hit_rows  = aligned && (addr == LEBUG_ROWS_ADDR);
    wire hit_drops = aligned && (addr == LEBUG_DROPS_ADDR);
    wire hit_cyc   = aligned && (addr == LEBUG_CYCLES_ADDR);
    wire hit_vec   = aligned && (addr == LEBUG_VECTORS_ADDR);
    wire hit_par2  = aligned && (addr == LEBUG_PARAMS2_ADDR);
    wire hit_chain = aligned && (addr >= LEBUG_CHAIN_BASE)  && (addr < CHAIN_END);
    wire hit_thr   = aligned && (addr >= LEBUG_THRESH_BASE) && (addr < THR_END);
    wire hit_trace = aligned && (addr >= LEBUG_TRACE_BASE)  && (addr < TRACE_END);
    wire hit_ro    = hit_id | hit_par | hit_stat | hit_rows | hit_drops | hit_cyc |
                     hit_vec | hit_par2 | hit_trace;
    wire hit_rw    = hit_ctrl | hit_nc | hit_chain | hit_thr;
    wire nc_bad    = (pwdata == 32'd0) || (pwdata > MAX_CHAINS_U32);
    assign apb_err = !(hit_ro || hit_rw) || (pwrite && hit_ro) || (pwrite && hit_nc && nc_bad);

    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] ch_off = addr - LEBUG_CHAIN_BASE;
    wire [31:0] th_off = addr - LEBUG_THRESH_BASE;
    wire [31:0] tr_off = addr - LEBUG_TRACE_BASE;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [CH_AW-1:0] ap_chain = ch_off[CHAIN_IDX_LSB +: CH_AW];
    wire [CHAIN_SUB_W-1:0] ap_sub = ch_off[WORD_LSB +: CHAIN_SUB_W];   // 32-bit word of the chain word
    wire [TH_AW-1:0] ap_thr   = th_off[WORD_LSB +: TH_AW];
    wire [LOG2N-1:0] ap_lane  = tr_off[WORD_LSB +: LOG2N];
    wire [TB_AW-1:0] ap_row   = tr_off[WORD_LSB + LOG2N +: TB_AW];

    // ------------------------------------------------------------------
    // control registers, clear FSM
    reg            enable;
    reg [NC_W-1:0] num_chains;
    reg            clearing;
    reg [CA_W-1:0] clr_addr;
    wire           clr_start = apb_wr & hit_ctrl & pwdata[LEBUG_CTRL_CLEAR_LSB];

    always @(posedge clk) begin
        if (!rst_n) begin
            enable     <= 1'b0;
            num_chains <= NC_ZERO;
        end else if (apb_wr) begin
            if (hit_ctrl) enable     <= pwdata[LEBUG_CTRL_ENABLE_LSB];
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

    // chain memory (register file, zeroed by reset only): LEBUG_CHAIN_BITS a chain,
    // written one 32-bit APB word (ap_sub) at a time
    localparam CW_W = LEBUG_CHAIN_BITS;
    wire [CW_W-1:0] chain_mem [0:MAX_CHAINS-1];
    generate
        for (g = 0; g < MAX_CHAINS; g = g + 1) begin : g_chain
            localparam [31:0]      C32 = g;
            localparam [CH_AW-1:0] CI  = C32[CH_AW-1:0];
            reg [CW_W-1:0] word;
            always @(posedge clk) begin
                if (!rst_n)
                    word <= {CW_W{1'b0}};
                else if (apb_wr && hit_chain && ap_chain == CI)
                    word[ap_sub*32 +: 32] <= pwdata;
            end
            assign chain_mem[g] = word;
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

    // chain word of the issued chain (reserved bits ignored), its fields regrouped
    /* verilator lint_off UNUSEDSIGNAL */
    wire [CW_W-1:0] chain = chain_mem[sq_idx];
    /* verilator lint_on UNUSEDSIGNAL */
`define LEBUG_FIELD(f) chain[LEBUG_CHAIN_``f``_LSB +: LEBUG_CHAIN_``f``_W]
    wire                 ch_filt_en  = `LEBUG_FIELD(FILT_EN);
    wire [LEBUG_CHAIN_FILT_ROW_W-1:0] ch_filt_row = `LEBUG_FIELD(FILT_ROW);
    wire [LEBUG_CHAIN_MRED_W-1:0]     ch_mred     = `LEBUG_FIELD(MRED);
    wire                 ch_vsru_en  = `LEBUG_FIELD(VSRU_EN);
    wire [ALU_GW-1:0]    ch_alu      = {`LEBUG_FIELD(MC_SAVE), `LEBUG_FIELD(CACHE_C2), `LEBUG_FIELD(CACHE_C1),
                                        `LEBUG_FIELD(CACHE_ADDR), `LEBUG_FIELD(CACHE_EN), `LEBUG_FIELD(ALU_C2),
                                        `LEBUG_FIELD(ALU_C1), `LEBUG_FIELD(ALU_ADDR), `LEBUG_FIELD(ALU_OP),
                                        `LEBUG_FIELD(MC_LOAD)};
    wire [COMMIT_GW-1:0] ch_commit   = {`LEBUG_FIELD(COMMIT_C2), `LEBUG_FIELD(COMMIT_C1), `LEBUG_FIELD(COMMIT_SIZE),
                                        `LEBUG_FIELD(COMMIT_EN)};
`undef LEBUG_FIELD

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
        .filt_en(ch_filt_en), .filt_row(ch_filt_row), .mred(ch_mred),
        .in_pass({ch_commit, ch_vsru_en, ch_alu}),
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
                .mc_load(s1_alu[AB_MC_LOAD]), .alu_op(s1_alu[AB_ALU_OP +: LEBUG_CHAIN_ALU_OP_W]),
                .alu_addr(s1_alu[AB_ALU_ADDR +: LEBUG_CHAIN_ALU_ADDR_W]),
                .alu_c1(s1_alu[AB_ALU_C1 +: LEBUG_CHAIN_ALU_C1_W]),
                .alu_c2(s1_alu[AB_ALU_C2 +: LEBUG_CHAIN_ALU_C2_W]),
                .cache_en(s1_alu[AB_CACHE_EN]),
                .cache_addr(s1_alu[AB_CACHE_ADDR +: LEBUG_CHAIN_CACHE_ADDR_W]),
                .cache_c1(s1_alu[AB_CACHE_C1 +: LEBUG_CHAIN_CACHE_C1_W]),
                .cache_c2(s1_alu[AB_CACHE_C2 +: LEBUG_CHAIN_CACHE_C2_W]),
                .mc_save(s1_alu[AB_MC_SAVE]),
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
                .mc_load(s2_alu[AB_MC_LOAD]), .alu_op(s2_alu[AB_ALU_OP +: LEBUG_CHAIN_ALU_OP_W]),
                .alu_addr(s2_alu[AB_ALU_ADDR +: LEBUG_CHAIN_ALU_ADDR_W]),
                .alu_c1(s2_alu[AB_ALU_C1 +: LEBUG_CHAIN_ALU_C1_W]),
                .alu_c2(s2_alu[AB_ALU_C2 +: LEBUG_CHAIN_ALU_C2_W]),
                .cache_en(s2_alu[AB_CACHE_EN]),
                .cache_addr(s2_alu[AB_CACHE_ADDR +: LEBUG_CHAIN_CACHE_ADDR_W]),
                .cache_c1(s2_alu[AB_CACHE_C1 +: LEBUG_CHAIN_CACHE_C1_W]),
                .cache_c2(s2_alu[AB_CACHE_C2 +: LEBUG_CHAIN_CACHE_C2_W]),
                .mc_save(s2_alu[AB_MC_SAVE]),
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
        .commit_en(s3_commit[CB_EN]), .commit_size(s3_commit[CB_SIZE +: LEBUG_CHAIN_COMMIT_SIZE_W]),
        .commit_c1(s3_commit[CB_C1 +: LEBUG_CHAIN_COMMIT_C1_W]),
        .commit_c2(s3_commit[CB_C2 +: LEBUG_CHAIN_COMMIT_C2_W]),
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

    /* verilator lint_off UNUSEDSIGNAL */
    wire [CW_W-1:0] ap_chain_word = chain_mem[ap_chain];
    /* verilator lint_on UNUSEDSIGNAL */
    localparam [31:0] ONE_U32 = 1;
    wire [31:0] fill32     = {{(32 - FILL_W){1'b0}}, dp_fill};
    wire [31:0] status_val = ({31'd0, clearing} << LEBUG_STATUS_CLEARING_LSB) |
                             ({31'd0, tb_wrap}  << LEBUG_STATUS_WRAP_LSB) |
                             ({31'd0, idle}     << LEBUG_STATUS_IDLE_LSB) |
                             ((fill32 & ((ONE_U32 << LEBUG_STATUS_PACK_FILL_W) - 1)) << LEBUG_STATUS_PACK_FILL_LSB);
    wire [31:0] nc_val     = {{(32 - NC_W){1'b0}}, num_chains};
    wire [31:0] ctrl_val   = {31'd0, enable} << LEBUG_CTRL_ENABLE_LSB;

    reg [31:0] rd_mux;
    always @* begin
        rd_mux = 32'd0;
        if (hit_id)    rd_mux = LEBUG_ID_RESET;
        if (hit_par)   rd_mux = PARAMS_VAL;
        if (hit_ctrl)  rd_mux = ctrl_val;
        if (hit_nc)    rd_mux = nc_val;
        if (hit_stat)  rd_mux = status_val;
        if (hit_rows)  rd_mux = tb_rows;
        if (hit_drops) rd_mux = drops;
        if (hit_cyc)   rd_mux = cycles;
        if (hit_vec)   rd_mux = vectors;
        if (hit_par2)  rd_mux = PARAMS2_VAL;
        if (hit_chain) rd_mux = ap_chain_word[ap_sub*32 +: 32];
        if (hit_thr)   rd_mux = thr_sx;
        if (hit_trace) rd_mux = tr_sx;
    end
    assign rd_val = rd_mux;

    // ------------------------------------------------------------------
    // assertions
`ifdef ASSERT_ON
    // since reset/clear: vectors offered (in_valid) and popped by the sequencer; values the
    // packer appended (the chain's commit, recomputed here from the DP stage's inputs)
    reg  [31:0] sh_offered, sh_popped, sh_values;
    wire        sh_commit_ok;
    lebug_cond u_sh_cond (.c1(s3_commit[CB_C1 +: LEBUG_CHAIN_COMMIT_C1_W]),
                          .c2(s3_commit[CB_C2 +: LEBUG_CHAIN_COMMIT_C2_W]), .flags(s3_flags), .ok(sh_commit_ok));
    wire [1:0]  sh_csize  = s3_commit[CB_SIZE +: LEBUG_CHAIN_COMMIT_SIZE_W];
    wire [31:0] sh_size   = (sh_csize == 2'd0) ? 32'd1 : (sh_csize == 2'd1) ? M_U32 : N_U32;
    wire        sh_commit = s3_valid && s3_commit[CB_EN] && sh_commit_ok;
    always @(posedge clk) begin
        if (!rst_n || clr_start) begin
            sh_offered <= 32'd0;
            sh_popped  <= 32'd0;
            sh_values  <= 32'd0;
        end else begin
            if (in_valid)  sh_offered <= sh_offered + 32'd1;
            if (ib_pop)    sh_popped  <= sh_popped + 32'd1;
            if (sh_commit) sh_values  <= sh_values + sh_size;
        end
    end
    wire [31:0] sh_held   = vectors - sh_popped;          // accepted, not yet popped
    localparam [31:0] IB_DEPTH_U32 = IB_DEPTH;
    wire [31:0] sh_rows_v = tb_rows + {31'd0, dp_row_valid};   // rows written or being written
    wire [31:0] sh_clr_addr = {{(32 - CA_W){1'b0}}, clr_addr};
`endif
    // every offered vector is accepted (VECTORS) or dropped and counted (DROPS), never silently lost
    `ASSERT(DropsCountRefused_A, clk, rst_n, drops + vectors == sh_offered)
    // every accepted vector is in the input buffer or was popped: the buffer's empty/full agree
    `ASSERT(AcceptedNotLost_A, clk, rst_n, sh_held <= IB_DEPTH_U32 && ib_empty == (sh_held == 32'd0) &&
                                           ib_full == (sh_held == IB_DEPTH_U32))
    // the clear FSM: nothing is accepted while it runs, the pipeline is empty (the cache write
    // port is the clear's), and it visits the cache addresses 0..CACHE_DEPTH-1
    `ASSERT(NoAcceptWhileClearing_A, clk, rst_n, !clearing || !in_ready)
    `ASSERT(PipelineEmptyWhileClearing_A, clk, rst_n,
            !clearing || (ib_empty && !sq_valid && !s1_valid && !s2_valid_any && !s3_valid && !dp_valid))
    `ASSERT(ClearAddrInRange_A, clk, rst_n, !clearing || sh_clr_addr < CACHE_M1_U32 + 32'd1)
    // pack_fill and ROWS: the values committed equal N x (rows written + the row being written) + fill
    `ASSERT(PackFillMatchesRows_A, clk, rst_n, sh_values == sh_rows_v * N_U32 + fill32)
endmodule
`default_nettype wire
