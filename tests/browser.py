"""Browser tests' shared pieces: Debian chromium through Playwright, and the app pointed at the
emulators as the Shopify admin embeds it (a live server, App Bridge's stand-in, real OAuth)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium"
)


def artifacts_dir(name: str) -> Path:
    """Where a browser test leaves its screenshots: ``SHOPQB_TEST_ARTIFACTS`` (CI keeps it), else
    ``.artifacts/<name>`` in the checkout."""
    import os

    chosen = os.environ.get("SHOPQB_TEST_ARTIFACTS")
    path = Path(chosen) if chosen else Path(__file__).resolve().parents[1] / ".artifacts" / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def chromium(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A headless Debian chromium (for a fixture to yield from)."""
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait as long as actions do: on a loaded two-core machine a page's poll can take
    # longer than expect's own five-second default.
    expect.set_options(timeout=20_000)
    # Playwright's sync API keeps an event loop on this thread; the ORM calls in the
    # test body are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def embed_in_sandbox_admin(settings: Any, monkeypatch: pytest.MonkeyPatch, info: dict[str, Any], app_url: str) -> None:
    """The app at ``app_url``, registered with the running emulators (``info``) as a real app is
    with Shopify and Intuit: its admin URL, App Bridge, OAuth redirect and API bases."""
    shopify, qbo = info["shopify"], info["qbo"]
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the sandboxes speak plain http
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
    # The live server serves static files under their own names, not collectstatic's hashed ones.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.APP_URL = app_url
    settings.SHOPIFY_API_KEY = info["app"]["api_key"]
    settings.SHOPIFY_API_SECRET = info["app"]["api_secret"]
    settings.SHOPIFY_ADMIN_BASE = shopify + "/{shop}"
    settings.SHOPIFY_ADMIN_APP_URL = shopify + "/{shop}/admin/apps/{api_key}"
    settings.SHOPIFY_APP_BRIDGE_URL = shopify + "/_sandbox/app-bridge.js"
    settings.QBO_CLIENT_ID = info["qbo_app"]["client_id"]
    settings.QBO_CLIENT_SECRET = info["qbo_app"]["client_secret"]
    settings.QBO_ENVIRONMENT = qbo + "/.well-known/openid_configuration"
    settings.QBO_API_BASE = qbo + "/v3"
    settings.QBO_REDIRECT_URI = app_url + "/qbo/callback"
