"""Coupons (优惠券) and automatic promotions (满减, 折扣), and the engine that prices a cart."""
