"""Loyalty: the program, tiers, and the points and stored-value (wallet) ledgers."""
