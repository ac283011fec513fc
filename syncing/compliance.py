"""Shopify's compliance webhooks: what ShopQB holds about a customer or a shop, exported or erased.

Above the sync (they read and erase its records, issues and webhook deliveries);
nothing here touches the merchant's QuickBooks company, whose documents are their
accounting records (docs/privacy.md).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_q.models import Task
from django_q.tasks import async_task

from accounts import uninstall
from accounts.crypto import encrypt
from accounts.models import ComplianceRequest, OAuthState, QuickBooksConnection, Shop
from syncing.models import CustomerLink, SyncedRecord, SyncIssue, WebhookDelivery

log = logging.getLogger(__name__)


def shop_redact(*, domain: str, webhook_id: str) -> ComplianceRequest:
    """``shop/redact``: delete everything we hold for the shop; keep a record that we did.

    Shopify sends it 48 hours after an uninstall. A shop that is installed here and whose
    access Shopify still accepts is not deleted (reinstalled since, or a replayed body):
    the request is recorded as refused. Installed here but refused by Shopify means we
    missed the uninstall: the data goes.
    """
    probed = Shop.objects.filter(domain=domain).first()
    alive = probed is not None and probed.is_installed and uninstall.shop_access_works(shop=probed)
    summary = ""
    with transaction.atomic():
        shop = Shop.objects.select_for_update().filter(domain=domain).first()
        if alive:
            summary = "not deleted: ShopQB is installed on the store and Shopify accepts its access"
            log.warning("shop/redact for %s, which is installed and whose token works: nothing deleted", domain)
        elif (
            shop is not None
            and shop.is_installed
            and (probed is None or (shop.installed_at, shop.access_token) != (probed.installed_at, probed.access_token))
        ):
            summary = "not deleted: the store installed ShopQB again"
        else:
            counts: dict[str, int] = {}
            if shop is not None:
                connection = QuickBooksConnection.objects.filter(shop=shop).first()
                if connection and connection.refresh_token:
                    _qbo_revoke_later(connection.refresh_token)
                counts["queued tasks"] = uninstall.shop_stop_work(shop=shop)
                counts["task results"] = Task.objects.filter(group=uninstall.SHOP_GROUP.format(id=shop.pk)).delete()[0]
                counts["shop rows"] = shop.delete()[0]
            counts["webhooks"] = (
                WebhookDelivery.objects.filter(shop_domain=domain).exclude(webhook_id=webhook_id).delete()[0]
            )
            counts["compliance records"] = (
                ComplianceRequest.objects.filter(shop_domain=domain).exclude(topic="shop/redact").delete()[0]
            )
            counts["oauth states"] = OAuthState.objects.filter(shop_domain=domain).delete()[0]
            summary = "deleted " + ", ".join(f"{n} {what}" for what, n in counts.items())
        record, _ = ComplianceRequest.objects.get_or_create(
            webhook_id=webhook_id,
            defaults={
                "topic": "shop/redact",
                "shop_domain": domain,
                "summary": summary,
                "completed_at": timezone.now(),
            },
        )
    log.info("shop/redact for %s: %s", domain, summary)
    return record


def _qbo_revoke_later(token: str) -> None:
    # The task row holds only ciphertext: the token is encrypted before it is queued.
    ciphertext = encrypt(token)
    transaction.on_commit(lambda: async_task("accounts.tasks.qbo_revoke_encrypted", ciphertext))


def _customer_scope(
    shop_domain: str, customer_id: str, order_ids: list[str]
) -> tuple[QuerySet[SyncedRecord], QuerySet[SyncIssue], QuerySet[WebhookDelivery]]:
    order_ids = [i for i in order_ids if i]
    sources = [f"gid://shopify/Order/{i}" for i in order_ids]
    if customer_id:
        sources.append(f"gid://shopify/Customer/{customer_id}")
    shop = Shop.objects.filter(domain=shop_domain).first()
    records = SyncedRecord.objects.filter(shop=shop, source_id__in=sources) if shop else SyncedRecord.objects.none()
    issues = SyncIssue.objects.filter(shop=shop, source_id__in=sources) if shop else SyncIssue.objects.none()
    # Both come from _id_text: ASCII digits only (str.isdigit() would also pass "١٢٣").
    numeric_orders = [int(i) for i in order_ids]
    mentions = Q(payload__customer__id=int(customer_id)) if customer_id else Q(pk__in=[])
    if numeric_orders:
        mentions |= Q(payload__id__in=numeric_orders, topic__startswith="orders/")
        mentions |= Q(payload__order_id__in=numeric_orders, topic__startswith="refunds/")
    deliveries = WebhookDelivery.objects.filter(shop_domain=shop_domain).filter(mentions)
    deliveries = deliveries.exclude(topic__startswith="customers/").exclude(topic="shop/redact")
    return records, issues, deliveries


def customer_data_request(*, shop_domain: str, webhook_id: str, payload: dict[str, Any]) -> ComplianceRequest:
    """``customers/data_request``: gather what we hold about the customer for the merchant."""
    customer_id = customer_id_of(payload)
    order_ids = order_ids_of(payload, "orders_requested")
    records, issues, deliveries = _customer_scope(shop_domain, customer_id, order_ids)
    export = {
        "shop": shop_domain,
        "customer_id": customer_id,
        "orders_requested": order_ids,
        "generated_at": timezone.now().isoformat(),
        "note": (
            "ShopQB keeps only links between Shopify objects and the QuickBooks documents it wrote. "
            "The documents themselves are in the merchant's QuickBooks company."
        ),
        "synced_records": [
            {
                "source_type": r.source_type,
                "source_id": r.source_id,
                "source_name": r.source_name,
                "quickbooks_document": r.kind,
                "quickbooks_id": r.qbo_id,
                "doc_number": r.doc_number,
                "amount": str(r.amount) if r.amount is not None else None,
                "currency": r.currency,
                "date": r.txn_date.isoformat() if r.txn_date else None,
                "status": r.status,
            }
            for r in records
        ],
        "sync_issues": [
            {"source_id": i.source_id, "code": i.code, "message": i.message, "detail": i.detail} for i in issues
        ],
        "quickbooks_customers": [
            {
                "quickbooks_id": link.qbo_id,
                "display_name": link.display_name,
                "name": link.name,
                "email": link.email,
                "phone": link.phone,
                "how": link.get_origin_display(),
            }
            for link in _customer_links(shop_domain, customer_id)
        ],
        "webhook_payloads": [
            {"topic": d.topic, "received_at": d.received_at.isoformat(), "payload": d.payload} for d in deliveries
        ],
    }
    record, _ = ComplianceRequest.objects.get_or_create(
        webhook_id=webhook_id,
        defaults={
            "topic": "customers/data_request",
            "shop_domain": shop_domain,
            "customer_id": customer_id,
            "export": json.dumps(export, default=str),
            "summary": (
                f"{len(export['synced_records'])} synced records, {len(export['sync_issues'])} issues, "
                f"{len(export['webhook_payloads'])} webhook payloads"
            ),
            "completed_at": timezone.now(),
        },
    )
    return record


def customer_redact(*, shop_domain: str, webhook_id: str, payload: dict[str, Any]) -> ComplianceRequest:
    """``customers/redact``: erase the personal data; keep amounts and document links (bookkeeping)."""
    customer_id = customer_id_of(payload)
    order_ids = order_ids_of(payload, "orders_to_redact")
    records, issues, deliveries = _customer_scope(shop_domain, customer_id, order_ids)
    scrubbed = deliveries.update(payload={"redacted": True})
    anonymised = issues.update(message="[redacted at the customer's request]", detail={})
    customer_links = records.filter(source_type="customer").delete()[0]
    # ShopQB's copy of who the customer is goes; the link to their QuickBooks customer (two ids)
    # stays, so their later orders are not booked to a second one. The QuickBooks customer is the
    # merchant's record (docs/privacy.md).
    copies = _customer_links(shop_domain, customer_id).update(name="", email="", phone="", display_name="")
    # Order records (amounts, document numbers) are bookkeeping, not personal data: they stay.
    exports = ComplianceRequest.objects.filter(
        shop_domain=shop_domain, topic="customers/data_request", customer_id=customer_id
    ).update(export="", summary="export erased after a redaction request")
    record, _ = ComplianceRequest.objects.get_or_create(
        webhook_id=webhook_id,
        defaults={
            "topic": "customers/redact",
            "shop_domain": shop_domain,
            "customer_id": customer_id,
            "summary": (
                f"scrubbed {scrubbed} webhook payloads, anonymised {anonymised} issues, "
                f"deleted {customer_links} customer links, erased {copies} customer details and {exports} exports"
            ),
            "completed_at": timezone.now(),
        },
    )
    return record


def _customer_links(shop_domain: str, customer_id: str) -> QuerySet[CustomerLink]:
    if not customer_id:
        return CustomerLink.objects.none()
    return CustomerLink.objects.filter(shop__domain=shop_domain, customer_gid=f"gid://shopify/Customer/{customer_id}")


def customer_id_of(payload: dict[str, Any]) -> str:
    """The customer id of a compliance payload, or "" when the body is not shaped as documented."""
    customer = payload.get("customer")
    return _id_text(customer.get("id")) if isinstance(customer, dict) else ""


def order_ids_of(payload: dict[str, Any], key: str) -> list[str]:
    values = payload.get(key)
    if not isinstance(values, list):
        return []
    return [text for text in (_id_text(v) for v in values if not isinstance(v, bool)) if text]


def _id_text(value: object) -> str:
    text = str(value if value is not None else "")
    return text if re.fullmatch(r"[0-9]{1,18}", text) else ""
