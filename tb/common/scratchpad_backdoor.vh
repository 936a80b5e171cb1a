// Shared by the systolic and top-level harnesses (tb/ only): backdoor $readmemh loads and
// $writememh dumps of the systolic scratchpads, and capture of the output row stream.
// The includer defines SPAD_ROOT (instance holding u_cmd, u_act, ...), SPAD_DIR_ARG (the
// plusarg naming the file directory) and CAP_VALID / CAP_EOF / CAP_DATA (the stream), and
// has ports ld_go/ld_sel/ld_count, dump_go/dump_sel/dump_count, cap_open/cap_close.
//   ld_go   (rising edge): $readmemh(<dir>/<mem>.hex, SPAD_ROOT.u_<mem>.mem, 0, ld_count-1)
//   dump_go (rising edge): $writememh(<dir>/dump_<mem>.hex, SPAD_ROOT.u_<mem>.mem, 0, dump_count-1)
//   cap_open / cap_close (rising edges): open (truncate) / close <dir>/stream.txt
// Memory select: 0 cmd, 1 act, 2 wgt, 3 bias, 4 quant, 5 out.
    reg [8*1024-1:0] dir;
    reg [8*1100-1:0] fname;
    integer          cap_fd;

    initial begin
        if (!$value$plusargs(`SPAD_DIR_ARG, dir)) dir = ".";
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
                3'd0: $readmemh(fname, `SPAD_ROOT.u_cmd.mem, 0, ld_count - 1);
                3'd1: $readmemh(fname, `SPAD_ROOT.u_act.mem, 0, ld_count - 1);
                3'd2: $readmemh(fname, `SPAD_ROOT.u_wgt.mem, 0, ld_count - 1);
                3'd3: $readmemh(fname, `SPAD_ROOT.u_bias.mem, 0, ld_count - 1);
                3'd4: $readmemh(fname, `SPAD_ROOT.u_quant.mem, 0, ld_count - 1);
                default: $readmemh(fname, `SPAD_ROOT.u_out.mem, 0, ld_count - 1);
            endcase
        end
    end

    always @(posedge dump_go) begin
        name_of(dump_sel, 1);
        if (dump_count > 0) begin
            case (dump_sel)
                3'd0: $writememh(fname, `SPAD_ROOT.u_cmd.mem, 0, dump_count - 1);
                3'd1: $writememh(fname, `SPAD_ROOT.u_act.mem, 0, dump_count - 1);
                3'd2: $writememh(fname, `SPAD_ROOT.u_wgt.mem, 0, dump_count - 1);
                3'd3: $writememh(fname, `SPAD_ROOT.u_bias.mem, 0, dump_count - 1);
                3'd4: $writememh(fname, `SPAD_ROOT.u_quant.mem, 0, dump_count - 1);
                default: $writememh(fname, `SPAD_ROOT.u_out.mem, 0, dump_count - 1);
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
        if (`CAP_VALID && cap_fd != 0) $fwrite(cap_fd, "%h %h\n", `CAP_EOF, `CAP_DATA);
    end
