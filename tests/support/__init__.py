"""Helpers for the tests and the benchmarks that are not part of the shipped app."""
