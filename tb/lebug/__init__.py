"""LeBug testbench."""
