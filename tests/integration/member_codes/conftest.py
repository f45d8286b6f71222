from tests.api.member_codes.conftest import shop

__all__ = ["shop"]
