"""The merchant's mapping: proposals, confirmed choices, go-live, and the snapshot the ledger books with.

Nothing is written to QuickBooks before go-live. Connecting only reads the company; ShopQB then
*proposes* an object for every role (an existing one with the usual name, or one to create), the
merchant confirms or changes each, and ``setup_go_live`` creates what was confirmed as "create it
for me". Existing QuickBooks objects are only ever referenced, never changed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import QuickBooksConnection, Shop
from mappings import roles
from mappings.catalog import Catalog, catalog_forget
from mappings.history import change_record, snapshot_of
from mappings.models import (
    AccountRole,
    AccountRoleMapping,
    DimensionMapping,
    GatewayMapping,
    ProductMapping,
    SetupStep,
    SyncSettings,
    TaxMapping,
)
from mappings.products import products_materialize
from shopqb_app.integrations.quickbooks import client as qbo
from syncing import ledger

log = logging.getLogger(__name__)

BY_SHOPQB = "ShopQB (proposal)"


class MappingIncomplete(Exception):
    pass


class GoLiveRefused(Exception):
    def __init__(self, missing: list[str]) -> None:
        super().__init__("; ".join(missing))
        self.missing = missing


def settings_for(*, shop: Shop) -> SyncSettings:
    rules, _ = SyncSettings.objects.get_or_create(shop=shop)
    return rules


# --- proposals --------------------------------------------------------------------------------


def _propose_account(catalog: Catalog, spec: roles.AccountSpec, types: tuple[str, ...]) -> dict[str, Any]:
    found = catalog.account_named(spec.name, types)
    if found:
        return {"qbo_id": found.id, "qbo_name": found.name, "create_spec": {}}
    return {"qbo_id": "", "qbo_name": "", "create_spec": spec.as_create()}


def mapping_propose(*, shop: Shop, catalog: Catalog) -> int:
    """Give every role and known gateway without a mapping a proposal (confirmed=False).

    Reads only: an existing object with ShopQB's usual name is proposed as is; otherwise the
    proposal says what would be created. Returns how many proposals were added.
    """
    mapped = set(AccountRoleMapping.objects.filter(shop=shop).values_list("role", flat=True))
    added = 0
    for spec in roles.ACCOUNT_ROLES:
        if spec.role in mapped:
            continue
        if spec.role == AccountRole.BANK_ACCOUNT:
            banks = catalog.accounts_of(("Bank",))
            # The merchant's own bank is chosen, not invented: propose the first one if any.
            values = (
                {"qbo_id": banks[0].id, "qbo_name": banks[0].name, "create_spec": {}}
                if banks
                else _propose_account(catalog, spec.default, spec.account_types)
            )
        else:
            values = _propose_account(catalog, spec.default, spec.account_types)
        AccountRoleMapping.objects.create(shop=shop, role=spec.role, confirmed=False, **values)
        added += 1
    if AccountRole.CUSTOMER_DEFAULT not in mapped:
        customer = catalog.customers[0] if catalog.customers else None
        AccountRoleMapping.objects.create(
            shop=shop,
            role=AccountRole.CUSTOMER_DEFAULT,
            confirmed=False,
            qbo_id=customer.id if customer else "",
            qbo_name=customer.name if customer else "",
            create_spec={} if customer else {"DisplayName": roles.DEFAULT_CUSTOMER},
        )
        added += 1
    known = set(GatewayMapping.objects.filter(shop=shop).values_list("gateway", flat=True))
    for gateway in roles.GATEWAY_DEFAULTS:
        if gateway not in known:
            values = _propose_account(catalog, roles.gateway_default(gateway), roles.GATEWAY_ACCOUNT_TYPES)
            GatewayMapping.objects.create(shop=shop, gateway=gateway, confirmed=False, **values)
            added += 1
    return added


def gateway_seen(*, shop: Shop, gateway: str, catalog: Catalog | None = None) -> GatewayMapping:
    """Record a gateway found in the shop's orders; a new one gets a proposal to confirm."""
    row = GatewayMapping.objects.filter(shop=shop, gateway=gateway).first()
    if row is None:
        values: dict[str, Any] = {"create_spec": roles.gateway_default(gateway).as_create()}
        if catalog is not None:
            values = _propose_account(catalog, roles.gateway_default(gateway), roles.GATEWAY_ACCOUNT_TYPES)
        row, _ = GatewayMapping.objects.get_or_create(
            shop=shop, gateway=gateway, defaults={"confirmed": False, **values}
        )
    GatewayMapping.objects.filter(pk=row.pk).update(orders_seen=row.orders_seen + 1)
    return row


