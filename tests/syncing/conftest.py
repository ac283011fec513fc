"""The sync's tests use the fixtures of tests/conftest.py and the helpers of tests/sandboxes.py,
and these for the setup's last pages (preview, test sync, go live).

A module about the setup asks for a shop that is connected but not live yet::

    @pytest.fixture
    def shop(shop_in_setup):
        return shop_in_setup

``qb`` and ``confirmed`` then work on that shop (elsewhere, on the live ``shop`` of tests/conftest.py).
"""

from datetime import date

import pytest

from accounts.clients import qbo_client
from accounts.models import QuickBooksConnection
from mappings import proposals
from mappings.catalog import catalog_read
from tests.sandboxes import connect_shop


@pytest.fixture
def shop_in_setup(db, sandbox_settings):
    """Connected, not live: the setup is what these tests go through."""
    return connect_shop(sandbox_settings, live=False)


@pytest.fixture
def qb(shop):
    """The shop's QuickBooks client, as the sync builds it."""
    return qbo_client(QuickBooksConnection.objects.get(shop=shop))


@pytest.fixture
def confirmed(shop, qb):
    """Every setup step saved as proposed: confirmed, nothing created in QuickBooks yet."""
    catalog = catalog_read(shop=shop, qb=qb, fresh=True)
    proposals.setup_accept_proposals(shop=shop, catalog=catalog, by="test", start_date=date(2020, 1, 1))
    return shop
