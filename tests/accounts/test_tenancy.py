"""Every URL of the app against bad tokens and other shops' tokens: refused, nothing read or changed."""

import json
import re
import time

import pytest
from django.core import serializers
from django.urls import reverse

from accounts.models import ComplianceRequest
from tests.accounts.factories import make_connection
from tests.factories import API_SECRET, session_token

pytestmark = pytest.mark.django_db

# (method, url name, kwargs, kind): "document" pages also take ?id_token=; "fetch" only Bearer.
EMBEDDED = [
    ("get", "home", {}, "document"),
    ("get", "accounts:status", {}, "fetch"),
    ("post", "accounts:qbo_connect", {}, "fetch"),
    ("post", "accounts:qbo_disconnect", {}, "fetch"),
    ("get", "accounts:data_request_export", {"pk": "REQUEST"}, "fetch"),
]

BAD_TOKENS = {
    "none": lambda shop: None,
    "expired": lambda shop: session_token(shop, lifetime=-60),
    "wrong-audience": lambda shop: session_token(shop, aud="another-app"),
    "bad-signature": lambda shop: session_token(shop, secret="not-" + API_SECRET),
    "future": lambda shop: session_token(shop, now=time.time() + 600),
    "unsigned": lambda shop: session_token(shop).rsplit(".", 1)[0] + ".",
}


def snapshot():
    """Everything the tenants own, serialised: compared before and after each request."""
    from accounts.models import OAuthState, QuickBooksConnection, Shop
    from syncing.models import SyncedRecord, WebhookDelivery

    rows = []
    for model in (Shop, QuickBooksConnection, OAuthState, ComplianceRequest, SyncedRecord, WebhookDelivery):
        rows.append(serializers.serialize("json", model.objects.order_by("pk")))
    return rows


@pytest.fixture
def tenants(shop_a, shop_b):
    make_connection(shop_a, company_name="Alpha Books Ltd")
    make_connection(shop_b, company_name="Bravo Books Inc")
    request = ComplianceRequest.objects.create(
        topic="customers/data_request",
        shop_domain=shop_a.domain,
        webhook_id="dr-a",
        customer_id="7",
        export=json.dumps({"secret": "alpha customer data"}),
    )
    return shop_a, shop_b, request


def url_for(name, kwargs, request):
    return reverse(name, kwargs={k: (request.pk if v == "REQUEST" else v) for k, v in kwargs.items()})


@pytest.mark.parametrize("method,name,kwargs,kind", EMBEDDED, ids=[e[1] for e in EMBEDDED])
@pytest.mark.parametrize("bad", list(BAD_TOKENS), ids=list(BAD_TOKENS))
def test_bad_tokens_are_refused_and_change_nothing(client, tenants, method, name, kwargs, kind, bad):
    shop_a, _, request = tenants
    url = url_for(name, kwargs, request)
    token = BAD_TOKENS[bad](shop_a.domain)
    before = snapshot()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    response = getattr(client, method)(url, **headers)
    assert response.status_code == 401
    assert response["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    assert b"Alpha Books" not in response.content and b"alpha customer data" not in response.content
    if kind == "document" and token:
        # The same token as ?id_token= on a page load.
        response = client.get(url, {"id_token": token})
        assert response.status_code == 401 and b"Alpha Books" not in response.content
    assert snapshot() == before


@pytest.mark.parametrize("method,name,kwargs,kind", EMBEDDED, ids=[e[1] for e in EMBEDDED])
def test_another_shops_token_never_reaches_this_shops_data(client, tenants, method, name, kwargs, kind):
    shop_a, shop_b, request = tenants
    url = url_for(name, kwargs, request)
    response = getattr(client, method)(url, HTTP_AUTHORIZATION="Bearer " + session_token(shop_b.domain))
    assert b"Alpha Books" not in response.content and b"alpha customer data" not in response.content
    assert shop_a.domain.encode() not in response.content
    from accounts.models import QuickBooksConnection

    # Whatever shop B did, shop A's connection is exactly as it was.
    conn = QuickBooksConnection.objects.get(shop=shop_a)
    assert conn.status == "connected" and conn.refresh_token == f"qbo_refresh_{shop_a.domain}"
    if name == "accounts:data_request_export":
        assert response.status_code == 404


def test_the_shop_query_parameter_never_selects_the_shop(client, tenants):
    shop_a, shop_b, _ = tenants
    response = client.get(
        "/api/status?shop=" + shop_a.domain, HTTP_AUTHORIZATION="Bearer " + session_token(shop_b.domain)
    )
    assert response.json()["shop"]["domain"] == shop_b.domain


# Views anyone may call: each checks its own proof (HMAC, OAuth state) or exposes nothing.
PUBLIC = {
    "favicon",
    "healthz",
    "readyz",
    "metrics",  # a bearer token of its own (METRICS_TOKEN)
    "install",
    "install_callback",
    "qbo_start",
    "qbo_callback",
    "webhooks",
}


def all_views():
    """(path, view name, callback) for every URL of the project outside the Django admin."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, prefix):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                if route.startswith("admin/"):
                    continue
                yield from walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                path = "/" + re.sub(r"<(?:\w+:)?\w+>", "1", route).lstrip("^").rstrip("$")
                yield path, entry.name, entry.callback

    return list(walk(get_resolver().url_patterns, ""))


def test_every_view_is_shop_required_or_deliberately_public():
    unmarked = {name for _, name, view in all_views() if not getattr(view, "shop_required", False)}
    assert unmarked == PUBLIC, "decorate new views with accounts.auth.shop_required (or list them in PUBLIC)"


EMBEDDED_PATHS = [(path, name) for path, name, view in all_views() if getattr(view, "shop_required", False)]


@pytest.mark.parametrize("path,name", EMBEDDED_PATHS, ids=[n for _, n in EMBEDDED_PATHS])
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("bad", sorted(BAD_TOKENS))
def test_every_embedded_url_refuses_bad_tokens(client, tenants, path, name, method, bad):
    """Covers views added later (the sync dashboard) without editing this file."""
    shop_a = tenants[0]
    before = snapshot()
    token = BAD_TOKENS[bad](shop_a.domain)
    headers = {} if token is None else {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    response = getattr(client, method)(path, **headers)
    assert response.status_code in (401, 403, 405), (name, response.status_code)
    assert b"Alpha Books" not in response.content
    assert snapshot() == before


@pytest.mark.parametrize("path,name", EMBEDDED_PATHS, ids=[n for _, n in EMBEDDED_PATHS])
@pytest.mark.parametrize("method", ["get", "post"])
def test_every_embedded_url_with_another_shops_token_leaves_this_shop_alone(client, tenants, path, name, method):
    """Shop B's valid token, whatever the URL says: nothing of shop A is shown or changed."""
    from accounts.models import QuickBooksConnection, Shop

    shop_a, shop_b = tenants[0], tenants[1]

    def shop_a_rows():
        return [
            serializers.serialize("json", Shop.objects.filter(pk=shop_a.pk)),
            serializers.serialize("json", QuickBooksConnection.objects.filter(shop=shop_a)),
        ]

    before = shop_a_rows()
    response = getattr(client, method)(
        f"{path}?shop={shop_a.domain}", HTTP_AUTHORIZATION="Bearer " + session_token(shop_b.domain)
    )
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"Alpha Books" not in body, name
    assert shop_a.domain.encode() not in body, name
    assert shop_a_rows() == before
