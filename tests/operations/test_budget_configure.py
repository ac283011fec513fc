"""The request budget every app process starts with (operations/budget_store.py budget_configure):
the suite runs unbudgeted (tests/conftest.py), so the startup choice is checked here."""

from operations.budget_store import DatabaseStore, budget_configure
from shopqb_app.integrations import budget


def test_by_default_every_process_shares_the_database_budget_at_quickbooks_limits(settings):
    settings.REQUEST_BUDGET = "database"
    settings.QBO_REQUESTS_PER_MINUTE, settings.QBO_REQUESTS_PER_SECOND = 500, 10
    settings.QBO_CONCURRENT_REQUESTS, settings.QBO_BATCHES_PER_MINUTE = 10, 40
    budget_configure()
    shared = budget.current()
    assert shared is not None and isinstance(shared.store, DatabaseStore)
    limits = shared.quickbooks
    assert (limits.per_minute, limits.per_second, limits.concurrent, limits.batches_per_minute) == (500, 10, 10, 40)
    assert limits.max_wait == settings.REQUEST_BUDGET_MAX_WAIT


def test_off_sends_requests_unbudgeted(settings):
    settings.REQUEST_BUDGET = "database"
    budget_configure()
    assert budget.current() is not None
    settings.REQUEST_BUDGET = "off"
    budget_configure()
    assert budget.current() is None
