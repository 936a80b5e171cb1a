# accelscope: the two user commands are `make sim TEST=distribution` and `make test`.
# Both bootstrap what they need: the simulators (apt, when root) and a virtual
# environment built from pyproject.toml.

SHELL      := /bin/bash
PYTHON     ?= python3
VENV       ?= .venv
PY         := $(VENV)/bin/python
STAMP      := $(VENV)/.accelscope-installed
SIM        ?= icarus
TEST       ?= distribution
WAVES      ?= 0
JOBS       ?= auto
BENCH_ARGS ?=
# Packages the flow needs from Debian: simulators, and the venv module.
APT_SIM    := iverilog verilator
RTL_FILES  := $(sort $(wildcard rtl/*/*.v rtl/*.v))
# Top-level modules linted by `make lint`, each with the parameter overrides that
# select its generate branches (every branch is linted).
LINT_RUNS  := "lebug" "lebug -GVSRU_FIRST=1 -GFRAC_W=8" \
              "systolic -GK=2" "systolic -GK=4" "systolic -GK=8" "systolic -GK=16" \
              "accel_top" "accel_top -GK=4 -GN=8" "accel_top -GK=16 -GN=4 -GM=4 -GVSRU_FIRST=1 -GFRAC_W=8"
VERILATOR_LINT := verilator --lint-only -Wall -Wno-DECLFILENAME --timing

.PHONY: all bootstrap tools sim test lint waves bench clean help

all: help

help:
	@echo "make sim TEST=<name> [SIM=icarus] [WAVES=1]  run one registered simulation (list: make sim TEST=list)"
	@echo "make test                                    pytest: Python unit tests and every cocotb regression"
	@echo "make lint                                    Verilator -Wall lint of all RTL (warnings are errors)"
	@echo "make waves TEST=<name>                       open the last WAVES=1 run of TEST in GTKWave"
	@echo "make bench [BENCH_ARGS=...]                  benchmarks -> bench/results/*.json and a table (docs/performance.md)"
	@echo "make clean                                   remove build output"

# --- bootstrap -------------------------------------------------------------
# Simulators: install with apt when missing and root; otherwise one line and stop.
tools:
	@missing=""; \
	command -v iverilog >/dev/null 2>&1 || missing="$$missing iverilog"; \
	command -v verilator >/dev/null 2>&1 || missing="$$missing verilator"; \
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
	@$(PY) -m pip install -q --upgrade pip > $(VENV)/pip.log 2>&1
	@$(PY) -m pip install -q -e . >> $(VENV)/pip.log 2>&1 || { tail -20 $(VENV)/pip.log; \
	  echo "accelscope: pip install failed (needs PyPI); log: $(VENV)/pip.log"; exit 1; }
	@touch $(STAMP)

bootstrap: tools $(STAMP)

# --- user targets ----------------------------------------------------------
sim: bootstrap
	@$(VENV)/bin/accelscope sim $(TEST) --sim $(SIM) $(if $(filter 1 yes true,$(WAVES)),--waves,)

test: bootstrap
	@$(PY) -m pytest -n $(JOBS) -q

lint: tools
	@set -e; for run in $(LINT_RUNS); do \
	  set -- $$run; top=$$1; shift; \
	  echo "lint: $$top $$*"; \
	  $(VERILATOR_LINT) --top-module $$top $$* $(RTL_FILES); \
	done

# Benchmarks (docs/performance.md); BENCH_ARGS e.g. "--runs 3 --large --skip-make-test".
bench: bootstrap
	@$(PY) bench/run_all.py $(BENCH_ARGS)

waves:
	@command -v gtkwave >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gtkwave >/dev/null; \
	  else echo "accelscope: missing gtkwave; install with: sudo apt-get install gtkwave"; exit 1; fi; }
	@test -f sim_build/waves/$(TEST)/waves.gtkw || { echo "accelscope: no waves for $(TEST); run: make sim TEST=$(TEST) WAVES=1"; exit 1; }
	gtkwave -S sim_build/waves/$(TEST)/zoom_full.tcl sim_build/waves/$(TEST)/waves.gtkw

clean:
	rm -rf sim_build bench/results/*.tmp
