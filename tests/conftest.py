import pytest


@pytest.fixture(autouse=True)
def _no_secret_key_cache():
    from accounts import crypto

    crypto.reset_key_cache()
    yield
    crypto.reset_key_cache()
