"""Top-level (accel_top) testbench."""
