// Weight-stationary int8 systolic-array GEMM block (docs/systolic.md).
// Top level: APB3 slave (registers, command memory, scratchpads), the
// scratchpad RAMs (u_act, u_wgt, u_bias, u_quant, u_out, u_cmd; each a plain
// array `mem`), the accumulator RAM u_acc, the sequencer, the CONV window
// (u_win), the K x K array, the output pipeline and the POOL datapath (u_pool). The output row stream is a port: K int32 lanes, valid,
// eof[0] after each output matrix, eof[1] after the last descriptor.
// Assertions (docs/verification.md, "Assertions") at the end of this module: the stream's
// timing (each row of a last k-tile leaves E4 exactly 2K+5 cycles after its issue: nothing
// stalls it), the sequencer's priority on the ACT and OUT ports (an APB access that would
// collide waits instead of being lost), no APB write to CMD/WGT/BIAS/QUANT while busy, and
// NUM_DESC fixed while busy (systolic_seq relies on it).
`include "assert.vh"
`default_nettype none
module systolic #(
    parameter K          = 8,        // array size: K x K PEs, K lanes a word (power of 2, 2..32)
    parameter ACT_DEPTH  = 16384,    // activation scratchpad words (power of 2)
    parameter WGT_DEPTH  = 16384,    // weight scratchpad words (power of 2)
    parameter BQ_DEPTH   = 256,      // bias and quant scratchpad words (power of 2)
    parameter OUT_DEPTH  = 16384,    // output scratchpad words (power of 2)
    parameter ACC_DEPTH  = 1024,     // accumulator words = largest M (power of 2)
    parameter CMD_DEPTH  = 64,       // command memory descriptors (power of 2)
    parameter WIN_ROWS   = 16,       // CONV window rows: input rows one block can use (power of 2, 2..64)
    parameter WIN_BYTES  = 128,      // CONV window bytes per row: the widest input row (power of 2, K..1024)
    parameter APB_ADDR_W = 23        // APB byte address width (23..32)
) (
    input  wire                  clk,
    input  wire                  rst_n,
    // APB3 slave
    input  wire                  psel,
    input  wire                  penable,
    input  wire                  pwrite,
    input  wire [APB_ADDR_W-1:0] paddr,
    input  wire [31:0]           pwdata,
    output wire [31:0]           prdata,
    output wire                  pready,
    output wire                  pslverr,
    // output row stream
    output wire                  out_valid,
    output wire [1:0]            out_eof,
    output wire [K*32-1:0]       out_data,
    // status
    output wire                  busy,
    output wire                  done
);
`include "systolic_regs.vh"

    // ------------------------------------------------------------------
    // sizes
    localparam LOG2K   = $clog2(K);
    localparam ACT_AW  = $clog2(ACT_DEPTH);
    localparam WGT_AW  = $clog2(WGT_DEPTH);
    localparam BQ_AW   = $clog2(BQ_DEPTH);
    localparam OUT_AW  = $clog2(OUT_DEPTH);
    localparam ACC_AW  = $clog2(ACC_DEPTH);
    localparam CMD_AW  = $clog2(CMD_DEPTH);
    localparam AWW     = K * 8;                    // activation / weight word
    localparam VW      = K * 32;                   // bias / quant / output / acc word
    localparam CMDW    = SYSTOLIC_DESC_BITS;       // descriptor
    localparam ACH     = (AWW + 31) / 32;          // 32-bit chunks per word
    localparam VCH     = K;
    localparam CCH     = CMDW / 32;
    localparam LOG2ACH = $clog2(ACH);
    localparam LOG2VCH = LOG2K;
    localparam LOG2CCH = $clog2(CCH);
    localparam MAXCH   = (K > CCH) ? K : CCH;
    localparam CH_W    = $clog2(MAXCH);
    localparam XW      = 32 * MAXCH;               // widest chunked word
    localparam WORD_LSB = 2;                       // 4 bytes per APB word

    // illegal parameter values stop elaboration (the missing module names the rule)
    generate
        if (K < 2 || K > 32 || (K & (K - 1)) != 0) begin : g_bad_k
            systolic_K_must_be_a_power_of_2_in_2_to_32 illegal_parameter();
        end
        if ((ACT_DEPTH & (ACT_DEPTH - 1)) != 0 || (WGT_DEPTH & (WGT_DEPTH - 1)) != 0 ||
            (BQ_DEPTH & (BQ_DEPTH - 1)) != 0 || (OUT_DEPTH & (OUT_DEPTH - 1)) != 0 ||
            (ACC_DEPTH & (ACC_DEPTH - 1)) != 0 || (CMD_DEPTH & (CMD_DEPTH - 1)) != 0 ||
            ACT_DEPTH < 2 || WGT_DEPTH < 2 || BQ_DEPTH < 2 || OUT_DEPTH < 2 || ACC_DEPTH < 2 || CMD_DEPTH < 2 ||
            ACT_DEPTH > 65536 || WGT_DEPTH > 65536 || BQ_DEPTH > 65536 || OUT_DEPTH > 65536) begin : g_bad_depth
            systolic_depths_must_be_powers_of_2_in_2_to_65536 illegal_parameter();  // 16-bit address fields
        end
        if (4 * ACH * ACT_DEPTH > SYSTOLIC_ACT_SIZE || 4 * ACH * WGT_DEPTH > SYSTOLIC_WGT_SIZE ||
            4 * VCH * BQ_DEPTH > SYSTOLIC_BIAS_SIZE || 4 * VCH * OUT_DEPTH > SYSTOLIC_OUT_SIZE ||
            4 * CCH * CMD_DEPTH > SYSTOLIC_CMD_SIZE) begin : g_bad_window
            systolic_a_scratchpad_does_not_fit_its_APB_window illegal_parameter();
        end
        if (ACC_DEPTH > (1 << SYSTOLIC_DESC_M_W) || CMD_DEPTH >= (1 << SYSTOLIC_NUM_DESC_COUNT_W))
        begin : g_bad_fields
            systolic_ACC_DEPTH_or_CMD_DEPTH_exceeds_a_descriptor_or_register_field illegal_parameter();
        end
        if (APB_ADDR_W < $clog2(SYSTOLIC_OUT_BASE + SYSTOLIC_OUT_SIZE) || APB_ADDR_W > 32) begin : g_bad_aw
            systolic_APB_ADDR_W_must_cover_every_window illegal_parameter();
        end
        if ((WIN_ROWS & (WIN_ROWS - 1)) != 0 || WIN_ROWS < 2 || WIN_ROWS > 64) begin : g_bad_win_rows
            systolic_WIN_ROWS_must_be_a_power_of_2_in_2_to_64 illegal_parameter();
        end
        if ((WIN_BYTES & (WIN_BYTES - 1)) != 0 || WIN_BYTES < K || WIN_BYTES > 1024) begin : g_bad_win_bytes
            systolic_WIN_BYTES_must_be_a_power_of_2_in_K_to_1024 illegal_parameter();
        end
    endgenerate

    // APB map (byte addresses, systolic.rdl)
    localparam [31:0] REG_END    = SYSTOLIC_REGS_END;            // registers: [0, REG_END)
    localparam [31:0] CMD_END    = SYSTOLIC_CMD_BASE   + 4 * CCH * CMD_DEPTH;
    localparam [31:0] ACT_END    = SYSTOLIC_ACT_BASE   + 4 * ACH * ACT_DEPTH;
    localparam [31:0] WGT_END    = SYSTOLIC_WGT_BASE   + 4 * ACH * WGT_DEPTH;
    localparam [31:0] BIAS_END   = SYSTOLIC_BIAS_BASE  + 4 * VCH * BQ_DEPTH;
    localparam [31:0] QUANT_END  = SYSTOLIC_QUANT_BASE + 4 * VCH * BQ_DEPTH;
    localparam [31:0] OUT_END    = SYSTOLIC_OUT_BASE   + 4 * VCH * OUT_DEPTH;

    // PARAMS0 / PARAMS1 values
    localparam [31:0] K_U32       = K;
    localparam [31:0] CMD_AW_U32  = CMD_AW;
    localparam [31:0] ACC_AW_U32  = ACC_AW;
    localparam [31:0] ACT_AW_U32  = ACT_AW;
    localparam [31:0] WGT_AW_U32  = WGT_AW;
    localparam [31:0] BQ_AW_U32   = BQ_AW;
    localparam [31:0] OUT_AW_U32  = OUT_AW;
    localparam [31:0] PARAMS0_VAL = (K_U32 << SYSTOLIC_PARAMS0_K_LSB) |
                                    (CMD_AW_U32 << SYSTOLIC_PARAMS0_LOG2_CMD_DEPTH_LSB) |
                                    (ACC_AW_U32 << SYSTOLIC_PARAMS0_LOG2_ACC_DEPTH_LSB);
    localparam [31:0] PARAMS1_VAL = (ACT_AW_U32 << SYSTOLIC_PARAMS1_LOG2_ACT_DEPTH_LSB) |
                                    (WGT_AW_U32 << SYSTOLIC_PARAMS1_LOG2_WGT_DEPTH_LSB) |
                                    (BQ_AW_U32 << SYSTOLIC_PARAMS1_LOG2_BQ_DEPTH_LSB) |
                                    (OUT_AW_U32 << SYSTOLIC_PARAMS1_LOG2_OUT_DEPTH_LSB);
    localparam [31:0] WIN_ROWS_U32  = WIN_ROWS;
    localparam [31:0] WIN_BW_U32    = $clog2(WIN_BYTES);
    localparam [31:0] PARAMS2_VAL = (WIN_ROWS_U32 << SYSTOLIC_PARAMS2_WIN_ROWS_LSB) |
                                    (WIN_BW_U32 << SYSTOLIC_PARAMS2_LOG2_WIN_BYTES_LSB);
    localparam [31:0] CMD_DEPTH_U32 = CMD_DEPTH;

    // region codes
    localparam [2:0] G_REG = 3'd0, G_CMD = 3'd1, G_ACT = 3'd2, G_WGT = 3'd3,
                     G_BIAS = 3'd4, G_QUANT = 3'd5, G_OUT = 3'd6;

    localparam [XW-1:0] ONE_X  = 1;
    localparam [XW-1:0] LOW_A  = (ONE_X << (32 * (ACH - 1))) - ONE_X;
    localparam [XW-1:0] LOW_V  = (ONE_X << (32 * (VCH - 1))) - ONE_X;
    localparam [XW-1:0] LOW_C  = (ONE_X << (32 * (CCH - 1))) - ONE_X;

    // ------------------------------------------------------------------
    // APB front end and decode
    wire [31:0] addr;          // PADDR, 32 bits
    wire        apb_setup, apb_access, apb_wr, apb_err, apb_hold;
    wire [31:0] rd_val, reg_q;

    apb_frontend #(.ADDR_W(APB_ADDR_W)) u_apb (
        .clk(clk), .rst_n(rst_n), .psel(psel), .penable(penable), .pwrite(pwrite), .paddr(paddr),
        .addr(addr), .setup(apb_setup), .access(apb_access), .err(apb_err), .hold(apb_hold), .wr(apb_wr),
        .rd_val(rd_val), .rd_q(reg_q), .pready(pready), .pslverr(pslverr)
    );

    wire aligned   = (addr[WORD_LSB-1:0] == {WORD_LSB{1'b0}});
    wire hit_reg   = aligned && (addr < REG_END);
    wire hit_cmd   = aligned && (addr >= SYSTOLIC_CMD_BASE)   && (addr < CMD_END);
    wire hit_act   = aligned && (addr >= SYSTOLIC_ACT_BASE)   && (addr < ACT_END);
    wire hit_wgt   = aligned && (addr >= SYSTOLIC_WGT_BASE)   && (addr < WGT_END);
    wire hit_bias  = aligned && (addr >= SYSTOLIC_BIAS_BASE)  && (addr < BIAS_END);
    wire hit_quant = aligned && (addr >= SYSTOLIC_QUANT_BASE) && (addr < QUANT_END);
    wire hit_out   = aligned && (addr >= SYSTOLIC_OUT_BASE)   && (addr < OUT_END);
    wire hit_mem   = hit_cmd | hit_act | hit_wgt | hit_bias | hit_quant | hit_out;
    wire hit_strm  = hit_act | hit_out;     // the windows open to APB while busy

    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] off_cmd = addr - SYSTOLIC_CMD_BASE;
    wire [31:0] off_act = addr - SYSTOLIC_ACT_BASE;
    wire [31:0] off_wgt = addr - SYSTOLIC_WGT_BASE;
    wire [31:0] off_bq  = addr - (hit_quant ? SYSTOLIC_QUANT_BASE : SYSTOLIC_BIAS_BASE);
    wire [31:0] off_out = addr - SYSTOLIC_OUT_BASE;
    wire [31:0] w_cmd   = off_cmd >> (WORD_LSB + LOG2CCH);
    wire [31:0] w_act   = off_act >> (WORD_LSB + LOG2ACH);
    wire [31:0] w_wgt   = off_wgt >> (WORD_LSB + LOG2ACH);
    wire [31:0] w_bq    = off_bq  >> (WORD_LSB + LOG2VCH);
    wire [31:0] w_out   = off_out >> (WORD_LSB + LOG2VCH);
    wire [31:0] ck_cmd  = (off_cmd >> WORD_LSB) & (CCH - 1);
    wire [31:0] ck_act  = (off_act >> WORD_LSB) & (ACH - 1);
    wire [31:0] ck_wgt  = (off_wgt >> WORD_LSB) & (ACH - 1);
    wire [31:0] ck_bq   = (off_bq  >> WORD_LSB) & (VCH - 1);
    wire [31:0] ck_out  = (off_out >> WORD_LSB) & (VCH - 1);
    /* verilator lint_on UNUSEDSIGNAL */

    wire [2:0] region = hit_cmd ? G_CMD : hit_act ? G_ACT : hit_wgt ? G_WGT : hit_bias ? G_BIAS :
                        hit_quant ? G_QUANT : hit_out ? G_OUT : G_REG;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] chunk32 = hit_cmd ? ck_cmd : (hit_act ? ck_act : hit_wgt ? ck_wgt :
                          (hit_bias | hit_quant) ? ck_bq : ck_out);
    /* verilator lint_on UNUSEDSIGNAL */
    wire [CH_W-1:0] chunk = chunk32[CH_W-1:0];
    wire top_chunk = hit_cmd ? (ck_cmd == CCH - 1) : hit_act ? (ck_act == ACH - 1) :
                     hit_wgt ? (ck_wgt == ACH - 1) : (hit_bias | hit_quant) ? (ck_bq == VCH - 1) :
                     (ck_out == VCH - 1);

    wire reg_id     = hit_reg && (addr == SYSTOLIC_ID_ADDR);
    wire reg_par0   = hit_reg && (addr == SYSTOLIC_PARAMS0_ADDR);
    wire reg_par1   = hit_reg && (addr == SYSTOLIC_PARAMS1_ADDR);
    wire reg_par2   = hit_reg && (addr == SYSTOLIC_PARAMS2_ADDR);
    wire reg_ctrl   = hit_reg && (addr == SYSTOLIC_CTRL_ADDR);
    wire reg_ndesc  = hit_reg && (addr == SYSTOLIC_NUM_DESC_ADDR);
    wire reg_status = hit_reg && (addr == SYSTOLIC_STATUS_ADDR);
    wire reg_cycles = hit_reg && (addr == SYSTOLIC_CYCLES_ADDR);
    wire reg_busy   = hit_reg && (addr == SYSTOLIC_BUSY_ADDR);
    wire reg_macs   = hit_reg && (addr == SYSTOLIC_MACS_ADDR);
    wire reg_stalls = hit_reg && (addr == SYSTOLIC_STALLS_ADDR);
    wire reg_rows   = hit_reg && (addr == SYSTOLIC_ROWS_ADDR);
    wire reg_ro     = reg_id | reg_par0 | reg_par1 | reg_par2 | reg_status | reg_cycles | reg_busy | reg_macs |
                      reg_stalls | reg_rows;
    wire reg_any    = reg_ro | reg_ctrl | reg_ndesc;

    reg  busy_q;
    wire start_bit = pwdata[SYSTOLIC_CTRL_START_LSB];
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] nd_count = (pwdata >> SYSTOLIC_NUM_DESC_COUNT_LSB) & ((32'd1 << SYSTOLIC_NUM_DESC_COUNT_W) - 32'd1);
    wire [31:0] nd_first = (pwdata >> SYSTOLIC_NUM_DESC_FIRST_LSB) & ((32'd1 << SYSTOLIC_NUM_DESC_FIRST_W) - 32'd1);
    /* verilator lint_on UNUSEDSIGNAL */
    wire nd_bad    = (nd_count == 32'd0) || (nd_count + nd_first > CMD_DEPTH_U32);   // 16 + 16 bits: no wrap
    wire mem_busy  = busy | busy_q;
    assign apb_err = !(reg_any || hit_mem) || (pwrite && reg_ro) || (hit_mem && !hit_strm && mem_busy) ||
                     (pwrite && reg_ndesc && (nd_bad || busy)) || (pwrite && reg_ctrl && start_bit && busy);

    // ------------------------------------------------------------------
    // APB while busy (docs/systolic.md, "APB while busy"): ACT and OUT stay open. The
    // sequencer keeps priority on every RAM port; an APB access takes a port only in a cycle
    // in which the sequencer does not use it, and otherwise waits (PREADY = 0):
    //   write  the top chunk commits in an access cycle in which the sequencer does not
    //          write that RAM (lower chunks only fill the staging register: never wait);
    //          the sequencer's writes are E4's: aw_we (int8 rows to ACT) and om_we (int32 rows,
    //          and OUT8's int8 rows, to OUT), so an OUT8 row also holds an APB OUT write;
    //   read   the RAM read is issued in the setup cycle, or in a later access cycle, in
    //          which the sequencer does not read that RAM; the transfer completes the cycle
    //          after, when the word is in rdata.
    // Hazard rule: an APB read changes the RAM's rdata, so it may take the read port only in
    // a cycle whose rdata no sequencer consumer still needs. Every consumer of act_rdata and
    // out_rdata uses it only in the cycle right after its own read, and ignores it otherwise:
    //   act_masked (GEMM A row): am_v = a_issue one cycle late; zero (and unselected for
    //     CONV, arr_a takes the window row) when am_v is 0;
    //   u_win LOAD: writes ld_data with wr_v = ld_re one cycle late;
    //   u_pool: uses rdata only in stage S (s_v = i_re one cycle late; mx, o_valid gated);
    //   u_post E1: om_rdata enters the sum only for e1_first & f_acc rows, whose OUT read
    //     (om_re, E0) was the cycle before.
    // OUT8 adds no consumer: it only writes OUT (write port, om_we); APB reads of OUT use the
    // read port, which OUT8 leaves to the ACC source as before.
    // So "the sequencer does not read this RAM in this cycle" is the whole condition. A new
    // consumer that holds rdata across cycles must register it on its side, or extend
    // act_seq_re / out_seq_re below to the cycles in which it relies on rdata.
    // When not busy the sequencer uses no port: reads at setup, PREADY = 1, as before.
    wire act_seq_re = busy & act_re_s;
    wire out_seq_re = busy & om_re;
    wire act_seq_we = busy & aw_we;
    wire out_seq_we = busy & om_we;
    wire strm_rd_free = hit_act ? ~act_seq_re : ~out_seq_re;   // for hit_strm
    wire strm_wr_free = hit_act ? ~act_seq_we : ~out_seq_we;
    reg  apb_rd_q;      // an APB memory read was issued last cycle: its word is in rdata
    reg  apb_rd_ok;     // rdata holds the current read transfer's word (PRDATA shows it)
    wire rd_setup = apb_setup & ~pwrite & hit_mem & (hit_strm ? strm_rd_free : ~mem_busy);
    wire rd_wait  = apb_access & ~pwrite & hit_strm & ~apb_rd_q;   // the read is still to do
    wire apb_rd_mem = rd_setup | (rd_wait & strm_rd_free);
    assign apb_hold = hit_strm & (pwrite ? (top_chunk & ~strm_wr_free) : ~apb_rd_q);

    // wide-word staging: chunks below the top one wait here; the top chunk commits
    reg  [XW-33:0] stage;
    wire           mem_wr    = apb_wr & hit_mem;
    wire           mem_commit = mem_wr & top_chunk;
    always @(posedge clk) begin
        if (!rst_n)                    stage <= {(XW - 32){1'b0}};
        else if (mem_wr && !top_chunk) stage[chunk*32 +: 32] <= pwdata;
    end
    wire [XW-1:0] pw_x     = {{(XW - 32){1'b0}}, pwdata};
    wire [XW-1:0] stage_x  = {32'd0, stage};
    /* verilator lint_off UNUSEDSIGNAL */
    wire [XW-1:0] commit_a = (pw_x << (32 * (ACH - 1))) | (stage_x & LOW_A);
    wire [XW-1:0] commit_v = (pw_x << (32 * (VCH - 1))) | (stage_x & LOW_V);
    wire [XW-1:0] commit_c = (pw_x << (32 * (CCH - 1))) | (stage_x & LOW_C);
    /* verilator lint_on UNUSEDSIGNAL */

    // ------------------------------------------------------------------
    // control registers
    reg  [CMD_AW:0] num_desc;      // NUM_DESC.COUNT
    reg  [CMD_AW-1:0] first_desc;  // NUM_DESC.FIRST
    reg  [31:0]     cnt_rows;
    wire            start = apb_wr & reg_ctrl & start_bit;
    always @(posedge clk) begin
        if (!rst_n) begin
            num_desc <= {{CMD_AW{1'b0}}, 1'b1};
            first_desc <= {CMD_AW{1'b0}};
            busy_q   <= 1'b0;
        end else begin
            busy_q <= busy;
            if (apb_wr && reg_ndesc) begin
                num_desc   <= nd_count[CMD_AW:0];
                first_desc <= nd_first[CMD_AW-1:0];
            end
        end
    end

    // ------------------------------------------------------------------
    // sequencer
    wire              cmd_re_s, act_re_s, wgt_re_s, a_issue, inflight, post_inflight;
    wire [CMD_AW-1:0] cmd_raddr_s;
    wire [CMDW-1:0]   cmd_rdata;
    wire [ACT_AW-1:0] act_raddr_s, i_daddr;
    wire [WGT_AW-1:0] wgt_raddr_s;
    wire [LOG2K-1:0]  w_row;
    wire [LOG2K:0]    t_krem, t_nrem;
    wire              t_sel, i_first, i_last, i_eof0, i_eof1;
    wire [ACC_AW-1:0] i_m;
    wire [OUT_AW-1:0] i_caddr;
    wire [BQ_AW-1:0]  i_bqaddr;
    wire              f_acc, f_bias, f_relu, f_int8, f_out8, f_conv, f_fpool, error;
    wire              i_fp_keep, i_fp_dx0, i_fp_dxl, i_fp_dy0, i_fp_dyl;
    wire [6:0]        i_fp_pw;
    wire [7:0]        g_cin, g_in_h, g_in_w, g_out_w;
    wire [2:0]        g_kh, g_kw, g_sh, g_sw, g_padl;
    wire [8:0]        g_pitch;
    wire              w_clr, w_prep, w_lm_step, w_lm_rst, w_pix_rst, w_issue, ld_re;
    wire [LOG2K-1:0]  w_prep_lane;
    wire [12:0]       w_pix_ih0;
    wire [7:0]        ld_row;
    wire [15:0]       ld_word;
    wire              pl_re, pl_first, pl_last, pl_eof0, pl_eof1;
    wire [ACT_AW-1:0] pl_daddr;
    wire [3:0]        err_code;
    wire [CMD_AW-1:0] cur_desc;
    wire [31:0]       cnt_cycles, cnt_busy, cnt_macs, cnt_stalls;

    systolic_seq #(
        .K(K), .ACT_DEPTH(ACT_DEPTH), .WGT_DEPTH(WGT_DEPTH), .BQ_DEPTH(BQ_DEPTH),
        .OUT_DEPTH(OUT_DEPTH), .ACC_DEPTH(ACC_DEPTH), .CMD_DEPTH(CMD_DEPTH),
        .WIN_ROWS(WIN_ROWS), .WIN_BYTES(WIN_BYTES)
    ) u_seq (
        .clk(clk), .rst_n(rst_n), .start(start), .first_desc(first_desc), .end_desc({1'b0, first_desc} + num_desc),
        .cmd_re(cmd_re_s), .cmd_raddr(cmd_raddr_s), .cmd_rdata(cmd_rdata),
        .inflight(inflight),
        .act_re(act_re_s), .act_raddr(act_raddr_s), .wgt_re(wgt_re_s), .wgt_raddr(wgt_raddr_s),
        .w_row(w_row), .a_issue(a_issue), .t_krem(t_krem), .t_nrem(t_nrem), .t_sel(t_sel),
        .i_m(i_m), .i_first(i_first), .i_last(i_last), .i_eof0(i_eof0), .i_eof1(i_eof1),
        .i_caddr(i_caddr), .i_daddr(i_daddr), .i_bqaddr(i_bqaddr),
        .i_fp_keep(i_fp_keep), .i_fp_dx0(i_fp_dx0), .i_fp_dxl(i_fp_dxl), .i_fp_dy0(i_fp_dy0),
        .i_fp_dyl(i_fp_dyl), .i_fp_pw(i_fp_pw),
        .f_acc(f_acc), .f_bias(f_bias), .f_relu(f_relu), .f_int8(f_int8), .f_out8(f_out8), .f_conv(f_conv),
        .f_fpool(f_fpool),
        .g_cin(g_cin), .g_in_h(g_in_h), .g_in_w(g_in_w), .g_out_w(g_out_w), .g_kh(g_kh), .g_kw(g_kw),
        .g_stride_h(g_sh), .g_stride_w(g_sw), .g_pad_l(g_padl), .g_pitch(g_pitch),
        .w_clr(w_clr), .w_prep(w_prep), .w_prep_lane(w_prep_lane), .w_lm_step(w_lm_step),
        .w_lm_rst(w_lm_rst), .w_pix_rst(w_pix_rst), .w_pix_ih0(w_pix_ih0), .w_issue(w_issue),
        .ld_re(ld_re), .ld_row(ld_row), .ld_word(ld_word),
        .pl_re(pl_re), .pl_first(pl_first), .pl_last(pl_last), .pl_eof0(pl_eof0), .pl_eof1(pl_eof1),
        .pl_daddr(pl_daddr),
        .busy(busy), .done(done), .error(error), .err_code(err_code), .cur_desc(cur_desc),
        .cnt_cycles(cnt_cycles), .cnt_busy(cnt_busy), .cnt_macs(cnt_macs), .cnt_stalls(cnt_stalls)
    );

    // ------------------------------------------------------------------
    // scratchpads
    wire [AWW-1:0] act_rdata, wgt_rdata, aw_wdata;
    wire [VW-1:0]  bias_rdata, quant_rdata, out_rdata, acc_rdata, acc_wdata, om_wdata;
    wire           aw_we, om_we, om_re, bq_re, acc_re, acc_we;
    wire [ACT_AW-1:0] aw_waddr;
    wire [OUT_AW-1:0] om_waddr, om_raddr;
    wire [BQ_AW-1:0]  bq_raddr;
    wire [ACC_AW-1:0] acc_raddr, acc_waddr;

    systolic_ram #(.W(CMDW), .DEPTH(CMD_DEPTH)) u_cmd (
        .clk(clk),
        .we(mem_commit & hit_cmd), .waddr(w_cmd[CMD_AW-1:0]), .wdata(commit_c[CMDW-1:0]),
        .re(busy ? cmd_re_s : apb_rd_mem & hit_cmd),
        .raddr(busy ? cmd_raddr_s : w_cmd[CMD_AW-1:0]), .rdata(cmd_rdata)
    );
    systolic_ram #(.W(AWW), .DEPTH(ACT_DEPTH)) u_act (
        .clk(clk),
        .we(act_seq_we | (mem_commit & hit_act)),
        .waddr(act_seq_we ? aw_waddr : w_act[ACT_AW-1:0]),
        .wdata(act_seq_we ? aw_wdata : commit_a[AWW-1:0]),
        .re(act_seq_re | (apb_rd_mem & hit_act)),
        .raddr(act_seq_re ? act_raddr_s : w_act[ACT_AW-1:0]), .rdata(act_rdata)
    );
    systolic_ram #(.W(AWW), .DEPTH(WGT_DEPTH)) u_wgt (
        .clk(clk),
        .we(mem_commit & hit_wgt), .waddr(w_wgt[WGT_AW-1:0]), .wdata(commit_a[AWW-1:0]),
        .re(busy ? wgt_re_s : apb_rd_mem & hit_wgt),
        .raddr(busy ? wgt_raddr_s : w_wgt[WGT_AW-1:0]), .rdata(wgt_rdata)
    );
    systolic_ram #(.W(VW), .DEPTH(BQ_DEPTH)) u_bias (
        .clk(clk),
        .we(mem_commit & hit_bias), .waddr(w_bq[BQ_AW-1:0]), .wdata(commit_v[VW-1:0]),
        .re(busy ? bq_re : apb_rd_mem & hit_bias),
        .raddr(busy ? bq_raddr : w_bq[BQ_AW-1:0]), .rdata(bias_rdata)
    );
    systolic_ram #(.W(VW), .DEPTH(BQ_DEPTH)) u_quant (
        .clk(clk),
        .we(mem_commit & hit_quant), .waddr(w_bq[BQ_AW-1:0]), .wdata(commit_v[VW-1:0]),
        .re(busy ? bq_re : apb_rd_mem & hit_quant),
        .raddr(busy ? bq_raddr : w_bq[BQ_AW-1:0]), .rdata(quant_rdata)
    );
    systolic_ram #(.W(VW), .DEPTH(OUT_DEPTH)) u_out (
        .clk(clk),
        .we(out_seq_we | (mem_commit & hit_out)),
        .waddr(out_seq_we ? om_waddr : w_out[OUT_AW-1:0]),
        .wdata(out_seq_we ? om_wdata : commit_v[VW-1:0]),
        .re(out_seq_re | (apb_rd_mem & hit_out)),
        .raddr(out_seq_re ? om_raddr : w_out[OUT_AW-1:0]), .rdata(out_rdata)
    );
    systolic_ram #(.W(VW), .DEPTH(ACC_DEPTH)) u_acc (
        .clk(clk),
        .we(acc_we), .waddr(acc_waddr), .wdata(acc_wdata),
        .re(acc_re), .raddr(acc_raddr), .rdata(acc_rdata)
    );

    // ------------------------------------------------------------------
    // CONV window: LOAD writes ACT words into it; an issued pixel's A row leaves it the
    // cycle after the issue, as an ACT row leaves u_act
    wire [AWW-1:0] win_row;
    systolic_win #(.K(K), .WIN_ROWS(WIN_ROWS), .WIN_BYTES(WIN_BYTES)) u_win (
        .clk(clk), .rst_n(rst_n),
        .cin(g_cin), .in_h(g_in_h), .in_w(g_in_w), .out_w(g_out_w), .kh(g_kh), .kw(g_kw),
        .stride_h(g_sh), .stride_w(g_sw), .pad_l(g_padl), .pitch(g_pitch),
        .clr(w_clr), .prep(w_prep), .prep_lane(w_prep_lane), .lm_step(w_lm_step), .lm_rst(w_lm_rst),
        .pix_rst(w_pix_rst), .pix_ih0(w_pix_ih0), .issue(w_issue),
        .ld_re(ld_re), .ld_row(ld_row), .ld_word(ld_word), .ld_data(act_rdata),
        .a_row(win_row)
    );

    // ------------------------------------------------------------------
    // array feed: activation word masked to the tile's K rows (one register),
    // or the window's A row (CONV); weight row masked to the tile's rows and
    // columns (written on arrival)
    reg             am_v, am_sel;
    reg [LOG2K:0]   am_krem;
    reg             wm_v, wm_sel;
    reg [LOG2K-1:0] wm_row;
    reg [LOG2K:0]   wm_krem, wm_nrem;
    reg [AWW-1:0]   arr_a;
    reg             arr_sel;
    always @(posedge clk) begin
        if (!rst_n) begin
            am_v <= 1'b0; am_sel <= 1'b0; am_krem <= {(LOG2K + 1){1'b0}};
            wm_v <= 1'b0; wm_sel <= 1'b0; wm_row <= {LOG2K{1'b0}};
            wm_krem <= {(LOG2K + 1){1'b0}}; wm_nrem <= {(LOG2K + 1){1'b0}};
        end else begin
            am_v    <= a_issue;
            am_sel  <= t_sel;
            am_krem <= t_krem;
            wm_v    <= wgt_re_s;
            wm_sel  <= t_sel;
            wm_row  <= w_row;
            wm_krem <= t_krem;
            wm_nrem <= t_nrem;
        end
    end

    wire [AWW-1:0] act_masked, wgt_masked;
    genvar g;
    generate
        for (g = 0; g < K; g = g + 1) begin : g_mask
            localparam [LOG2K:0] LANE = g;
            assign act_masked[g*8 +: 8] = (am_v && LANE < am_krem) ? act_rdata[g*8 +: 8] : 8'd0;
            assign wgt_masked[g*8 +: 8] = ({1'b0, wm_row} < wm_krem && LANE < wm_nrem) ?
                                          wgt_rdata[g*8 +: 8] : 8'd0;
        end
    endgenerate

    always @(posedge clk) begin
        if (!rst_n) begin
            arr_a   <= {AWW{1'b0}};
            arr_sel <= 1'b0;
        end else begin
            arr_a   <= f_conv ? win_row : act_masked;
            arr_sel <= am_sel;
        end
    end

    wire [VW-1:0] arr_out;
    wire              pool_valid, pool_busy;
    wire [1:0]        pool_eof;
    wire [ACT_AW-1:0] pool_daddr;
    wire [VW-1:0]     pool_row;
    systolic_array #(.K(K)) u_array (
        .clk(clk), .rst_n(rst_n),
        .a_data(arr_a), .a_sel(arr_sel),
        .wl_we(wm_v), .wl_row(wm_row), .wl_buf(wm_sel), .wl_data(wgt_masked),
        .out_data(arr_out)
    );

    // ------------------------------------------------------------------
    // output pipeline
    systolic_post #(
        .K(K), .ACT_AW(ACT_AW), .OUT_AW(OUT_AW), .BQ_AW(BQ_AW), .ACC_AW(ACC_AW)
    ) u_post (
        .clk(clk), .rst_n(rst_n),
        .i_valid(a_issue), .i_m(i_m), .i_first(i_first), .i_last(i_last),
        .i_eof0(i_eof0), .i_eof1(i_eof1), .i_caddr(i_caddr), .i_daddr(i_daddr),
        .i_bqaddr(i_bqaddr), .i_nrem(t_nrem),
        .i_fp_keep(i_fp_keep), .i_fp_dx0(i_fp_dx0), .i_fp_dxl(i_fp_dxl), .i_fp_dy0(i_fp_dy0),
        .i_fp_dyl(i_fp_dyl), .i_fp_pw(i_fp_pw),
        .f_acc(f_acc), .f_bias(f_bias), .f_relu(f_relu), .f_int8(f_int8), .f_out8(f_out8), .f_fpool(f_fpool),
        .row(arr_out),
        .p_valid(pool_valid), .p_eof(pool_eof), .p_daddr(pool_daddr), .p_row(pool_row),
        .acc_re(acc_re), .acc_raddr(acc_raddr), .acc_rdata(acc_rdata),
        .acc_we(acc_we), .acc_waddr(acc_waddr), .acc_wdata(acc_wdata),
        .om_re(om_re), .om_raddr(om_raddr), .om_rdata(out_rdata),
        .om_we(om_we), .om_waddr(om_waddr), .om_wdata(om_wdata),
        .bq_re(bq_re), .bq_raddr(bq_raddr), .bias_rdata(bias_rdata), .quant_rdata(quant_rdata),
        .aw_we(aw_we), .aw_waddr(aw_waddr), .aw_wdata(aw_wdata),
        .out_valid(out_valid), .out_eof(out_eof), .out_data(out_data),
        .inflight(post_inflight)
    );

    // ------------------------------------------------------------------
    // POOL: lane-wise maximum of the ACT words read by the sequencer, into E4
    systolic_pool #(.K(K), .ACT_AW(ACT_AW)) u_pool (
        .clk(clk), .rst_n(rst_n),
        .i_re(pl_re), .i_first(pl_first), .i_last(pl_last), .i_eof0(pl_eof0), .i_eof1(pl_eof1),
        .i_daddr(pl_daddr), .i_nrem(t_nrem), .rdata(act_rdata),
        .o_valid(pool_valid), .o_eof(pool_eof), .o_daddr(pool_daddr), .o_row(pool_row), .busy(pool_busy)
    );
    assign inflight = post_inflight | pool_busy;

    always @(posedge clk) begin
        if (!rst_n || (start && !busy)) cnt_rows <= 32'd0;
        else if (out_valid)             cnt_rows <= cnt_rows + 32'd1;
    end

    // ------------------------------------------------------------------
    // APB read data: registers captured in the setup phase; memories are read
    // in the setup phase and the chunk is selected in the access phase
    wire [31:0] cur_desc32 = {{(32 - CMD_AW){1'b0}}, cur_desc};
    wire [31:0] err_code32 = {28'd0, err_code};
    wire [31:0] status_val = ({31'd0, busy}  << SYSTOLIC_STATUS_BUSY_LSB) |
                             ({31'd0, done}  << SYSTOLIC_STATUS_DONE_LSB) |
                             ({31'd0, error} << SYSTOLIC_STATUS_ERROR_LSB) |
                             (err_code32 << SYSTOLIC_STATUS_ERR_CODE_LSB) |
                             (cur_desc32 << SYSTOLIC_STATUS_CUR_DESC_LSB);
    reg  [31:0] rd_mux;
    always @* begin
        rd_mux = 32'd0;
        if (reg_id)     rd_mux = SYSTOLIC_ID_RESET;
        if (reg_par0)   rd_mux = PARAMS0_VAL;
        if (reg_par1)   rd_mux = PARAMS1_VAL;
        if (reg_par2)   rd_mux = PARAMS2_VAL;
        if (reg_ndesc)  rd_mux = ({{(31 - CMD_AW){1'b0}}, num_desc} << SYSTOLIC_NUM_DESC_COUNT_LSB) |
                                 ({{(32 - CMD_AW){1'b0}}, first_desc} << SYSTOLIC_NUM_DESC_FIRST_LSB);
        if (reg_status) rd_mux = status_val;
        if (reg_cycles) rd_mux = cnt_cycles;
        if (reg_busy)   rd_mux = cnt_busy;
        if (reg_macs)   rd_mux = cnt_macs;
        if (reg_stalls) rd_mux = cnt_stalls;
        if (reg_rows)   rd_mux = cnt_rows;
    end
    assign rd_val = rd_mux;

    reg [2:0]      rgn_q;
    reg [CH_W-1:0] chunk_q;
    always @(posedge clk) begin
        if (!rst_n) begin
            rgn_q   <= G_REG;
            chunk_q <= {CH_W{1'b0}};
        end else if (apb_setup) begin
            rgn_q   <= (hit_mem && (!mem_busy || hit_strm) && !pwrite) ? region : G_REG;   // memory reads only
            chunk_q <= chunk;
        end
    end
    // apb_rd_ok: set by the transfer's RAM read (issued at setup or in a waiting access
    // cycle), cleared by the next setup; until then PRDATA shows 0, not the sequencer's words
    always @(posedge clk) begin
        if (!rst_n) begin
            apb_rd_q  <= 1'b0;
            apb_rd_ok <= 1'b0;
        end else begin
            apb_rd_q  <= apb_rd_mem;
            if (apb_rd_mem)     apb_rd_ok <= 1'b1;
            else if (apb_setup) apb_rd_ok <= 1'b0;
        end
    end

    // read words zero-extended to XW bits
    wire [XW-1:0] cmd_x, act_x, wgt_x, bias_x, quant_x, out_x;
    generate
        if (XW > CMDW) begin : g_cmd_ext
            assign cmd_x = {{(XW - CMDW){1'b0}}, cmd_rdata};
        end else begin : g_cmd_full
            assign cmd_x = cmd_rdata;
        end
        if (XW > VW) begin : g_v_ext
            assign bias_x  = {{(XW - VW){1'b0}}, bias_rdata};
            assign quant_x = {{(XW - VW){1'b0}}, quant_rdata};
            assign out_x   = {{(XW - VW){1'b0}}, out_rdata};
        end else begin : g_v_full
            assign bias_x  = bias_rdata;
            assign quant_x = quant_rdata;
            assign out_x   = out_rdata;
        end
    endgenerate
    assign act_x = {{(XW - AWW){1'b0}}, act_rdata};
    assign wgt_x = {{(XW - AWW){1'b0}}, wgt_rdata};

    reg [XW-1:0] mem_x;
    always @* begin
        case (rgn_q)
            G_CMD:   mem_x = cmd_x;
            G_ACT:   mem_x = act_x;
            G_WGT:   mem_x = wgt_x;
            G_BIAS:  mem_x = bias_x;
            G_QUANT: mem_x = quant_x;
            G_OUT:   mem_x = out_x;
            default: mem_x = {XW{1'b0}};
        endcase
    end
    assign prdata = (rgn_q == G_REG || !apb_rd_ok) ? reg_q : mem_x[chunk_q*32 +: 32];

    // ------------------------------------------------------------------
    // assertions
`ifdef ASSERT_ON
    localparam SH_LAT = 2 * K + 5;   // issue -> E4: S+m+D+4 with D = 2K+1 (docs/systolic.md, "Timing")
    reg [SH_LAT:0]  sh_rows;         // sh_rows[j]: a row of a last k-tile was issued j+1 cycles ago
    reg [1:0]       sh_pool;         // sh_pool[j]: a POOL window's last word was read j+1 cycles ago
    reg             sh_busy;
    reg [CMD_AW:0]  sh_num_desc;
    reg [CMD_AW-1:0] sh_first_desc;
    always @(posedge clk) begin
        if (!rst_n) begin
            sh_rows <= {(SH_LAT + 1){1'b0}};
            sh_pool <= 2'b00;
            sh_busy <= 1'b0;
        end else begin
            sh_rows <= {sh_rows[SH_LAT-1:0], a_issue && i_last};
            sh_pool <= {sh_pool[0], pl_re && pl_last};
            sh_busy <= busy;
        end
        sh_num_desc   <= num_desc;
        sh_first_desc <= first_desc;
    end
`endif
    // the stream never stalls: a row leaves E4 exactly when its issue says (fused pooling: only
    // the window's last pixel, one stage later; POOL: 2 cycles after the window's last read)
    `ASSERT(StreamTiming_A, clk, rst_n, f_fpool ? (!out_valid || sh_rows[SH_LAT])
                                                : (out_valid == (sh_rows[SH_LAT-1] || sh_pool[1])))
    // APB while busy: the sequencer keeps every ACT and OUT port; a colliding APB access waits
    `ASSERT(SeqKeepsActWrite_A, clk, rst_n, !(act_seq_we && mem_commit && hit_act))
    `ASSERT(SeqKeepsOutWrite_A, clk, rst_n, !(out_seq_we && mem_commit && hit_out))
    `ASSERT(SeqKeepsActRead_A, clk, rst_n, !(act_seq_re && apb_rd_mem && hit_act))
    `ASSERT(SeqKeepsOutRead_A, clk, rst_n, !(out_seq_re && apb_rd_mem && hit_out))
    `ASSERT(NoMemWriteWhileBusy_A, clk, rst_n, !(mem_commit && mem_busy && !hit_strm))
    `ASSERT(NumDescFixedWhileBusy_A, clk, rst_n,
            !(sh_busy && busy) || (num_desc == sh_num_desc && first_desc == sh_first_desc))
endmodule
`default_nettype wire
