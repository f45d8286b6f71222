"""Prepaid vouchers (团购券): sold online, redeemed in stores."""
