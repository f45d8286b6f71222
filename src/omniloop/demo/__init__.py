"""The demo chain: a Shanghai tea-and-bakery merchant used by `omniloop demo`."""
