"""Benchmarks: each module is a script (``python benchmarks/NAME.py --help``)."""
