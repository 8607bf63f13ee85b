"""Evaluation and benchmarks: typed entry points over the core library."""
