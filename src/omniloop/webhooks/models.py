"""Webhook tables (placeholder until the webhooks domain lands)."""
