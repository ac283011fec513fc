"""Every change to a merchant's rules becomes a numbered version: who, when, before and after.

The version number lives on SyncSettings and is bumped under its row lock, so two staff members
saving at once get two versions, never one lost change. Documents record the version they were
produced under, so an accountant can tell which rules booked which document. The history page
shows each change as plain sentences (``history_entries``), not as the stored before/after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models, transaction

from accounts.models import Shop
from mappings import roles
from mappings.models import AccountRole, DimensionMapping, MappingChange, ProductMapping, SetupStep, SyncSettings

VARIANT_GID = "gid://shopify/ProductVariant/"


def snapshot_of(value: Any) -> Any:
    """A JSON-safe picture of a mapping row or a settings value, for before/after."""
    if isinstance(value, models.Model):
        fields = (
            "qbo_id",
            "confirmed",
            "qbo_name",
            "create_spec",
            "qbo_item_id",
            "qbo_item_name",
            "qbo_tax_code_id",
            "qbo_tax_code_name",
            "class_id",
            "class_name",
            "department_id",
            "department_name",
        )
        return {f: snapshot_of(getattr(value, f)) for f in fields if hasattr(value, f)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [snapshot_of(v) for v in value]
    if isinstance(value, dict):
        return {str(k): snapshot_of(v) for k, v in value.items()}
    return value


def change_record(*, shop: Shop, section: str, by: str, before: dict[str, Any], after: dict[str, Any]) -> int:
    """Record one change and return the new mapping version (the current one if nothing changed)."""
    with transaction.atomic():
        rules, _ = SyncSettings.objects.get_or_create(shop=shop)
        rules = SyncSettings.objects.select_for_update().get(pk=rules.pk)
        changed_before = {k: v for k, v in before.items() if after.get(k) != v}
        changed_after = {k: v for k, v in after.items() if before.get(k) != v}
        if not changed_before and not changed_after:
            return rules.mapping_version
        rules.mapping_version += 1
        rules.save(update_fields=["mapping_version", "updated_at"])
        MappingChange.objects.create(
            shop=shop,
            version=rules.mapping_version,
            section=section,
            changed_by=by[:255],
            before=changed_before,
            after=changed_after,
        )
        return rules.mapping_version


# --- the history as a merchant reads it --------------------------------------------------------

NONE = "—"
SETTING_LABELS = {
    "sync_orders": "Sync orders",
    "sync_refunds": "Sync refunds",
    "sync_payouts": "Sync payouts and fees",
    "customer_mode": "Customers",
    "sync_inventory": "Sync inventory quantities",
    "start_date": "Start date",
    "posting_mode": "Posting",
    "doc_number_prefix": "Document number prefix",
    "sync_test_orders": "Sync test orders",
    "min_total": "Only orders of at least",
    "max_total": "Only orders of at most",
    "only_location_ids": "Only orders from",
    "only_channels": "Only orders from the sales channels",
    "only_tags": "Only orders tagged",
    "exclude_tags": "Leave out orders tagged",
}
ITEM_TYPES = {"NonInventory": "non-inventory", "Inventory": "inventory"}
# Keys of a products entry that only support the counts shown (variant gids, the item type).
PRODUCT_DETAILS = frozenset({"variants", "variants_not_listed", "item_type"})


@dataclass(frozen=True)
class HistoryEntry:
    change: MappingChange
    lines: list[str]


@dataclass(frozen=True)
class _Names:
    """What the raw keys stand for: "location:<gid>" / "channel:<name>" -> the name the merchant
    gave it in Shopify, a variant gid -> its title."""

    dimensions: dict[str, str]
    variants: dict[str, str]


def history_entries(*, shop: Shop, limit: int = 100) -> list[HistoryEntry]:
    """The shop's latest changes, newest first, each as plain sentences (selector)."""
    changes = list(MappingChange.objects.filter(shop=shop)[:limit])
    gids = {
        key
        for c in changes
        if c.section == SetupStep.PRODUCTS
        for key in (*c.before, *c.after)
        if key.startswith(VARIANT_GID)
    }
    names = _Names(
        dimensions={
            f"{kind}:{shopify_id}": name
            for kind, shopify_id, name in DimensionMapping.objects.filter(shop=shop).values_list(
                "kind", "shopify_id", "name"
            )
        },
        variants=dict(
            ProductMapping.objects.filter(shop=shop, variant_gid__in=gids).values_list("variant_gid", "title")
        ),
    )
    return [HistoryEntry(change=c, lines=change_lines(c, names)) for c in changes]


