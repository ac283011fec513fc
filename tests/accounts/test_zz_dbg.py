import pytest
from datetime import UTC, datetime
from tests.accounts.factories import make_connection
from tests.factories import session_token
pytestmark = pytest.mark.django_db
def test_dbg(client, shop_a, app_settings):
    shop_a.iana_timezone = "America/New_York"; shop_a.save()
    make_connection(shop_a, company_name="Alpha Books Ltd", connected_at=datetime(2026, 7, 1, 16, 5, tzinfo=UTC))
    r = client.get("/", {"id_token": session_token(shop_a.domain)})
    page = r.content.decode()
    i = page.find("Connected")
    j = page.find("<dt>Connected"); print(page[j:j+120])
    assert 0
