"""Offline micro-benchmarks (`python -m bench.codecs`)."""
