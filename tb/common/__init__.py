"""Shared testbench components."""
