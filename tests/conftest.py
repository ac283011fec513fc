"""Fixtures every directory may use: the test app's settings, two shops, a signed webhook poster,
and the emulators with a live shop connected to them.

The builders behind them are in tests/factories.py and tests/accounts/factories.py.
"""

import json
from pathlib import Path

import pytest
from django.core.cache import cache

from accounts.models import Shop
from sandbox.runner import start_sandboxes
from tests.accounts.factories import make_shop
from tests.factories import API_KEY, API_SECRET, webhook_headers
from tests.sandboxes import connect_shop, use_sandboxes

# whitenoise warns on every request when STATIC_ROOT does not exist yet (before
# collectstatic); the suite never needs collected files.
(Path(__file__).resolve().parent.parent / "staticfiles").mkdir(exist_ok=True)


@pytest.fixture(autouse=True)
def _no_secret_key_cache():
    from accounts import crypto

    crypto.reset_key_cache()
    yield
    crypto.reset_key_cache()


@pytest.fixture(autouse=True)
def _no_request_counts_from_earlier_tests():
    """QuickBooks request counts wait in the process until a transaction commits
    (operations/counting.py); a test's transaction is rolled back, so without this an earlier
    test's counts would be written into the next one."""
    from operations import counting

    counting.counts_discard()


@pytest.fixture(autouse=True)
def _no_shared_request_budget():
    """The shared request budget (shopqb_app/integrations/budget.py) paces every request to a
    QuickBooks company at QuickBooks' own limits, about eight a second: over the suite's few
    thousand shop setups that waiting was most of its time. Tests run unbudgeted, as with
    REQUEST_BUDGET=off; the budget's own tests configure one (tests/integrations/test_budget*.py,
    tests/syncing/test_fairness.py, tests/syncing/test_batches.py), and processes the tests start
    (the demo, the crash scenario, the scale-out runs) keep the configured one."""
    from shopqb_app.integrations import budget

    before = budget.current()
    budget.configure(None)
    yield
    budget.configure(before)


@pytest.fixture
def app_settings(settings):
    """The test app of tests/factories.py: its key, secret, scopes and URLs. A test that talks to
    an emulator points the vendor URLs at it afterwards. Autouse in tests/accounts; elsewhere a
    module asks for it with ``usefixtures("app_settings")``."""
    settings.SHOPIFY_API_KEY = API_KEY
    settings.SHOPIFY_API_SECRET = API_SECRET
    settings.SHOPIFY_ADMIN_BASE = "https://{shop}"
    settings.SHOPIFY_ADMIN_APP_URL = "https://{shop}/admin/apps/{api_key}"
    settings.SHOPIFY_SCOPES = ["read_orders", "read_products"]
    settings.APP_URL = "https://app.example.test"
    settings.QBO_CLIENT_ID = "qbo-client"
    settings.QBO_CLIENT_SECRET = "qbo-secret"
    settings.QBO_REDIRECT_URI = "https://app.example.test/qbo/callback"
    settings.QBO_API_BASE = "https://qbo.example.test/v3"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.ALLOWED_HOSTS = ["testserver", "app.example.test", "127.0.0.1", "localhost"]
    cache.clear()  # rate-limit counters (install) start from zero in every test
    return settings


@pytest.fixture
def post_webhook(client):
    def post(topic: str, shop: str, payload: dict, **kwargs):
        body = json.dumps(payload).encode()
        return client.post(
            "/webhooks", data=body, content_type="application/json", **webhook_headers(body, topic, shop, **kwargs)
        )

    return post


@pytest.fixture
def shop_a(db):
    return make_shop("alpha-goods.myshopify.com")


@pytest.fixture
def shop_b(db):
    return make_shop("bravo-wares.myshopify.com")


def pytest_sessionfinish(session, exitstatus):
    """Say which threads a test left running: at interpreter exit they print tracebacks
    after pytest's summary (a server still serving a kept-alive connection, say)."""
    import threading

    alive = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if alive:
        print("\nthreads left running by the tests:", ", ".join(t.name for t in alive))


# The emulators over real HTTP, the app pointed at them, and a live shop (tests/sandboxes.py).
@pytest.fixture
def sandboxes():
    running = start_sandboxes()
    yield running
    running.stop()


@pytest.fixture
def sandbox_settings(sandboxes, settings, monkeypatch):
    use_sandboxes(settings, monkeypatch, sandboxes.info)
    return sandboxes.info


@pytest.fixture
def shop(db, sandbox_settings) -> Shop:
    return connect_shop(sandbox_settings)
