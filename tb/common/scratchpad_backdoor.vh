// Shared by the systolic and top-level harnesses (tb/ only): backdoor $readmemh loads and
// $writememh dumps of the systolic scratchpads, and capture of the output row stream, as
// the job's LOAD and DUMP hooks (tb/common/job_engine.v). Included after
// harness_core.vh (job_load_go, job_dump_go, job_hdr, job_dir, job_fname); the includer
// defines
//   SPAD_ROOT                     the instance holding u_cmd, u_act, u_wgt, u_bias, u_quant, u_out
//   CAP_VALID, CAP_EOF, CAP_DATA  the output row stream
// Header words (job.hex; tb/systolic/jobs.py SPAD_ORDER):
//   8..13   words to load into cmd, act, wgt, bias, quant, out (0: none)
//   14..19  words to dump from cmd, act, wgt, bias, quant, out (0: none)
// LOAD (job_load_go): $readmemh(<job_dir>/<mem>.hex, SPAD_ROOT.u_<mem>.mem, 0, count-1) for
//   every memory with a load count; open (truncate) <job_dir>/stream.txt. From then on every
//   output row is appended to it as "<eof hex> <data hex>".
// DUMP (job_dump_go): $writememh(<job_dir>/dump_<mem>.hex, SPAD_ROOT.u_<mem>.mem, 0, count-1)
//   for every memory with a dump count; close stream.txt.
    wire [31:0] spad_ld_cmd   = job_hdr[0*32 +: 32];
    wire [31:0] spad_ld_act   = job_hdr[1*32 +: 32];
    wire [31:0] spad_ld_wgt   = job_hdr[2*32 +: 32];
    wire [31:0] spad_ld_bias  = job_hdr[3*32 +: 32];
    wire [31:0] spad_ld_quant = job_hdr[4*32 +: 32];
    wire [31:0] spad_ld_out   = job_hdr[5*32 +: 32];
    wire [31:0] spad_dp_cmd   = job_hdr[6*32 +: 32];
    wire [31:0] spad_dp_act   = job_hdr[7*32 +: 32];
    wire [31:0] spad_dp_wgt   = job_hdr[8*32 +: 32];
    wire [31:0] spad_dp_bias  = job_hdr[9*32 +: 32];
    wire [31:0] spad_dp_quant = job_hdr[10*32 +: 32];
    wire [31:0] spad_dp_out   = job_hdr[11*32 +: 32];
    integer     cap_fd;
    // no RUN hook: the DUT starts on the job's START write (CTRL.start)
    /* verilator lint_off UNUSEDSIGNAL */
    wire        spad_run_go = job_run_go;
    /* verilator lint_on UNUSEDSIGNAL */

    initial cap_fd = 0;

    // one block for both hooks: job_fname and cap_fd have a single writer; file handles
    // are assigned at once (blocking), nothing here is synthesized
    /* verilator lint_off BLKSEQ */
    always @(posedge job_load_go or posedge job_dump_go) begin
        if (job_load_go) begin
            if (spad_ld_cmd != 32'd0) begin
                $sformat(job_fname, "%0s/cmd.hex", job_dir);
                $readmemh(job_fname, `SPAD_ROOT.u_cmd.mem, 0, spad_ld_cmd - 32'd1);
            end
            if (spad_ld_act != 32'd0) begin
                $sformat(job_fname, "%0s/act.hex", job_dir);
                $readmemh(job_fname, `SPAD_ROOT.u_act.mem, 0, spad_ld_act - 32'd1);
            end
            if (spad_ld_wgt != 32'd0) begin
                $sformat(job_fname, "%0s/wgt.hex", job_dir);
                $readmemh(job_fname, `SPAD_ROOT.u_wgt.mem, 0, spad_ld_wgt - 32'd1);
            end
            if (spad_ld_bias != 32'd0) begin
                $sformat(job_fname, "%0s/bias.hex", job_dir);
                $readmemh(job_fname, `SPAD_ROOT.u_bias.mem, 0, spad_ld_bias - 32'd1);
            end
            if (spad_ld_quant != 32'd0) begin
                $sformat(job_fname, "%0s/quant.hex", job_dir);
                $readmemh(job_fname, `SPAD_ROOT.u_quant.mem, 0, spad_ld_quant - 32'd1);
            end
            if (spad_ld_out != 32'd0) begin
                $sformat(job_fname, "%0s/out.hex", job_dir);
                $readmemh(job_fname, `SPAD_ROOT.u_out.mem, 0, spad_ld_out - 32'd1);
            end
            if (cap_fd != 0) $fclose(cap_fd);
            $sformat(job_fname, "%0s/stream.txt", job_dir);
            cap_fd = $fopen(job_fname, "w");
        end else begin
            if (spad_dp_cmd != 32'd0) begin
                $sformat(job_fname, "%0s/dump_cmd.hex", job_dir);
                $writememh(job_fname, `SPAD_ROOT.u_cmd.mem, 0, spad_dp_cmd - 32'd1);
            end
            if (spad_dp_act != 32'd0) begin
                $sformat(job_fname, "%0s/dump_act.hex", job_dir);
                $writememh(job_fname, `SPAD_ROOT.u_act.mem, 0, spad_dp_act - 32'd1);
            end
            if (spad_dp_wgt != 32'd0) begin
                $sformat(job_fname, "%0s/dump_wgt.hex", job_dir);
                $writememh(job_fname, `SPAD_ROOT.u_wgt.mem, 0, spad_dp_wgt - 32'd1);
            end
            if (spad_dp_bias != 32'd0) begin
                $sformat(job_fname, "%0s/dump_bias.hex", job_dir);
                $writememh(job_fname, `SPAD_ROOT.u_bias.mem, 0, spad_dp_bias - 32'd1);
            end
            if (spad_dp_quant != 32'd0) begin
                $sformat(job_fname, "%0s/dump_quant.hex", job_dir);
                $writememh(job_fname, `SPAD_ROOT.u_quant.mem, 0, spad_dp_quant - 32'd1);
            end
            if (spad_dp_out != 32'd0) begin
                $sformat(job_fname, "%0s/dump_out.hex", job_dir);
                $writememh(job_fname, `SPAD_ROOT.u_out.mem, 0, spad_dp_out - 32'd1);
            end
            if (cap_fd != 0) $fclose(cap_fd);
            cap_fd = 0;
        end
    end
    /* verilator lint_on BLKSEQ */

    // output rows are registered in the DUT: sampled before this edge's updates
    always @(posedge clk) begin
        if (`CAP_VALID && cap_fd != 0) $fwrite(cap_fd, "%h %h\n", `CAP_EOF, `CAP_DATA);
    end
