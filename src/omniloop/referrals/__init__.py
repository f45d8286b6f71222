"""Referrals (邀请好友): members' codes, who referred whom, and the rewards of a first order."""
