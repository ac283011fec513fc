"""Benchmarks of the product against the emulators (run by bin/bench; figures go to BENCHMARKS.md)."""
