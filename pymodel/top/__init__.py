"""Top level: accel_top configuration, map, bundle compiler, expected results and their comparison
with what the hardware gave back (pymodel.top.result; tb/top/jobs.py runs the RTL)."""
