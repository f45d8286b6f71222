"""locations domain."""
