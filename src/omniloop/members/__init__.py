"""Members (会员): one customer across every channel, recognised by phone."""
