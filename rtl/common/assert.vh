// Assertion macros of the RTL (docs/verification.md, "Assertions"), in the spirit of
// OpenTitan's prim_assert: one line beside the code it guards,
//     `ASSERT(Name_A, clk, rst_n, cond)
// checked at every rising clock edge while rst_n is high (on the values before the edge,
// as the registers of that edge see them). Three builds read the same line:
//   simulation (Icarus 11 -g2012, Verilator 5.048; no --assert needed): a cond that is 0 or
//       X prints one line
//           ASSERTION FAILED: Name_A at cycle C in <instance>.Name_A: <cond>
//       and ends the simulation ($finish). tb/runner.py turns that line into the error of
//       the run, on every path (cocotb, verilator-native, icarus-plain). The cycle is
//       $time / ASSERT_CLK_NS: the harness clock's rising edges, 0 first (10 ns, see
//       tb/common/harness.py and tb/common/job_main.v; the same number as the job engine's
//       clock-cycle count in job_out.hex);
//   FORMAL (yosys read -formal, SymbiYosys): a labelled immediate assertion in a clocked
//       block, which the prover reads (`ASSUME and `COVER likewise);
//   SYNTHESIS (yosys read_verilog, make synth): nothing.
// `ASSERT_ON is defined in the first two builds: a module keeps its simulation/formal-only
// shadow state (e.g. counters of rows offered and dropped) inside `ifdef ASSERT_ON.
// Names end in _A and are unique in their module (they label the check). A cond with a comma
// at its top level (a concatenation) is written in parentheses.
`ifndef ACCELSCOPE_ASSERT_VH
`define ACCELSCOPE_ASSERT_VH

`ifndef ASSERT_CLK_NS
`define ASSERT_CLK_NS 10
`endif

`ifdef FORMAL
  `define ASSERT_ON
  `define ASSERT(name, clk, rst_n, cond) \
    always @(posedge clk) if (rst_n) name: assert (cond);
  `define ASSUME(name, clk, rst_n, cond) \
    always @(posedge clk) if (rst_n) name: assume (cond);
  `define COVER(name, clk, rst_n, cond) \
    always @(posedge clk) if (rst_n) name: cover (cond);
`elsif SYNTHESIS
  `define ASSERT(name, clk, rst_n, cond)
  `define ASSUME(name, clk, rst_n, cond)
  `define COVER(name, clk, rst_n, cond)
`else
  `define ASSERT_ON
  `define ASSERT(name, clk, rst_n, cond) \
    always @(posedge clk) begin : name \
      if ((rst_n) === 1'b1) begin \
        if (cond) begin end else begin \
          $display("ASSERTION FAILED: %s at cycle %0d in %m: %s", `"name`", $time / `ASSERT_CLK_NS, \
                   `"cond`"); \
          $finish; \
        end \
      end \
    end
  // a simulation checks what the prover assumes (an assumption that fails there is a bug too)
  `define ASSUME(name, clk, rst_n, cond) `ASSERT(name, clk, rst_n, cond)
  `define COVER(name, clk, rst_n, cond)
`endif

`endif