# --- the merchant's choices -------------------------------------------------------------------


def roles_save(*, shop: Shop, choices: dict[str, dict[str, Any]], by: str, section: str = SetupStep.ACCOUNTS) -> int:
    """Save the merchant's choice for each role (``{"qbo_id", "qbo_name", "create_spec"}``), confirmed."""
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


FILTER_FIELDS = (
    "sync_test_orders",
    "min_total",
    "max_total",
    "only_location_ids",
    "only_channels",
    "only_tags",
    "exclude_tags",
)


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


# --- go-live ----------------------------------------------------------------------------------


def setup_missing(*, shop: Shop) -> list[str]:
    """What stops go-live, one plain sentence each. Empty: ready."""
    missing: list[str] = []
    connection = QuickBooksConnection.objects.filter(shop=shop).first()
    if connection is None or connection.status != QuickBooksConnection.Status.CONNECTED:
        missing.append("Connect your QuickBooks Online company.")
    rules = settings_for(shop=shop)
    if rules.start_date is None:
        missing.append("Choose the date to start syncing from (What to sync).")
    mapped = {m.role: m for m in AccountRoleMapping.objects.filter(shop=shop)}
    for spec in roles.ACCOUNT_ROLES:
        row = mapped.get(spec.role)
        if row is None or not row.is_set:
            missing.append(f"Choose an account for “{spec.role.label}” (Accounts).")
        elif not row.confirmed:
            missing.append(f"Confirm the account proposed for “{spec.role.label}” (Accounts).")
    customer = mapped.get(AccountRole.CUSTOMER_DEFAULT)
    if customer is None or not customer.is_set or not customer.confirmed:
        missing.append("Confirm the QuickBooks customer for Shopify orders (Accounts).")
    for gateway in GatewayMapping.objects.filter(shop=shop):
        if not gateway.is_set or not gateway.confirmed:
            missing.append(
                f"Confirm where payments through “{roles.gateway_label(gateway.gateway)}” go (Payment gateways)."
            )
    us = connection is None or (connection.country or "US") == "US"
    if not us:
        for tax in TaxMapping.objects.filter(shop=shop, qbo_tax_code_id=""):
            missing.append(f"Choose the QuickBooks tax code for “{tax.title} {tax.percent}%” (Taxes).")
    if rules.sample_orders and SetupStep.PREVIEW not in rules.steps_done:
        # A store with orders: see what one of them becomes before anything is written.
        missing.append("Look at the preview of at least one order.")
    return missing


@dataclass(frozen=True)
class Created:
    entity: str
    qbo_id: str
    name: str


def _create(qb: qbo.QuickBooks, entity: str, body: dict[str, Any], name_field: str) -> Created:
    """Create one list object, or use the one another attempt (or the merchant) already made."""
    name = str(body[name_field])
    found = qbo.find_by(qb, entity, name_field, name)
    if found:
        return Created(entity, str(found[0]["Id"]), name)
    obj = qbo.call(lambda: qbo.entity_class(entity).from_json(body).save(qb=qb))
    return Created(entity, str(obj.Id), name)


def _materialize(
    qb: qbo.QuickBooks, row: AccountRoleMapping | GatewayMapping, entity: str, field: str
) -> Created | None:
    if row.qbo_id or not row.create_spec:
        return None
    made = _create(qb, entity, dict(row.create_spec), field)
    type(row).objects.filter(pk=row.pk).update(
        qbo_id=made.qbo_id, qbo_name=made.name, create_spec={}, created_by_app=True
    )
    row.qbo_id, row.qbo_name, row.create_spec = made.qbo_id, made.name, {}
    return made


