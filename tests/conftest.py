from pathlib import Path

import pytest

# whitenoise warns on every request when STATIC_ROOT does not exist yet (before
# collectstatic); the suite never needs collected files.
(Path(__file__).resolve().parent.parent / "staticfiles").mkdir(exist_ok=True)


@pytest.fixture(autouse=True)
def _no_secret_key_cache():
    from accounts import crypto

    crypto.reset_key_cache()
    yield
    crypto.reset_key_cache()
