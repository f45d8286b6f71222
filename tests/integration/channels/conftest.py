"""The channel API fixtures (the fake order sink) serve these tests too."""

from tests.api.channels.conftest import sink

__all__ = ["sink"]
