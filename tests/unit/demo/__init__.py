"""Unit tests of the demo chain data."""
