"""Segments (精准营销): RFM scores of every buyer, saved member segments, coupon grants to them."""
