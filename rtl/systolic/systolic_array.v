// K x K weight-stationary systolic array with input skew and output de-skew.
// Activations enter on the left (lane r -> PE row r) and move right; partial
// sums move down; column c's sum leaves the bottom row. Lane r of the input is
// delayed r cycles (skew); column c of the output is delayed K-1-c cycles
// (de-skew). An activation word presented in cycle t (a_data, a_sel) gives its
// output row in cycle t + 2K - 1 (out_data, combinational from registers).
// PE(r, c) multiplies the word's lane r during cycle t + r + c.
// Weight load: in a cycle with wl_we, PE row wl_row stores wl_data lane c into
// weight register wl_buf of PE(wl_row, c); it is used from the next cycle.
`default_nettype none
module systolic_array #(
    parameter K     = 8,                     // array size (K x K PEs)
    parameter LOG2K = $clog2(K)              // derived: row index bits
) (
    input  wire             clk,
    input  wire             rst_n,
    input  wire [K*8-1:0]   a_data,
    input  wire             a_sel,
    input  wire             wl_we,
    input  wire [LOG2K-1:0] wl_row,
    input  wire             wl_buf,
    input  wire [K*8-1:0]   wl_data,
    output wire [K*32-1:0]  out_data
);
    // PE interconnect: a/sel to the right of PE(r,c) at index r*(K+1)+c+1,
    // psum below PE(r,c) at index (r+1)*K+c.
    wire [7:0]  a_h   [0:K*(K+1)-1];
    wire        sel_h [0:K*(K+1)-1];
    wire [31:0] p_v   [0:(K+1)*K-1];

    genvar r, c;
    generate
        // input skew: lane r delayed r cycles
        for (r = 0; r < K; r = r + 1) begin : g_skew
            if (r == 0) begin : g_direct
                assign a_h[0]   = a_data[7:0];
                assign sel_h[0] = a_sel;
            end else begin : g_delay
                // sh[j*9 +: 9] = {sel, a} of lane r, j+1 cycles ago
                reg [9*r-1:0] sh;
                if (r == 1) begin : g_one
                    always @(posedge clk) begin
                        if (!rst_n) sh <= 9'd0;
                        else        sh <= {a_sel, a_data[r*8 +: 8]};
                    end
                end else begin : g_many
                    always @(posedge clk) begin
                        if (!rst_n) sh <= {(9*r){1'b0}};
                        else        sh <= {sh[9*(r-1)-1:0], a_sel, a_data[r*8 +: 8]};
                    end
                end
                assign a_h[r*(K+1)]   = sh[9*(r-1) +: 8];
                assign sel_h[r*(K+1)] = sh[9*(r-1) + 8];
            end
        end

        for (c = 0; c < K; c = c + 1) begin : g_top
            assign p_v[c] = 32'd0;
        end

        for (r = 0; r < K; r = r + 1) begin : g_row
            localparam [31:0]      R32 = r;
            localparam [LOG2K-1:0] RI  = R32[LOG2K-1:0];
            wire row_we = wl_we && (wl_row == RI);
            for (c = 0; c < K; c = c + 1) begin : g_col
                systolic_pe u_pe (
                    .clk(clk), .rst_n(rst_n),
                    .wl_we(row_we), .wl_buf(wl_buf), .wl_data(wl_data[c*8 +: 8]),
                    .a_in(a_h[r*(K+1)+c]), .sel_in(sel_h[r*(K+1)+c]), .p_in(p_v[r*K+c]),
                    .a_out(a_h[r*(K+1)+c+1]), .sel_out(sel_h[r*(K+1)+c+1]),
                    .p_out(p_v[(r+1)*K+c])
                );
            end
        end

        // output de-skew: column c delayed K-1-c cycles
        for (c = 0; c < K; c = c + 1) begin : g_deskew
            if (c == K - 1) begin : g_direct
                assign out_data[c*32 +: 32] = p_v[K*K+c];
            end else begin : g_delay
                localparam DL = K - 1 - c;
                // sh[j*32 +: 32] = column c output j+1 cycles ago
                reg [32*DL-1:0] sh;
                if (DL == 1) begin : g_one
                    always @(posedge clk) begin
                        if (!rst_n) sh <= 32'd0;
                        else        sh <= p_v[K*K+c];
                    end
                end else begin : g_many
                    always @(posedge clk) begin
                        if (!rst_n) sh <= {(32*DL){1'b0}};
                        else        sh <= {sh[32*(DL-1)-1:0], p_v[K*K+c]};
                    end
                end
                assign out_data[c*32 +: 32] = sh[32*(DL-1) +: 32];
            end
        end
    endgenerate
endmodule
`default_nettype wire
