"""`accelscope regress`: seeded constrained-random cases per block, bit-exact against the
models, with functional coverage (cocotb-coverage, tb/<block>/coverage.py) and code
coverage (Verilator --coverage), on one machine or a Dask cluster (docs/cli.md,
docs/verification.md "Testplan").

  cases.py    seed -> configuration, stimulus, job, comparison, coverage sample
  options.py  the options of one sweep
  engine.py   builds, the serial or Dask sweep
  sampling.py functional sampling of the results in seed order (tb/<block>/coverage.py models)
  funcov.py   cocotb-coverage helpers (coverpoints from plain values, summaries, export)
  codecov.py  coverage.dat merge and summary, lcov .info and HTML
  report.py   results.json, samples.jsonl, report.md, coverage.png
"""
