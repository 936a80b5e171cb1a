"""The project's pytest suite (a package, so that bench/fuzz.py can import tests.fuzz_targets)."""
