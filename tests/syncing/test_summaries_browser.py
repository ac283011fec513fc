"""The Summaries page as a merchant posting in summary sees it in the sandbox admin, in Debian
chromium at a desktop and a phone width: reached from the menu, axe-core clean, nothing wider than
the phone's screen, each summary with its documents and its orders (screenshots in
``$SHOPQB_TEST_ARTIFACTS``/walk, as tests/syncing/test_page_walk.py takes them)."""

from __future__ import annotations

from datetime import timedelta

from tests.accounts import test_app_shell as shell
from tests.syncing import test_page_walk as walk

SHOP = shell.SHOP
# The sandbox admin in chromium (tests/accounts/test_app_shell.py), and the walk's artifacts.
sandboxes, browser, walk_artifacts = shell.sandboxes, shell.browser, walk.walk_artifacts


@shell.in_chromium
def test_the_summaries_page_lists_each_summary_with_its_documents_and_orders(sandboxes, browser, walk_artifacts):
    from playwright.sync_api import expect

    from accounts import tokens
    from accounts.models import Shop
    from sandbox.demo import posting_summary
    from sandbox.shopify import payouts as sandbox_payouts
    from sandbox.shopify.seeder import seed_shop
    from syncing.runs import shop_sweep
    from syncing.summary_models import Summary
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
    # Shopify pays the orders' money out (today's too): each payout is a summary.
    store = sandboxes.shopify.store
    sandbox_payouts.run_payouts(store, store.shops[SHOP], through=store.now().date() + timedelta(days=1))
    go_live(shop)
    posting_summary(shop)
    shop_sweep(shop_id=shop.pk)
    written = Summary.objects.filter(shop=shop).exclude(written_at=None)
    assert written.exists()

    admin = shell.Admin(page, walk_artifacts)
    page.reload()  # the menu as the app draws it now that summary posting is on
    admin.shows("Overview", "Overview")
    admin.nav.get_by_role("link", name="Summaries").click()
    admin.shows("Summaries", "Summaries")
    first = written.order_by("-txn_date").first()
    section = admin.app.locator(f"section[aria-labelledby=summary-{first.pk}]")
    expect(section).to_contain_text("In QuickBooks:")
    expect(section.get_by_role("link", name="Orders as CSV")).to_be_visible()
    for width in (1280, 375):
        walk.look_at(page, admin, script, walk_artifacts, "Summaries", width)
