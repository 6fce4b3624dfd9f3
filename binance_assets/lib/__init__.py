"""Reusable machinery shared by the domains, tests and benchmarks."""
