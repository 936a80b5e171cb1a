// Command-script interpreter shared by systolic_plain_tb and top_plain_tb. The
// including module declares clk, rst_n, the apb_* and ld_/dump_ signals and a task
// run_accel(ctrl_addr, start_word) (capture, start, wait for done). One command a line, three hex fields:
//   0 n 0         reset: rst_n low for 3 cycles, then n cycles        (TB.reset)
//   1 sel count   backdoor $readmemh of <dir>/<mem>.hex                (TB.load / backdoor)
//   2 addr data   APB write                                            (TB.apb.write)
//   3 addr 0      APB read, the word appended to +OUT                  (TB.apb.read)
//   4 addr data   run_accel: the start write is APB addr <- data       (TB.execute / TB.run)
//   5 sel count   backdoor $writememh to <dir>/dump_<mem>.hex          (TB.dump)
task pulse_ld;
    begin
        ld_go <= 1'b1;
        @(posedge clk);
        ld_go <= 1'b0;
        @(posedge clk);
    end
endtask

task pulse_dump;
    begin
        dump_go <= 1'b1;
        @(posedge clk);
        dump_go <= 1'b0;
        @(posedge clk);
    end
endtask

task run_script(input [8*1024-1:0] path, input [8*1024-1:0] out_path);
    integer fd, ofd, n, lines;
    reg [31:0] op, a, b, word;
    begin
        fd = $fopen(path, "r");
        if (fd == 0) begin
            $display("PLAIN-TB ERROR: cannot open %0s", path);
            $fatal(1);
        end
        ofd = $fopen(out_path, "w");
        lines = 0;
        n = $fscanf(fd, "%h %h %h\n", op, a, b);
        while (n == 3) begin
            lines = lines + 1;
            case (op)
                0: begin
                    rst_n <= 1'b0;
                    repeat (3) @(posedge clk);
                    rst_n <= 1'b1;
                    repeat (a) @(posedge clk);
                end
                1: begin
                    ld_sel <= a[2:0];
                    ld_count <= b;
                    pulse_ld;
                end
                2: apb_write(a, b);
                3: begin
                    apb_read(a, word);
                    $fdisplay(ofd, "%h", word);
                end
                4: run_accel(a, b);
                5: begin
                    dump_sel <= a[2:0];
                    dump_count <= b;
                    pulse_dump;
                end
                default: begin
                    $display("PLAIN-TB ERROR: %0s:%0d: unknown command %h", path, lines, op);
                    $fatal(1);
                end
            endcase
            n = $fscanf(fd, "%h %h %h\n", op, a, b);
        end
        $fclose(fd);
        $fclose(ofd);
    end
endtask
