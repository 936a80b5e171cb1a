// Shared main of the systolic and top-level plain testbenches (tb/plain, no Python):
// idle every driven signal, run the command script (script.vh) from +SCRIPT, write the
// results to +OUT, report cycles and APB transfers, and finish.
    reg [8*1024-1:0] script_file, out_file;

    initial begin
        if (!$value$plusargs("SCRIPT=%s", script_file)) script_file = "script.txt";
        if (!$value$plusargs("OUT=%s", out_file)) out_file = "plain_out.hex";
        apb_transfers = 0;
        rst_n = 1'b0;
        apb_psel = 1'b0; apb_penable = 1'b0; apb_pwrite = 1'b0; apb_paddr = 0; apb_pwdata = 32'd0;
        ld_go = 1'b0; ld_sel = 3'd0; ld_count = 32'd0; dump_go = 1'b0; dump_sel = 3'd0; dump_count = 32'd0;
        cap_open = 1'b0; cap_close = 1'b0;
        run_script(script_file, out_file);
        $display("PLAIN-TB DONE cycles=%0d apb_transfers=%0d", $time / CLK_NS, apb_transfers);
        $finish;
    end
