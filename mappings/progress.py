"""Where a shop is in its setup: each step, done or not, and what it still needs (a selector)."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from accounts.models import QuickBooksConnection, Shop
from mappings import roles, taxes
from mappings.models import (
    AccountRole,
    AccountRoleMapping,
    GatewayMapping,
    ProductMapping,
    SetupStep,
    SyncSettings,
)
from shopqb_app.text import counted

STEP_URLS = {
    SetupStep.CONNECT: "home",
    SetupStep.WHAT_TO_SYNC: "mappings:what_to_sync",
    SetupStep.ACCOUNTS: "mappings:accounts",
    SetupStep.GATEWAYS: "mappings:gateways",
    SetupStep.TAXES: "mappings:taxes",
    SetupStep.PRODUCTS: "mappings:products",
    SetupStep.LOCATIONS: "mappings:locations",
    SetupStep.FILTERS: "mappings:filters",
    SetupStep.PREVIEW: "setup_preview",
    SetupStep.TEST_SYNC: "setup_test_sync",
}
OPTIONAL = frozenset({SetupStep.LOCATIONS, SetupStep.FILTERS, SetupStep.TEST_SYNC})


@dataclass(frozen=True)
class StepStatus:
    step: SetupStep
    url: str
    done: bool
    note: str
    optional: bool

    @property
    def label(self) -> str:
        return str(self.step.label)


def _notes(shop: Shop, rules: SyncSettings) -> dict[SetupStep, tuple[bool, str]]:
    connection = QuickBooksConnection.objects.filter(shop=shop).first()
    connected = connection is not None and connection.status == QuickBooksConnection.Status.CONNECTED
    roles_rows = {m.role: m for m in AccountRoleMapping.objects.filter(shop=shop)}
    needed = [*(s.role for s in roles.ACCOUNT_ROLES), AccountRole.CUSTOMER_DEFAULT]
    open_roles = sum(1 for r in needed if not (r in roles_rows and roles_rows[r].is_set and roles_rows[r].confirmed))
    gateways = GatewayMapping.objects.filter(shop=shop)
    open_gateways = sum(1 for g in gateways if not (g.is_set and g.confirmed))
    open_taxes = len(taxes.tax_missing(shop=shop))
    products = ProductMapping.objects.filter(shop=shop)
    unmatched = products.filter(qbo_item_id="", create_spec={}).count()
    done = set(rules.steps_done)
    return {
        SetupStep.CONNECT: (connected, "" if connected else "Not connected"),
        SetupStep.WHAT_TO_SYNC: (
            SetupStep.WHAT_TO_SYNC in done and rules.start_date is not None,
            f"From {rules.start_date:%d %b %Y}" if rules.start_date else "Choose a start date",
        ),
        SetupStep.ACCOUNTS: (open_roles == 0, f"{open_roles} to confirm" if open_roles else "All confirmed"),
        SetupStep.GATEWAYS: (
            open_gateways == 0 and gateways.exists(),
            f"{open_gateways} to confirm" if open_gateways else f"{gateways.count()} mapped",
        ),
        SetupStep.TAXES: (
            open_taxes == 0 and SetupStep.TAXES in done,
            f"{counted(open_taxes, 'tax rate')} without a code"
            if open_taxes
            else ("Reviewed" if SetupStep.TAXES in done else "Review"),
        ),
        SetupStep.PRODUCTS: (
            SetupStep.PRODUCTS in done,
            f"{unmatched} unmatched: they book to the item for unmapped products"
            if unmatched
            else "Reviewed"
            if SetupStep.PRODUCTS in done
            else "Review",
        ),
        SetupStep.LOCATIONS: (SetupStep.LOCATIONS in done, "Optional"),
        SetupStep.FILTERS: (SetupStep.FILTERS in done, "Optional"),
        SetupStep.PREVIEW: (SetupStep.PREVIEW in done, "" if SetupStep.PREVIEW in done else "Look at one order first"),
        SetupStep.TEST_SYNC: (SetupStep.TEST_SYNC in done, "Optional, recommended"),
    }


def setup_steps(*, shop: Shop) -> list[StepStatus]:
    rules, _ = SyncSettings.objects.get_or_create(shop=shop)
    notes = _notes(shop, rules)
    return [
        StepStatus(
            step=step, url=reverse(STEP_URLS[step]), done=notes[step][0], note=notes[step][1], optional=step in OPTIONAL
        )
        for step in STEP_URLS
    ]
