"""Member codes (会员码): the short-lived code a member shows and store staff scan."""
