// APB3 master tasks shared by the plain testbenches (included inside a module that
// declares clk and the apb_* signals). Same timing as tb/common/apb.py: called just
// after a rising edge, setup for one cycle, access until PREADY (sampled once the
// edge's updates have settled), two cycles per transfer, back to back.
// Returns with the bus idle, just after the rising edge that ended the access phase.
task apb_xfer(input [31:0] addr, input [31:0] wdata, input write, output [31:0] rdata, output err);
    begin
        apb_paddr   <= addr[APB_AW-1:0];
        apb_pwrite  <= write;
        apb_pwdata  <= write ? wdata : 32'd0;
        apb_psel    <= 1'b1;
        apb_penable <= 1'b0;
        @(posedge clk);
        apb_penable <= 1'b1;
        #1;
        while (!apb_pready) begin
            @(posedge clk);
            #1;
        end
        rdata = write ? 32'd0 : apb_prdata;
        err   = apb_pslverr;
        @(posedge clk);
        apb_psel    <= 1'b0;
        apb_penable <= 1'b0;
        apb_transfers = apb_transfers + 1;
    end
endtask

task apb_write(input [31:0] addr, input [31:0] wdata);
    reg [31:0] rd;
    reg        e;
    begin
        apb_xfer(addr, wdata, 1'b1, rd, e);
        if (e) begin
            $display("PLAIN-TB ERROR: APB write %h <- %h: PSLVERR", addr, wdata);
            $fatal(1);
        end
    end
endtask

task apb_read(input [31:0] addr, output [31:0] rdata);
    reg e;
    begin
        apb_xfer(addr, 32'd0, 1'b0, rdata, e);
        if (e) begin
            $display("PLAIN-TB ERROR: APB read %h: PSLVERR", addr);
            $fatal(1);
        end
    end
endtask

// Every "<addr hex> <data hex>" line of a records file as one APB write, in order.
task apb_write_file(input [8*1024-1:0] path);
    integer fd, n;
    reg [31:0] a, d;
    begin
        fd = $fopen(path, "r");
        if (fd == 0) begin
            $display("PLAIN-TB ERROR: cannot open %0s", path);
            $fatal(1);
        end
        n = $fscanf(fd, "%h %h\n", a, d);
        while (n == 2) begin
            apb_write(a, d);
            n = $fscanf(fd, "%h %h\n", a, d);
        end
        $fclose(fd);
    end
endtask