def mapping_materialize(*, shop: Shop, qb: qbo.QuickBooks) -> list[Created]:
    """Create in QuickBooks what the merchant confirmed as "create it for me", and the items the
    ledger books with. Only at go-live or when the merchant runs a test sync. Idempotent: every
    object is looked up by name before it is created; existing objects are never changed."""
    created: list[Created] = []
    mapped = {m.role: m for m in AccountRoleMapping.objects.filter(shop=shop)}
    for row in [
        *(mapped[spec.role] for spec in roles.ACCOUNT_ROLES if spec.role in mapped),
        *GatewayMapping.objects.filter(shop=shop),
    ]:
        made = _materialize(qb, row, "Account", "Name")
        if made:
            created.append(made)
    if AccountRole.CUSTOMER_DEFAULT in mapped:
        made = _materialize(qb, mapped[AccountRole.CUSTOMER_DEFAULT], "Customer", "DisplayName")
        if made:
            created.append(made)
    for item_spec in roles.ITEM_ROLES:
        row = mapped.get(item_spec.role)
        if row is not None and row.qbo_id:
            continue
        account = mapped[item_spec.income_role]
        body = {
            "Name": item_spec.name,
            "Type": "Service",
            "Description": item_spec.description,
            "IncomeAccountRef": {"value": account.qbo_id, "name": account.qbo_name},
        }
        made = _create(qb, "Item", body, "Name")
        created.append(made)
        AccountRoleMapping.objects.update_or_create(
            shop=shop,
            role=item_spec.role,
            defaults={"qbo_id": made.qbo_id, "qbo_name": made.name, "confirmed": True, "created_by_app": True},
        )
    # Items the merchant asked for per product book to the sales income account created above.
    products_materialize(shop=shop, qb=qb)
    catalog_forget(shop=shop)
    return created


def setup_go_live(*, shop: Shop, qb: qbo.QuickBooks, by: str) -> list[Created]:
    """Create what the merchant confirmed and go live. Refused with the precise list of what is
    missing. Safe to run twice; a shop already live stays as it is."""
    missing = setup_missing(shop=shop)
    if missing:
        raise GoLiveRefused(missing)
    created = mapping_materialize(shop=shop, qb=qb)
    with transaction.atomic():
        rules = SyncSettings.objects.select_for_update().get(shop=shop)
        if rules.live_at is None:
            rules.live_at = timezone.now()
            rules.steps_done = sorted({*rules.steps_done, SetupStep.GO_LIVE})
            rules.save(update_fields=["live_at", "steps_done", "updated_at"])
            change_record(shop=shop, section=SetupStep.GO_LIVE, by=by, before={"live": False}, after={"live": True})
    return created


# --- the snapshot the ledger books with -------------------------------------------------------


def _planned(row: AccountRoleMapping | GatewayMapping) -> ledger.Ref | None:
    """For a preview: the object as it will be once go-live creates it (no QuickBooks id yet)."""
    if row.qbo_id:
        return ledger.Ref(row.qbo_id, row.qbo_name)
    if row.create_spec:
        name = row.create_spec.get("Name") or row.create_spec.get("DisplayName") or ""
        return ledger.Ref("", f"{name} (created at go-live)")
    return None


