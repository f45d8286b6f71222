"""Benchmarks (``omniloop bench ...``): real servers, real databases, figures printed as one
summary line per scenario. Benchmarks, not tests: they assert nothing about speed."""
