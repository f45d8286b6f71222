"""Omniloop: the O2O commerce platform for store chains."""

__version__ = "0.1.0"
