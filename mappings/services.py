"""The merchant's choices, saved: accounts per role, gateways, what to sync, filters, locations and
channels, and the setup's progress. Each save is confirmed and versioned (history.py); nothing
here talks to QuickBooks.

Proposals are in proposals.py, go-live in go_live.py, the snapshot the ledger books with in
snapshot.py.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.models import QuickBooksConnection, Shop
from mappings import roles
from mappings.history import change_record, snapshot_of
from mappings.models import AccountRoleMapping, DimensionMapping, GatewayMapping, SetupStep, SyncSettings

FILTER_FIELDS = (
    "sync_test_orders",
    "min_total",
    "max_total",
    "only_location_ids",
    "only_channels",
    "only_tags",
    "exclude_tags",
)


def settings_for(*, shop: Shop) -> SyncSettings:
    rules, _ = SyncSettings.objects.get_or_create(shop=shop)
    return rules


def shop_foreign_currency(*, shop: Shop) -> str:
    """The shop's currency when its QuickBooks company keeps its books in another one, else ""."""
    connection = QuickBooksConnection.objects.filter(shop=shop).first()
    home = connection.home_currency if connection is not None else ""
    return roles.foreign_currency(shop_currency=shop.currency, home_currency=home)


def _in_shop_currency(values: dict[str, Any], currency: str) -> dict[str, Any]:
    """Creating what holds the shop's money (a clearing or bank account, the customer) means
    creating one in the shop's currency when the company's home currency differs: the setup's
    "create it for me" choices are the home-currency ones."""
    spec = values.get("create_spec")
    if not currency or not isinstance(spec, dict) or not spec:
        return values
    return {**values, "create_spec": roles.create_in_currency(spec, currency)}


def roles_save(*, shop: Shop, choices: dict[str, dict[str, Any]], by: str, section: str = SetupStep.ACCOUNTS) -> int:
    """Save the merchant's choice for each role (``{"qbo_id", "qbo_name", "create_spec"}``), confirmed."""
    currency = shop_foreign_currency(shop=shop)
    choices = {
        role: _in_shop_currency(values, currency) if roles.holds_shop_money(role) else values
        for role, values in choices.items()
    }
    with transaction.atomic():
        rows = {m.role: m for m in AccountRoleMapping.objects.select_for_update().filter(shop=shop)}
        before = {role: snapshot_of(rows[role]) for role in choices if role in rows}
        for role, values in choices.items():
            AccountRoleMapping.objects.update_or_create(
                shop=shop, role=role, defaults={**values, "confirmed": True, "created_by_app": False}
            )
        after = {m.role: snapshot_of(m) for m in AccountRoleMapping.objects.filter(shop=shop, role__in=choices)}
        return change_record(shop=shop, section=section, by=by, before=before, after=after)


def gateways_save(*, shop: Shop, choices: dict[str, dict[str, Any]], by: str) -> int:
    currency = shop_foreign_currency(shop=shop)
    choices = {gateway: _in_shop_currency(values, currency) for gateway, values in choices.items()}
    with transaction.atomic():
        rows = {g.gateway: g for g in GatewayMapping.objects.select_for_update().filter(shop=shop)}
        before = {name: snapshot_of(rows[name]) for name in choices if name in rows}
        for gateway, values in choices.items():
            GatewayMapping.objects.update_or_create(
                shop=shop, gateway=gateway, defaults={**values, "confirmed": True, "created_by_app": False}
            )
        after = {g.gateway: snapshot_of(g) for g in GatewayMapping.objects.filter(shop=shop, gateway__in=choices)}
        return change_record(shop=shop, section=SetupStep.GATEWAYS, by=by, before=before, after=after)


def settings_save(*, shop: Shop, values: dict[str, Any], by: str, section: str) -> int:
    """Save what-to-sync or filter fields; versioned like every mapping change."""
    with transaction.atomic():
        rules = SyncSettings.objects.select_for_update().get(pk=settings_for(shop=shop).pk)
        before = {k: snapshot_of(getattr(rules, k)) for k in values}
        for key, value in values.items():
            setattr(rules, key, value)
        rules.save(update_fields=[*values, "updated_at"])
        after = {k: snapshot_of(getattr(rules, k)) for k in values}
        return change_record(shop=shop, section=section, by=by, before=before, after=after)


def dimensions_save(*, shop: Shop, choices: dict[int, dict[str, str]], by: str) -> int:
    """Class and department for each location or channel (blank: none)."""
    with transaction.atomic():
        rows = {d.pk: d for d in DimensionMapping.objects.select_for_update().filter(shop=shop, pk__in=choices)}
        before = {f"{r.kind}:{r.shopify_id}": snapshot_of(r) for r in rows.values()}
        for pk, values in choices.items():
            if pk in rows:
                DimensionMapping.objects.filter(pk=pk).update(**values)
        after = {
            f"{r.kind}:{r.shopify_id}": snapshot_of(r) for r in DimensionMapping.objects.filter(shop=shop, pk__in=rows)
        }
        return change_record(shop=shop, section=SetupStep.LOCATIONS, by=by, before=before, after=after)


def step_done(*, shop: Shop, step: str) -> None:
    with transaction.atomic():
        rules = SyncSettings.objects.select_for_update().get(pk=settings_for(shop=shop).pk)
        if step not in rules.steps_done:
            rules.steps_done = [*rules.steps_done, step]
            rules.save(update_fields=["steps_done", "updated_at"])
