"""Every page of the app once, as a merchant with a live shop sees it in the sandbox admin, in
Debian chromium at a desktop and a phone width: Overview, Setup (Settings once live), Orders and
Issues. Each is checked with axe-core and screenshot into ``$SHOPQB_TEST_ARTIFACTS`` (default:
``.artifacts/walk/`` in the repository); nothing on a page may be wider than the phone's screen."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.accounts import test_app_shell as shell

ROOT = Path(__file__).resolve().parents[2]
SHOP = shell.SHOP
# The sandbox admin in chromium (tests/accounts/test_app_shell.py).
sandboxes, browser = shell.sandboxes, shell.browser

PAGES = (
    # (menu entry, title bar, heading)
    ("ShopQB", "Overview", "Overview"),
    ("Settings", "Settings", "Settings"),
    ("Orders", "Orders", "Orders"),
    ("Issues", "Issues", "Issues"),
)


@pytest.fixture
def walk_artifacts() -> Path:
    path = Path(os.environ.get("SHOPQB_TEST_ARTIFACTS") or ROOT / ".artifacts") / "walk"
    path.mkdir(parents=True, exist_ok=True)
    return path


def wider_than_the_screen(frame) -> list[str]:
    """Elements of the page that stick out past the right edge of the frame (a phone scrolls
    sideways to read them)."""
    return frame.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            return [...document.querySelectorAll("main *")]
                .filter(e => e.getBoundingClientRect().right > width + 1 && e.getClientRects().length)
                .filter(e => !e.closest("details:not([open])"))
                .map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : "")
                     + " " + (e.textContent || "").trim().slice(0, 40));
        }"""
    )


@shell.in_chromium
def look_at(page, admin, script, artifacts: Path, title: str, width: int) -> None:
    """One page at one width: axe-core clean, nothing wider than the screen, a screenshot of all
    of it. A page that reloads itself meanwhile (the overview does when a pass ends) destroys the
    frame's context: the look is taken again once it has loaded, at most twice."""
    from playwright.sync_api import Error as PlaywrightError

    for attempt in range(3):
        try:
            page.set_viewport_size({"width": width, "height": 900})
            admin.frame.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
            assert shell.axe_violations(admin.frame, script) == [], (title, width)
            assert shell.axe_violations(page, script) == [], (title, width)
            assert wider_than_the_screen(admin.frame) == [], (title, width)
            # The whole page in the frame, not only what the admin's window shows of it: a window
            # as tall as the page.
            tall = admin.frame.evaluate("() => document.documentElement.scrollHeight") + 200
            page.set_viewport_size({"width": width, "height": max(900, tall)})
            admin.frame.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
            page.screenshot(path=str(artifacts / f"walk-{title.lower()}-{width}.png"), full_page=True)
            return
        except PlaywrightError as exc:
            if "context was destroyed" not in str(exc) or attempt == 2:
                raise
            admin.frame.wait_for_load_state("load")


def test_every_page_at_a_desktop_and_a_phone_width(sandboxes, browser, walk_artifacts):
    from accounts import tokens
    from accounts.models import Shop
    from sandbox.shopify.seeder import seed_shop
    from syncing.models import SyncIssue
    from syncing.runs import shop_sweep
    from tests.accounts.test_embedded_browser import connect_in_admin
    from tests.sandboxes import go_live

    script = shell.axe_script()
    info = sandboxes.info
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(20_000)
    connect_in_admin(page, info, SHOP)
    shop = Shop.objects.get(domain=SHOP)
    seed_shop(base_url=info["shopify"], shop=SHOP, token=tokens.shopify_access_token(shop), orders=12, seed=5)
    assert sandboxes.shopify.dispatcher.wait_idle(timeout=30)
    go_live(shop)
    shop_sweep(shop_id=shop.pk)
    SyncIssue.objects.raise_for(
        shop=shop,
        code="total_mismatch",
        message="#9999: lines + tax come to 10.00 but Shopify says 10.01 (USD).",
        source_type="order",
        source_id="gid://shopify/Order/9999999999999",
        retryable=False,
    )

    admin = shell.Admin(page, walk_artifacts)
    admin.shows("Overview", "Overview")
    for entry, title, heading in PAGES:
        admin.nav.get_by_role("link", name=entry).click()
        admin.shows(title, heading)
        for width in (1280, 375):
            look_at(page, admin, script, walk_artifacts, title, width)
        page.set_viewport_size({"width": 1280, "height": 900})
