// CONV window of the systolic block (docs/systolic.md, "CONV: implicit GEMM").
// WIN_ROWS rows of WIN_BYTES bytes, stored as K copies of one systolic_ram of
// WIN_ROWS*WIN_BYTES/K words of K bytes (word j of row s at s*WIN_BYTES/K + j); a LOAD
// writes all copies at once, and copy l is lane l's read port.
// Lane map: lane l holds (ky, kx, c) of inner index k = kt*K + l and off = kx*P + c (byte
// offset of its tap in a window row). PREP steps a mixed-radix counter (c, kx, ky) once a
// cycle from 0 and lane l takes its state in PREP cycle l; after K steps the counter holds
// K in that radix, which lm_step adds to every lane (next k-tile); lm_rst restores the lane
// map of k-tile 0.
// Pixel: (ow, window row of oh, input row of oh, input column and its byte offset of ow),
// reset to pixel 0 of the block by pix_rst and advanced by each issue (ow fastest).
// Issue cycle t: lane l reads its copy at row oh_rel*stride_h + ky, word
// ((ow*stride_w - pad_l + kx)*P + c) / K; cycle t+1: a_row lane l is that word's byte, or 0
// when k >= kd (ky >= kh) or the input row or column is outside the image (padding).
`default_nettype none
module systolic_win #(
    parameter K         = 8,                              // lanes
    parameter WIN_ROWS  = 16,                             // window rows
    parameter WIN_BYTES = 128,                            // bytes of a window row (power of 2, >= K)
    parameter LOG2K     = $clog2(K),                      // derived: lane index bits
    parameter XB        = $clog2(WIN_BYTES),              // derived: byte index bits of a row
    parameter JW        = XB - LOG2K,                     // derived: word index bits of a row
    parameter WDEPTH    = WIN_ROWS * (WIN_BYTES / K),     // derived: words of one copy
    parameter WAW       = (WDEPTH > 1) ? $clog2(WDEPTH) : 1  // derived: its address bits
) (
    input  wire             clk,
    input  wire             rst_n,
    // geometry of the CONV descriptor (constant from DECODE to the end of DRAIN)
    input  wire [7:0]       cin,
    input  wire [7:0]       in_h,
    input  wire [7:0]       in_w,
    input  wire [7:0]       out_w,
    input  wire [2:0]       kh,
    input  wire [2:0]       kw,
    input  wire [2:0]       stride_h,
    input  wire [2:0]       stride_w,
    input  wire [2:0]       pad_l,
    input  wire [8:0]       pitch,        // P: bytes per input pixel
    // lane map
    input  wire             clr,          // counter to 0
    input  wire             prep,         // lane prep_lane takes the counter, which steps
    input  wire [LOG2K-1:0] prep_lane,
    input  wire             lm_step,      // every lane += K (next k-tile)
    input  wire             lm_rst,       // lane map of k-tile 0
    // pixel
    input  wire             pix_rst,      // pixel 0 of the block next
    input  wire [12:0]      pix_ih0,      // signed: input row of window row 0
    input  wire             issue,        // read the window for the current pixel, then advance
    // LOAD: ACT word ld_data (the cycle after ld_re) into row ld_row, word ld_word
    input  wire             ld_re,
    input  wire [7:0]       ld_row,
    input  wire [15:0]      ld_word,
    input  wire [K*8-1:0]   ld_data,
    // the A row (the cycle after issue; 0 otherwise)
    output wire [K*8-1:0]   a_row
);
    // per-descriptor constants, registered in PREP
    /* verilator lint_off UNUSEDSIGNAL */
    // 32-bit products, registered below at their widths (upper bits 0: excluded from toggle
    // coverage, docs/verification.md "Code coverage"; likewise ld_a32, off32, x32, ra32)
    /* verilator coverage_off */
    wire [31:0] kwp32   = {29'd0, kw} * {23'd0, pitch};
    wire [31:0] padlp32 = {29'd0, pad_l} * {23'd0, pitch};
    wire [31:0] swp32   = {29'd0, stride_w} * {23'd0, pitch};
    /* verilator coverage_on */
    /* verilator lint_on UNUSEDSIGNAL */
    wire [8:0]  pmc     = pitch - {1'b0, cin};        // P - C
    reg  [11:0]   kwp;                                // kw * P
    reg  [XB-1:0] padlp, swp;                         // pad_l * P, stride_w * P (mod 2^XB)
    always @(posedge clk) begin
        if (!rst_n) begin
            kwp   <= 12'd0;
            padlp <= {XB{1'b0}};
            swp   <= {XB{1'b0}};
        end else if (prep) begin
            kwp   <= kwp32[11:0];
            padlp <= padlp32[XB-1:0];
            swp   <= swp32[XB-1:0];
        end
    end

    // ------------------------------------------------------------------
    // mixed-radix counter (c, kx, ky) and off = kx*P + c
    reg  [7:0]  cc;
    reg  [2:0]  ckx;
    reg  [5:0]  cky;
    reg  [11:0] coff;
    wire [7:0]  cc1    = cc + 8'd1;
    wire        cwrap  = (cc1 == cin);
    wire [2:0]  ckx1   = ckx + 3'd1;
    wire        xwrap  = cwrap && (ckx1 == kw);
    always @(posedge clk) begin
        if (!rst_n || clr) begin
            cc <= 8'd0; ckx <= 3'd0; cky <= 6'd0; coff <= 12'd0;
        end else if (prep) begin
            cc   <= cwrap ? 8'd0 : cc1;
            ckx  <= xwrap ? 3'd0 : (cwrap ? ckx1 : ckx);
            cky  <= cky + {5'd0, xwrap};
            coff <= xwrap ? 12'd0 : coff + 12'd1 + (cwrap ? {3'd0, pmc} : 12'd0);
        end
    end

    // ------------------------------------------------------------------
    // pixel
    reg  [7:0]    ow;
    reg  [8:0]    ps;          // window row of tap ky=0
    reg  [12:0]   pih, piw;    // signed: input row (ky=0) and column (kx=0)
    reg  [XB-1:0] px;          // byte offset of column piw in a row (mod 2^XB)
    wire          ow_last = (ow == out_w - 8'd1);
    always @(posedge clk) begin
        if (!rst_n) begin
            ow <= 8'd0; ps <= 9'd0; pih <= 13'd0; piw <= 13'd0; px <= {XB{1'b0}};
        end else if (pix_rst) begin
            ow  <= 8'd0;
            ps  <= 9'd0;
            pih <= pix_ih0;
            piw <= 13'd0 - {10'd0, pad_l};
            px  <= {XB{1'b0}} - padlp;
        end else if (issue) begin
            if (ow_last) begin
                ow  <= 8'd0;
                ps  <= ps + {6'd0, stride_h};
                pih <= pih + {10'd0, stride_h};
                piw <= 13'd0 - {10'd0, pad_l};
                px  <= {XB{1'b0}} - padlp;
            end else begin
                ow  <= ow + 8'd1;
                piw <= piw + {10'd0, stride_w};
                px  <= px + swp;
            end
        end
    end

    // ------------------------------------------------------------------
    // LOAD write, one cycle after the ACT read
    reg           wr_v;
    reg [WAW-1:0] wr_a;
    /* verilator lint_off UNUSEDSIGNAL */
    /* verilator coverage_off */
    wire [31:0]   ld_a32 = ({24'd0, ld_row} << JW) + {16'd0, ld_word};
    /* verilator coverage_on */
    /* verilator lint_on UNUSEDSIGNAL */
    always @(posedge clk) begin
        if (!rst_n) begin
            wr_v <= 1'b0;
            wr_a <= {WAW{1'b0}};
        end else begin
            wr_v <= ld_re;
            wr_a <= ld_a32[WAW-1:0];
        end
    end

    // ------------------------------------------------------------------
    // lanes
    genvar l;
    generate
        for (l = 0; l < K; l = l + 1) begin : g_lane
            localparam [31:0]      L32 = l;
            localparam [LOG2K-1:0] LI  = L32[LOG2K-1:0];
            // lane map: k-tile 0 (b*) and the current k-tile
            reg [7:0]  bc, lc;
            reg [2:0]  bkx, lkx;
            reg [5:0]  bky, lky;
            reg [11:0] boff, loff;
            // current + K in the radix (C, kw)
            /* verilator lint_off UNUSEDSIGNAL */
            wire [8:0]  csum = {1'b0, lc} + {1'b0, cc};
            wire        cw   = (csum >= {1'b0, cin});
            wire [8:0]  cn   = cw ? csum - {1'b0, cin} : csum;
            wire [3:0]  xs   = {1'b0, lkx} + {1'b0, ckx} + {3'd0, cw};
            wire        xw   = (xs >= {1'b0, kw});
            wire [3:0]  xn   = xw ? xs - {1'b0, kw} : xs;
            wire [5:0]  yn   = lky + cky + {5'd0, xw};
            /* verilator lint_on UNUSEDSIGNAL */
            wire [11:0] on   = loff + coff + (cw ? {3'd0, pmc} : 12'd0) - (xw ? kwp : 12'd0);
            always @(posedge clk) begin
                if (!rst_n) begin
                    bc <= 8'd0; bkx <= 3'd0; bky <= 6'd0; boff <= 12'd0;
                    lc <= 8'd0; lkx <= 3'd0; lky <= 6'd0; loff <= 12'd0;
                end else if (prep && prep_lane == LI) begin
                    bc <= cc; bkx <= ckx; bky <= cky; boff <= coff;
                    lc <= cc; lkx <= ckx; lky <= cky; loff <= coff;
                end else if (lm_rst) begin
                    lc <= bc; lkx <= bkx; lky <= bky; loff <= boff;
                end else if (lm_step) begin
                    lc <= cn[7:0]; lkx <= xn[2:0]; lky <= yn; loff <= on;
                end
            end

            // the tap of the current pixel
            wire [12:0] ih = pih + {7'd0, lky};
            wire [12:0] iw = piw + {10'd0, lkx};
            wire        v  = (lky < {3'd0, kh}) && !ih[12] && (ih < {5'd0, in_h}) &&
                             !iw[12] && (iw < {5'd0, in_w});
            /* verilator lint_off UNUSEDSIGNAL */
            wire [8:0]  s    = ps + {3'd0, lky};
            /* verilator coverage_off */
            wire [31:0] off32 = {20'd0, loff};
            wire [31:0] x32  = {{(32 - XB){1'b0}}, px + off32[XB-1:0]};
            wire [31:0] ra32 = ({23'd0, s} << JW) + (x32 >> LOG2K);
            /* verilator coverage_on */
            /* verilator lint_on UNUSEDSIGNAL */
            wire [K*8-1:0] rd;
            systolic_ram #(.W(K * 8), .DEPTH(WDEPTH)) u_ram (
                .clk(clk),
                .we(wr_v), .waddr(wr_a), .wdata(ld_data),
                .re(issue && v), .raddr(ra32[WAW-1:0]), .rdata(rd)
            );
            reg             q_v;
            reg [LOG2K-1:0] q_sel;
            always @(posedge clk) begin
                if (!rst_n) begin
                    q_v   <= 1'b0;
                    q_sel <= {LOG2K{1'b0}};
                end else begin
                    q_v   <= issue && v;
                    q_sel <= x32[LOG2K-1:0];
                end
            end
            assign a_row[l*8 +: 8] = q_v ? rd[q_sel*8 +: 8] : 8'd0;
        end
    endgenerate
endmodule
`default_nettype wire
