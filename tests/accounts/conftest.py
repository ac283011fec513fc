"""Every accounts test runs as the test app; the shops and builders come from tests/conftest.py
and the factories modules."""

import pytest

# test_qbo_connect.py still imports these two from here; everything else imports the factories.
from tests.accounts.factories import make_connection  # noqa: F401
from tests.factories import session_token  # noqa: F401


@pytest.fixture(autouse=True)
def _app_settings(app_settings):
    return app_settings