def mapping_snapshot(*, shop: Shop, connection: QuickBooksConnection, planned: bool = False) -> ledger.Mapping:
    """The mapping the ledger books with. ``planned``: for a preview before go-live, objects still
    to be created appear by name with an empty id (never sent to QuickBooks)."""
    refs: dict[str, ledger.Ref] = {}
    for m in AccountRoleMapping.objects.filter(shop=shop):
        ref = _planned(m) if planned else (ledger.Ref(m.qbo_id, m.qbo_name) if m.qbo_id else None)
        if ref is not None:
            refs[m.role] = ref
    if planned:
        for item_spec in roles.ITEM_ROLES:
            refs.setdefault(item_spec.role, ledger.Ref("", f"{item_spec.name} (created at go-live)"))
    needed = [*roles.ITEM_ROLE_SPECS, AccountRole.CUSTOMER_DEFAULT, AccountRole.CLEARING_OTHER]
    missing = [role for role in needed if role not in refs]
    if missing:
        raise MappingIncomplete(f"no QuickBooks object mapped for: {', '.join(missing)}")
    rules = settings_for(shop=shop)
    clearing: dict[str, ledger.Ref] = {}
    for g in GatewayMapping.objects.filter(shop=shop):
        ref = _planned(g) if planned else (ledger.Ref(g.qbo_id, g.qbo_name) if g.qbo_id else None)
        if ref is not None:
            clearing[g.gateway.lower()] = ref
    products = ProductMapping.objects.filter(shop=shop).exclude(qbo_item_id="")
    by_variant, by_sku = {}, {}
    for variant_gid, sku, item_id, item_name in products.values_list(
        "variant_gid", "sku", "qbo_item_id", "qbo_item_name"
    ):
        by_variant[variant_gid] = ledger.Ref(item_id, item_name)
        if sku:
            by_sku.setdefault(sku, ledger.Ref(item_id, item_name))
    dimensions = {
        f"{d.kind}:{d.shopify_id}": (
            ledger.Ref(d.class_id, d.class_name) if d.class_id else None,
            ledger.Ref(d.department_id, d.department_name) if d.department_id else None,
        )
        for d in DimensionMapping.objects.filter(shop=shop)
        if d.class_id or d.department_id
    }
    return ledger.Mapping(
        dimensions=dimensions,
        sales_item=refs[AccountRole.SALES_ITEM],
        shipping_item=refs[AccountRole.SHIPPING_ITEM],
        discount_item=refs[AccountRole.DISCOUNT_ITEM],
        tip_item=refs[AccountRole.TIP_ITEM],
        gift_card_item=refs[AccountRole.GIFT_CARD_ITEM],
        rounding_item=refs[AccountRole.ROUNDING_ITEM],
        customer=refs[AccountRole.CUSTOMER_DEFAULT],
        clearing_accounts=clearing,
        default_clearing=refs[AccountRole.CLEARING_OTHER],
        timezone=shop.iana_timezone or "UTC",
        country=connection.country or "US",
        doc_number_prefix=rules.doc_number_prefix,
        # US companies' pseudo codes unless the merchant chose others (Taxes step).
        taxable_code=refs[AccountRole.TAX_CODE_DEFAULT].value if AccountRole.TAX_CODE_DEFAULT in refs else "TAX",
        exempt_code=refs[AccountRole.TAX_CODE_EXEMPT].value if AccountRole.TAX_CODE_EXEMPT in refs else "NON",
        items_by_sku=by_sku,
        items_by_variant=by_variant,
        bank_account=refs.get(AccountRole.BANK_ACCOUNT),
        fees_account=refs.get(AccountRole.PAYOUT_FEES),
        version=rules.mapping_version,
    )


def setup_accept_proposals(*, shop: Shop, catalog: Catalog, by: str, start_date: Any) -> None:
    """Save every step as proposed, through the same services the setup's forms call: what a
    merchant does by pressing Save on each page without changing anything (the demo, support)."""
    mapping_propose(shop=shop, catalog=catalog)
    settings_save(shop=shop, values={"start_date": start_date}, by=by, section=SetupStep.WHAT_TO_SYNC)
    fields = ("qbo_id", "qbo_name", "create_spec")
    roles_save(
        shop=shop,
        choices={m.role: {f: getattr(m, f) for f in fields} for m in AccountRoleMapping.objects.filter(shop=shop)},
        by=by,
    )
    gateways_save(
        shop=shop,
        choices={g.gateway: {f: getattr(g, f) for f in fields} for g in GatewayMapping.objects.filter(shop=shop)},
        by=by,
    )
    for step in (SetupStep.WHAT_TO_SYNC, SetupStep.ACCOUNTS, SetupStep.GATEWAYS, SetupStep.TAXES, SetupStep.PRODUCTS):
        step_done(shop=shop, step=step)
