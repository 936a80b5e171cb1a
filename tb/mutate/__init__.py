"""Mutation testing of rtl/ (`make mutate`, docs/verification.md "Mutation"): yosys mutants per
module (design), built into one netlist per configuration and selected at run time by +MUTSEL,
run through the kill set (killset), survivors checked for equivalence (equiv), reported per block
(report); driver ties them together."""
