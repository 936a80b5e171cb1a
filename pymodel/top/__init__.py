"""Top level: accel_top configuration, map, bundle compiler, expected results, RTL runs."""
