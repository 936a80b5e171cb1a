// Testbench harness for lebug: the DUT plus a stimulus player that replays input
// vectors from $readmemh files, so cocotb only programs, starts and awaits `stim_done`.
// Not synthesizable (tb/ only).
`timescale 1ns/1ps
module lebug_harness #(
    parameter N = 8,
    parameter M = 4,
    parameter DATA_W = 32,
    parameter FRAC_W = 0,
    parameter IB_DEPTH = 8,
    parameter FU_ROWS = 4,
    parameter CACHE_DEPTH = 8,
    parameter TB_DEPTH = 64,
    parameter MAX_CHAINS = 8,
    parameter VSRU_FIRST = 0,
    parameter STIM_DEPTH = 65536
) (
    input  wire               clk,
    input  wire               rst_n,
    input  wire               apb_psel,
    input  wire               apb_penable,
    input  wire               apb_pwrite,
    input  wire [19:0]        apb_paddr,
    input  wire [31:0]        apb_pwdata,
    output wire [31:0]        apb_prdata,
    output wire               apb_pready,
    output wire               apb_pslverr,
    input  wire               stim_load,   // rising edge: load stim_count entries from the files
    input  wire [31:0]        stim_count,
    input  wire               stim_start,  // level: start playing (sampled while not running)
    output reg                stim_done,
    output reg  [31:0]        stim_cycles, // cycles from start to the last push
    output wire               idle
);
    // stim_ctl word: [1:0] eof, [2] fire (present regardless of in_ready), [31:16] idle cycles before
    reg [N*DATA_W-1:0] stim_data [0:STIM_DEPTH-1];
    reg [31:0]         stim_ctl  [0:STIM_DEPTH-1];
    reg [8*1024-1:0]   data_file;
    reg [8*1024-1:0]   ctl_file;

    initial begin
        if (!$value$plusargs("STIM_DATA=%s", data_file)) data_file = "stim_data.hex";
        if (!$value$plusargs("STIM_CTL=%s", ctl_file)) ctl_file = "stim_ctl.hex";
    end

    always @(posedge stim_load) begin
        if (stim_count > 0) begin
            $readmemh(data_file, stim_data, 0, stim_count - 1);
            $readmemh(ctl_file, stim_ctl, 0, stim_count - 1);
        end
    end

    reg        running;
    reg [31:0] idx;
    reg [15:0] gap;
    wire       in_ready;
    wire [31:0] ctl = stim_ctl[idx];
    wire       present = running && (gap == 16'd0) && (ctl[2] || in_ready);

    always @(posedge clk) begin
        if (!rst_n) begin
            running <= 1'b0;
            idx <= 32'd0;
            gap <= 16'd0;
            stim_done <= 1'b0;
            stim_cycles <= 32'd0;
        end else if (!running) begin
            if (stim_start && stim_count > 0) begin
                running <= 1'b1;
                idx <= 32'd0;
                gap <= stim_ctl[0][31:16];
                stim_done <= 1'b0;
                stim_cycles <= 32'd0;
            end
        end else begin
            stim_cycles <= stim_cycles + 32'd1;
            if (gap != 16'd0) begin
                gap <= gap - 16'd1;
            end else if (present) begin
                if (idx + 1 == stim_count) begin
                    running <= 1'b0;
                    stim_done <= 1'b1;
                end else begin
                    idx <= idx + 32'd1;
                    gap <= stim_ctl[idx + 1][31:16];
                end
            end
        end
    end

    lebug #(
        .N(N), .M(M), .DATA_W(DATA_W), .FRAC_W(FRAC_W), .IB_DEPTH(IB_DEPTH), .FU_ROWS(FU_ROWS),
        .CACHE_DEPTH(CACHE_DEPTH), .TB_DEPTH(TB_DEPTH), .MAX_CHAINS(MAX_CHAINS),
        .VSRU_FIRST(VSRU_FIRST), .APB_ADDR_W(20)
    ) dut (
        .clk(clk), .rst_n(rst_n),
        .in_valid(present), .in_ready(in_ready), .in_eof(ctl[1:0]), .in_data(stim_data[idx]),
        .psel(apb_psel), .penable(apb_penable), .pwrite(apb_pwrite), .paddr(apb_paddr),
        .pwdata(apb_pwdata), .prdata(apb_prdata), .pready(apb_pready), .pslverr(apb_pslverr),
        .idle(idle)
    );
endmodule
