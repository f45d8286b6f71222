"""Affiliates (分销 / CPS): dealers, influencers and partner stores who own tracking codes and
earn a commission on the net revenue those codes bring."""
