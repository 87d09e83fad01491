"""Benchmarks (`make bench`): results are written to bench/results/*.json, never asserted in tests."""
