"""Every change to a merchant's rules becomes a numbered version: who, when, before and after.

The version number lives on SyncSettings and is bumped under its row lock, so two staff members
saving at once get two versions, never one lost change. Documents record the version they were
produced under, so an accountant can tell which rules booked which document.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models, transaction

from accounts.models import Shop
from mappings.models import MappingChange, SyncSettings


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
