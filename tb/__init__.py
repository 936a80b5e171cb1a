"""cocotb testbenches (one package per block)."""
