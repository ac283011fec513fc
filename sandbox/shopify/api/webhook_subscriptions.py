"""Webhook subscriptions made through the Admin API (the TOML ones are in ``webhooks.py``)."""

from __future__ import annotations

import re
from typing import Any

from sandbox.shopify import model, views
from sandbox.shopify.api.common import ctx, paginate
from sandbox.shopify.executor import Request
from sandbox.shopify.model import parse_gid


def m_webhook_create(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    data = args["webhookSubscription"]
    url = data.get("callbackUrl") or ""
    if not re.match(r"^https?://", url):
        return {
            "webhookSubscription": None,
            "userErrors": [{"field": ["webhookSubscription", "callbackUrl"], "message": "Address is invalid"}],
        }
    topic = args["topic"]
    for s in c.shop.tables["WebhookSubscription"].values():
        if s.topic == topic and s.callback_url == url and s.source == "api":
            return {
                "webhookSubscription": None,
                "userErrors": [
                    {
                        "field": ["webhookSubscription", "callbackUrl"],
                        "message": "Address for this topic has already been taken",
                    }
                ],
            }
    now = c.store.now()
    sub = model.WebhookSubscription(
        shop=c.shop.domain,
        id=c.store.next_id("WebhookSubscription"),
        topic=topic,
        callback_url=url,
        created_at=now,
        updated_at=now,
        format=data.get("format") or "JSON",
        include_fields=list(data.get("includeFields") or []),
        filter=data.get("filter"),
        api_version=c.version,
    )
    c.store.put(sub)
    return {"webhookSubscription": views.subscription_view(sub), "userErrors": []}


def m_webhook_delete(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    sub = c.shop.tables["WebhookSubscription"].get(parse_gid(args["id"], "WebhookSubscription"))
    if sub is None or sub.source != "api":
        return {
            "deletedWebhookSubscriptionId": None,
            "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}],
        }
    c.store.delete(sub)
    return {"deletedWebhookSubscriptionId": args["id"], "userErrors": []}


def q_webhook_subscriptions(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    subs = [s for s in c.shop.tables["WebhookSubscription"].values() if s.source == "api"]
    if args.get("topics"):
        subs = [s for s in subs if s.topic in args["topics"]]
    if args.get("callbackUrl"):
        subs = [s for s in subs if s.callback_url == args["callbackUrl"]]
    entries = sorted(((s.created_at.timestamp(), s.id, s) for s in subs), key=lambda e: (e[0], e[1]))
    return paginate(entries, args, views.subscription_view)


def q_webhook_subscription(_root: Any, args: dict[str, Any], req: Request) -> Any:
    sub = ctx(req).shop.tables["WebhookSubscription"].get(parse_gid(args["id"], "WebhookSubscription"))
    return views.subscription_view(sub) if sub and sub.source == "api" else None


RESOLVERS = {
    ("Mutation", "webhookSubscriptionCreate"): m_webhook_create,
    ("Mutation", "webhookSubscriptionDelete"): m_webhook_delete,
    ("QueryRoot", "webhookSubscriptions"): q_webhook_subscriptions,
    ("QueryRoot", "webhookSubscription"): q_webhook_subscription,
}
SCOPES: dict[tuple[str, str], str] = {}
