"""Merchants (tenants), their API keys and roles."""
