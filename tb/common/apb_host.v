// APB3 master of every testbench harness (tb/ only): the one APB timing of the project.
// Requests come from the host port (cocotb's HostPort driver) or from the job engine
// (PROG record replay and read-back); both pass through here, so every path counts the
// same cycles. A transfer is a setup cycle and an access cycle plus the slave's wait
// states; a request accepted while a transfer completes follows it back to back (PSEL
// stays high, a new setup phase starts).
`default_nettype none
module apb_host #(
    parameter ADDR_W = 24  // width of paddr: the slave's address bus
) (
    input  wire              clk,
    input  wire              rst_n,
    input  wire              req_valid,  // a request is presented
    output wire              req_ready,  // it is accepted at a rising edge where both are high
    input  wire              req_write,
    input  wire [ADDR_W-1:0] req_addr,
    input  wire [31:0]       req_wdata,
    output reg               rsp_valid,  // high for one cycle after the transfer completed
    output reg  [31:0]       rsp_rdata,  // read data (0 for writes)
    output reg               rsp_err,    // PSLVERR of the completed transfer
    output reg               psel,
    output reg               penable,
    output reg               pwrite,
    output reg  [ADDR_W-1:0] paddr,
    output reg  [31:0]       pwdata,
    input  wire [31:0]       prdata,
    input  wire              pready,
    input  wire              pslverr
);
    wire completing = psel & penable & pready;

    assign req_ready = ~psel | completing;

    always @(posedge clk) begin
        if (!rst_n) begin
            rsp_valid <= 1'b0;
            rsp_rdata <= 32'd0;
            rsp_err   <= 1'b0;
            psel      <= 1'b0;
            penable   <= 1'b0;
            pwrite    <= 1'b0;
            paddr     <= {ADDR_W{1'b0}};
            pwdata    <= 32'd0;
        end else begin
            rsp_valid <= completing;
            if (completing) begin
                rsp_rdata <= pwrite ? 32'd0 : prdata;
                rsp_err   <= pslverr;
            end
            if (req_valid && req_ready) begin
                psel    <= 1'b1;
                penable <= 1'b0;
                pwrite  <= req_write;
                paddr   <= req_addr;
                pwdata  <= req_write ? req_wdata : 32'd0;
            end else if (psel && !penable) begin
                penable <= 1'b1;
            end else if (completing) begin
                psel    <= 1'b0;
                penable <= 1'b0;
                pwrite  <= 1'b0;
                pwdata  <= 32'd0;
            end
        end
    end
endmodule
`default_nettype wire
