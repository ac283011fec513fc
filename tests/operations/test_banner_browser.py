"""The alert banner as the merchant sees it: inside the Shopify sandbox admin, in Debian chromium,
at a desktop and a phone width, with axe-core's checks; its link opens the page that fixes it.

Screenshots go to ``$SHOPQB_TEST_ARTIFACTS`` (default ``.artifacts/operations/``)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.models import Shop
from operations.watch import watch_run
from syncing.models import SyncIssue
from tests.accounts.test_app_shell import Admin, axe_script, axe_violations, in_chromium
from tests.accounts.test_embedded_browser import connect_in_admin
from tests.browser import artifacts_dir, chromium, embed_in_sandbox_admin

ROOT = Path(__file__).resolve().parents[2]
SHOP = "demo-store.myshopify.com"


@pytest.fixture
def artifacts() -> Path:
    return artifacts_dir("operations")


@pytest.fixture
def sandboxes(live_server, settings, tmp_path, monkeypatch):
    from sandbox.runner import start_sandboxes

    boxes = start_sandboxes(
        app_url=live_server.url,
        state_dir=tmp_path,
        seed=3,
        shopify_options={"toml_path": ROOT / "shopify.app.toml"},
        qbo_options={"companies": ["US"]},
    )
    embed_in_sandbox_admin(settings, monkeypatch, boxes.info, live_server.url)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    yield boxes
    boxes.shopify.dispatcher.wait_idle(timeout=10)
    boxes.stop()


@pytest.fixture
def browser(monkeypatch):
    yield from chromium(monkeypatch)


@in_chromium
def test_the_alert_banner_in_the_admin_links_to_its_fix_and_passes_axe(sandboxes, browser, artifacts):
    from playwright.sync_api import expect

    script = axe_script()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(20_000)
    connect_in_admin(page, sandboxes.info, SHOP)
    admin = Admin(page, artifacts)
    admin.shows("Overview", "Overview")
    expect(admin.app.get_by_test_id("alerts")).to_have_count(0)

    shop = Shop.objects.get(domain=SHOP)
    issue = SyncIssue.objects.raise_for(
        shop=shop,
        code="qbo_rejected",
        message="QuickBooks rejected the sales receipt for #1001: the item MUG-1 is inactive.",
        source_id="gid://shopify/Order/1001",
    )
    SyncIssue.objects.filter(pk=issue.pk).update(created_at=timezone.now() - timedelta(days=2))
    watch_run(now=timezone.now())

    page.reload()
    admin.shows("Overview", "Overview")
    alert = admin.app.get_by_role("region", name="Alerts").get_by_role("status")
    expect(alert).to_contain_text("Open issues need your attention.")
    expect(alert).to_contain_text("1 issue has been open for more than a day")
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        admin.frame.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        page.screenshot(path=str(artifacts / f"alert-banner-{width}.png"))
        assert axe_violations(admin.frame, script) == [], width
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(artifacts / "alert-banner.png"), clip={"x": 0, "y": 0, "width": 1280, "height": 300})

    # The link opens the Issues page inside the app, where the banner keeps its words, without a link to itself.
    alert.get_by_role("link", name="Open the Issues page").click()
    admin.shows("Issues", "Issues")
    on_issues = admin.app.get_by_role("region", name="Alerts")
    expect(on_issues).to_contain_text("1 issue has been open for more than a day")
    expect(on_issues.get_by_role("link")).to_have_count(0)

    # Resolved: the next check clears the alert and the banner goes.
    SyncIssue.objects.filter(pk=issue.pk).resolve()
    watch_run(now=timezone.now())
    page.reload()
    admin.shows("Issues", "Issues")
    expect(admin.app.get_by_test_id("alerts")).to_have_count(0)
    page.close()  # no request of the page's may still hold a database connection when the test ends
