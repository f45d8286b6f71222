"""Handing orders over: in-store redemption of pickup codes and delivery notes."""
