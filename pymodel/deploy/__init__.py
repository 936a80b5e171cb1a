"""Deployment and evaluation: scenarios, RTL-backed GEMMs, results and reports."""
