// Testbench harness for accel_top: the DUT, backdoor $readmemh/$writememh access to
// the systolic scratchpads (files in +TOP_DIR), and capture of the accelerator's
// output rows, so cocotb programs over APB (or backdoor), starts, and awaits `done`.
//   ld_go   (rising edge): $readmemh(<dir>/<mem>.hex, dut.u_sys.u_<mem>.mem, 0, ld_count-1)
//   dump_go (rising edge): $writememh(<dir>/dump_<mem>.hex, dut.u_sys.u_<mem>.mem, 0, dump_count-1)
//   cap_open / cap_close (rising edges): open (truncate) / close <dir>/stream.txt
// Memory select: 0 cmd, 1 act, 2 wgt, 3 bias, 4 quant, 5 out. Not synthesizable (tb/ only).
`timescale 1ns/1ps
module top_harness #(
    parameter K           = 8,
    parameter ACT_DEPTH   = 16384,
    parameter WGT_DEPTH   = 16384,
    parameter BQ_DEPTH    = 256,
    parameter OUT_DEPTH   = 16384,
    parameter ACC_DEPTH   = 1024,
    parameter CMD_DEPTH   = 64,
    parameter N           = 8,
    parameter M           = 4,
    parameter FRAC_W      = 0,
    parameter IB_DEPTH    = 8,
    parameter FU_ROWS     = 4,
    parameter CACHE_DEPTH = 8,
    parameter TB_DEPTH    = 64,
    parameter MAX_CHAINS  = 8,
    parameter VSRU_FIRST  = 0,
    parameter TAP_DEPTH   = 256
) (
    input  wire        clk,
    input  wire        rst_n,
    input  wire        apb_psel,
    input  wire        apb_penable,
    input  wire        apb_pwrite,
    input  wire [23:0] apb_paddr,
    input  wire [31:0] apb_pwdata,
    output wire [31:0] apb_prdata,
    output wire        apb_pready,
    output wire        apb_pslverr,
    input  wire        ld_go,
    input  wire [2:0]  ld_sel,
    input  wire [31:0] ld_count,
    input  wire        dump_go,
    input  wire [2:0]  dump_sel,
    input  wire [31:0] dump_count,
    input  wire        cap_open,
    input  wire        cap_close,
    output wire        busy,
    output wire        done,
    output wire        idle
);
    reg [8*1024-1:0] dir;
    reg [8*1100-1:0] fname;
    integer          cap_fd;

    initial begin
        if (!$value$plusargs("TOP_DIR=%s", dir)) dir = ".";
        cap_fd = 0;
    end

    task automatic name_of(input [2:0] sel, input integer dump);
        reg [8*8-1:0] base;
        begin
            case (sel)
                3'd0: base = "cmd";
                3'd1: base = "act";
                3'd2: base = "wgt";
                3'd3: base = "bias";
                3'd4: base = "quant";
                default: base = "out";
            endcase
            if (dump) $sformat(fname, "%0s/dump_%0s.hex", dir, base);
            else      $sformat(fname, "%0s/%0s.hex", dir, base);
        end
    endtask

    always @(posedge ld_go) begin
        if (ld_count > 0) begin
            name_of(ld_sel, 0);
            case (ld_sel)
                3'd0: $readmemh(fname, dut.u_sys.u_cmd.mem, 0, ld_count - 1);
                3'd1: $readmemh(fname, dut.u_sys.u_act.mem, 0, ld_count - 1);
                3'd2: $readmemh(fname, dut.u_sys.u_wgt.mem, 0, ld_count - 1);
                3'd3: $readmemh(fname, dut.u_sys.u_bias.mem, 0, ld_count - 1);
                3'd4: $readmemh(fname, dut.u_sys.u_quant.mem, 0, ld_count - 1);
                default: $readmemh(fname, dut.u_sys.u_out.mem, 0, ld_count - 1);
            endcase
        end
    end

    always @(posedge dump_go) begin
        name_of(dump_sel, 1);
        if (dump_count > 0) begin
            case (dump_sel)
                3'd0: $writememh(fname, dut.u_sys.u_cmd.mem, 0, dump_count - 1);
                3'd1: $writememh(fname, dut.u_sys.u_act.mem, 0, dump_count - 1);
                3'd2: $writememh(fname, dut.u_sys.u_wgt.mem, 0, dump_count - 1);
                3'd3: $writememh(fname, dut.u_sys.u_bias.mem, 0, dump_count - 1);
                3'd4: $writememh(fname, dut.u_sys.u_quant.mem, 0, dump_count - 1);
                default: $writememh(fname, dut.u_sys.u_out.mem, 0, dump_count - 1);
            endcase
        end
    end

    always @(posedge cap_open) begin
        if (cap_fd != 0) $fclose(cap_fd);
        $sformat(fname, "%0s/stream.txt", dir);
        cap_fd = $fopen(fname, "w");
    end

    always @(posedge cap_close) begin
        if (cap_fd != 0) $fclose(cap_fd);
        cap_fd = 0;
    end

    always @(posedge clk) begin
        if (dut.st_valid && cap_fd != 0) $fwrite(cap_fd, "%h %h\n", dut.st_eof, dut.st_data);
    end

    accel_top #(
        .K(K), .ACT_DEPTH(ACT_DEPTH), .WGT_DEPTH(WGT_DEPTH), .BQ_DEPTH(BQ_DEPTH), .OUT_DEPTH(OUT_DEPTH),
        .ACC_DEPTH(ACC_DEPTH), .CMD_DEPTH(CMD_DEPTH), .N(N), .M(M), .FRAC_W(FRAC_W), .IB_DEPTH(IB_DEPTH),
        .FU_ROWS(FU_ROWS), .CACHE_DEPTH(CACHE_DEPTH), .TB_DEPTH(TB_DEPTH), .MAX_CHAINS(MAX_CHAINS),
        .VSRU_FIRST(VSRU_FIRST), .TAP_DEPTH(TAP_DEPTH)
    ) dut (
        .clk(clk), .rst_n(rst_n),
        .psel(apb_psel), .penable(apb_penable), .pwrite(apb_pwrite), .paddr(apb_paddr),
        .pwdata(apb_pwdata), .prdata(apb_prdata), .pready(apb_pready), .pslverr(apb_pslverr),
        .busy(busy), .done(done), .idle(idle)
    );
endmodule
