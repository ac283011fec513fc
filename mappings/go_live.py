"""Go-live: refused with the precise list of what is missing; otherwise creates in QuickBooks what
the merchant confirmed as "create it for me" (accounts, the customer, the items the ledger books
with, the items asked for per product) and marks the shop live.

Nothing is written to QuickBooks before this. Existing QuickBooks objects are only ever
referenced, never changed; every object is looked up by name before it is created, so a second
run creates nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts import quickbooks_connect, tokens
from accounts.clients import qbo_client
from accounts.models import QuickBooksConnection, Shop
from mappings import roles, taxes
from mappings.catalog import catalog_forget
from mappings.history import change_record
from mappings.models import AccountRole, AccountRoleMapping, GatewayMapping, SetupStep, SyncSettings
from mappings.product_items import products_materialize
from mappings.services import settings_for, shop_foreign_currency
from shopqb_app.integrations.quickbooks import client as qbo

log = logging.getLogger(__name__)


class GoLiveRefused(Exception):
    def __init__(self, missing: list[str]) -> None:
        super().__init__("; ".join(missing))
        self.missing = missing


class NameTakenInAnotherCurrency(GoLiveRefused, qbo.QBORejected):
    """An object ShopQB would create exists by that name in another currency: never used, never
    changed (a currency is fixed once set). A refusal for go-live, a QuickBooks refusal for the
    test sync."""


def multicurrency_off(*, shop_currency: str, home_currency: str) -> str:
    # Reference: https://quickbooks.intuit.com/learn-support/global/mobile-and-apps/turn-on-multicurrency/00/381912
    return (
        f"Your shop sells in {shop_currency} and your QuickBooks company keeps its books in {home_currency}. "
        "Turn on multicurrency in QuickBooks (Settings ⚙ > Account and settings > Advanced > Currency), "
        "then press “Go live” again. QuickBooks cannot turn it off afterwards: check with your accountant first."
    )


def _held_in(row: dict[str, Any], home_currency: str) -> str:
    ref = row.get("CurrencyRef")
    return str(ref.get("value") or "") if isinstance(ref, dict) and ref.get("value") else home_currency


def _currencies(connection: QuickBooksConnection, entity: str, ids: list[str]) -> dict[str, str]:
    """The currency of each of these QuickBooks objects, read from QuickBooks."""
    ids = [qbo_id for qbo_id in ids if qbo_id.isalnum()]  # QuickBooks ids: nothing to quote
    if not ids:
        return {}
    qb = qbo_client(connection)
    in_list = ", ".join(f"'{qbo_id}'" for qbo_id in ids)
    rows = qbo.query_all(qb, f"select * from {entity} where Id in ({in_list})", entity)  # noqa: S608
    return {str(row["Id"]): _held_in(row, connection.home_currency) for row in rows}


def currency_missing(*, shop: Shop, connection: QuickBooksConnection) -> list[str]:
    """A shop selling in another currency than the company's home currency needs multicurrency on
    in QuickBooks, and the customer, the clearing accounts and the payout bank account in the
    shop's currency. Reads QuickBooks only for such a shop: the company's preferences while
    multicurrency is off (it may have been turned on since), the currencies of what was chosen."""
    currency = roles.foreign_currency(shop_currency=shop.currency, home_currency=connection.home_currency)
    if currency and not connection.multicurrency:
        try:
            connection = quickbooks_connect.qbo_company_refresh(connection=connection)
        except (tokens.TokenRevoked, tokens.TokenRefreshFailed, qbo.QBOError) as exc:
            log.warning("could not read the QuickBooks preferences of %s again: %s", shop.domain, exc)
        currency = roles.foreign_currency(shop_currency=shop.currency, home_currency=connection.home_currency)
        if currency and not connection.multicurrency:
            return [multicurrency_off(shop_currency=currency, home_currency=connection.home_currency)]
    if not currency:
        return []
    chosen: list[tuple[str, AccountRoleMapping | GatewayMapping]] = [
        ("Customer" if m.role == AccountRole.CUSTOMER_DEFAULT else "Account", m)
        for m in AccountRoleMapping.objects.filter(shop=shop).exclude(qbo_id="").order_by("pk")
        if roles.holds_shop_money(m.role)
    ]
    chosen += [("Account", g) for g in GatewayMapping.objects.filter(shop=shop).exclude(qbo_id="").order_by("pk")]
    try:
        held = {
            entity: _currencies(connection, entity, [row.qbo_id for kind, row in chosen if kind == entity])
            for entity in ("Account", "Customer")
        }
    except (tokens.TokenRevoked, tokens.TokenRefreshFailed, qbo.QBOError) as exc:
        return [f"QuickBooks could not be read to check the currency of what you chose; try again. ({exc})"]
    missing = []
    for entity, row in chosen:
        in_currency = held[entity].get(row.qbo_id)
        if in_currency is None or in_currency == currency:
            continue  # gone from QuickBooks: the sync says so when it books to it
        if isinstance(row, GatewayMapping):
            missing.append(
                f"“{row.qbo_name}” is in {in_currency}; payments through “{roles.gateway_label(row.gateway)}” "
                f"are in {currency}: choose an account in {currency}, or let ShopQB create one (Payment gateways)."
            )
        elif entity == "Customer":
            missing.append(
                f"The QuickBooks customer “{row.qbo_name}” is in {in_currency}; your orders are in {currency}: "
                f"choose a customer in {currency}, or let ShopQB create one (Accounts)."
            )
        else:
            label = AccountRole(row.role).label
            missing.append(
                f"“{row.qbo_name}”, chosen for “{label}”, is in {in_currency}; your shop's money is in {currency}: "
                f"choose an account in {currency}, or let ShopQB create one (Accounts)."
            )
    return missing


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
    if connection is not None and connection.status == QuickBooksConnection.Status.CONNECTED:
        missing.extend(currency_missing(shop=shop, connection=connection))
    missing.extend(taxes.tax_missing(shop=shop))
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
        wanted = roles.spec_currency(body)
        held = _held_in(found[0], "")
        if wanted and held != wanted:
            kind = "a customer" if entity == "Customer" else "an account"
            raise NameTakenInAnotherCurrency(
                [
                    f"QuickBooks already has {kind} named “{name}” in {held or 'the home currency'}; ShopQB "
                    f"needs one in {wanted}. Rename that one in QuickBooks, or choose another in {wanted}."
                ]
            )
        return Created(entity, str(found[0]["Id"]), name)
    obj = qbo.call(lambda: qbo.entity_class(entity).from_json(body).save(qb=qb))
    return Created(entity, str(obj.Id), name)


def _materialize(
    qb: qbo.QuickBooks, row: AccountRoleMapping | GatewayMapping, entity: str, field: str, currency: str = ""
) -> Created | None:
    if row.qbo_id or not row.create_spec:
        return None
    made = _create(qb, entity, roles.create_in_currency(dict(row.create_spec), currency), field)
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
    # What holds the shop's money is created in the shop's currency when the company's differs.
    currency = shop_foreign_currency(shop=shop)
    mapped = {m.role: m for m in AccountRoleMapping.objects.filter(shop=shop)}
    accounts: list[tuple[AccountRoleMapping | GatewayMapping, str]] = [
        *((mapped[s.role], currency if s.in_shop_currency else "") for s in roles.ACCOUNT_ROLES if s.role in mapped),
        *((g, currency) for g in GatewayMapping.objects.filter(shop=shop)),
    ]
    for row, in_currency in accounts:
        made = _materialize(qb, row, "Account", "Name", in_currency)
        if made:
            created.append(made)
    if AccountRole.CUSTOMER_DEFAULT in mapped:
        made = _materialize(qb, mapped[AccountRole.CUSTOMER_DEFAULT], "Customer", "DisplayName", currency)
        if made:
            created.append(made)
    for item_spec in roles.ITEM_ROLES:
        item = mapped.get(item_spec.role)
        if item is not None and item.qbo_id:
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