def change_lines(change: MappingChange, names: _Names | None = None) -> list[str]:
    """One change as the merchant reads it: “Product sales income: “Shopify Sales” (to be created)
    → “Sales of Product Income””, “Start date: — → 1 Jan 2026”, “Payment gateway PayPal: confirmed”."""
    names = names or _Names(dimensions={}, variants={})
    if change.section == SetupStep.PRODUCTS:
        return _product_lines(change, names)
    lines = []
    for key, was, now in change.changed_fields:
        if change.section in (SetupStep.ACCOUNTS, SetupStep.TAXES) and key in AccountRole.values:
            lines.append(_object_line(str(AccountRole(key).label), was, now))
        elif change.section == SetupStep.TAXES and key.startswith("tax:"):
            lines.append(_object_line(key.removeprefix("tax:"), was, now))
        elif change.section == SetupStep.GATEWAYS:
            lines.append(_object_line(f"Payment gateway {roles.gateway_label(key)}", was, now))
        elif change.section == SetupStep.LOCATIONS:
            kind, _, _ = key.partition(":")
            label = "Location" if kind == DimensionMapping.Kind.LOCATION else "Sales channel"
            lines.append(f"{label} {names.dimensions.get(key, key)}: {_dimensions(was)} → {_dimensions(now)}")
        elif key in SETTING_LABELS:
            lines.append(f"{SETTING_LABELS[key]}: {_setting(key, was, names)} → {_setting(key, now, names)}")
        elif change.section == SetupStep.GO_LIVE and key == "live":
            lines.append("Went live: documents are written to QuickBooks" if now else "Setup reopened")
        else:
            lines.append(f"{key.replace('_', ' ').capitalize()}: {_plain(was)} → {_plain(now)}")
    return lines


def _object(value: Any) -> str:
    """A QuickBooks object chosen (its name), one to create at go-live, or none."""
    if not isinstance(value, dict):
        return _plain(value)
    object_id = value.get("qbo_id") or value.get("qbo_item_id") or value.get("qbo_tax_code_id")
    name = value.get("qbo_name") or value.get("qbo_item_name") or value.get("qbo_tax_code_name")
    if object_id:
        return f"“{name or object_id}”"
    spec = value.get("create_spec")
    if isinstance(spec, dict) and spec:
        return f"“{spec.get('Name') or spec.get('DisplayName') or spec.get('TaxCode') or ''}” (to be created)"
    return NONE


def _object_line(label: str, was: Any, now: Any) -> str:
    before, after = _object(was), _object(now)
    if before != after:
        return f"{label}: {before} → {after}"
    was_confirmed = isinstance(was, dict) and bool(was.get("confirmed"))
    now_confirmed = isinstance(now, dict) and bool(now.get("confirmed"))
    if now_confirmed and not was_confirmed:
        return f"{label}: confirmed"
    if was_confirmed and not now_confirmed:
        return f"{label}: {after} is a proposal again, to confirm"
    return f"{label}: {after}, details changed"


def _dimensions(value: Any) -> str:
    if not isinstance(value, dict):
        return _plain(value)
    parts = []
    if value.get("class_id"):
        parts.append(f"class “{value.get('class_name') or value['class_id']}”")
    if value.get("department_id"):
        parts.append(f"location “{value.get('department_name') or value['department_id']}”")
    return ", ".join(parts) or NONE


def _setting(key: str, value: Any, names: _Names) -> str:
    if value is None or value == "" or value == []:
        return NONE
    if isinstance(value, bool):
        return "on" if value else "off"
    field = SyncSettings._meta.get_field(key)
    if not isinstance(field, models.Field):
        return _plain(value)
    if isinstance(field, models.DateField) and isinstance(value, str):
        day = date.fromisoformat(value)
        return f"{day.day} {day:%b %Y}"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if key in ("only_location_ids", "only_channels") and isinstance(value, list):
        kind = DimensionMapping.Kind.LOCATION if key == "only_location_ids" else DimensionMapping.Kind.CHANNEL
        return ", ".join(names.dimensions.get(f"{kind}:{v}", str(v)) for v in value)
    return _plain(value)


def _plain(value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _count(n: Any, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}" if isinstance(n, int) else f"{n} {many}"


def _product_lines(change: MappingChange, names: _Names) -> list[str]:
    """Changes to many variants are recorded as counts; one variant's as its item before and after."""
    before, after = change.before, change.after
    lines = []
    for gid in sorted({*before, *after} - PRODUCT_DETAILS):
        if gid.startswith(VARIANT_GID):
            title = names.variants.get(gid, gid.rsplit("/", 1)[-1])
            lines.append(f"Product {title}: {_object(before.get(gid))} → {_object(after.get(gid))}")
    if "matched_by_sku" in after or "matched_by_name" in after:
        lines.append(
            f"Matched automatically: {after.get('matched_by_sku') or 0:,} by SKU, "
            f"{after.get('matched_by_name') or 0:,} by name"
        )
    one_item = after.get("mapped_to_one_item")
    if isinstance(one_item, dict):
        variants = _count(before.get("unmatched"), "unmatched variant", "unmatched variants")
        lines.append(f"{variants} mapped to “{one_item.get('name') or one_item.get('id')}”")
    if "item_type" in after:
        kind = ITEM_TYPES.get(str(after["item_type"]), str(after["item_type"]))
        items = _count(after.get("items_to_create"), f"{kind} item", f"{kind} items")
        lines.append(f"{items} to create in QuickBooks for the unmatched variants")
    if "items_created" in after:
        lines.append(f"{_count(after['items_created'], 'item', 'items')} created in QuickBooks")
    if "unmatched" in before or "unmatched" in after:
        lines.append(f"Unmatched variants: {_plain(before.get('unmatched'))} → {_plain(after.get('unmatched'))}")
    return lines
