from tests.api.vouchers.conftest import shop  # noqa: F401  (the same shop fixture)
