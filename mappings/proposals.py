"""What ShopQB proposes for every role and gateway before the merchant chooses: an existing
QuickBooks object with the usual name, or one to create at go-live. Reads QuickBooks (through the
catalog) and writes only unconfirmed rows; nothing is created in QuickBooks here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from accounts.models import QuickBooksConnection, Shop
from mappings import roles
from mappings.catalog import Catalog, QBOObject
from mappings.models import AccountRole, AccountRoleMapping, GatewayMapping, SetupStep
from mappings.services import gateways_save, roles_save, settings_save, shop_foreign_currency, step_done


def _currency_of(obj: QBOObject, home_currency: str) -> str:
    """The currency an account or customer is held in (QuickBooks leaves CurrencyRef out of a
    company without multicurrency: then the home currency)."""
    return obj.currency or home_currency


def _propose_account(
    catalog: Catalog, spec: roles.AccountSpec, types: tuple[str, ...], home_currency: str = ""
) -> dict[str, Any]:
    found = catalog.account_named(spec.name, types)
    # In a foreign currency, an account of that name is proposed only when it is in that currency;
    # otherwise the proposal is to create it.
    if found and (not spec.currency or _currency_of(found, home_currency) == spec.currency):
        return {"qbo_id": found.id, "qbo_name": found.name, "create_spec": {}}
    return {"qbo_id": "", "qbo_name": "", "create_spec": spec.as_create()}


def _propose_bank(catalog: Catalog, spec: roles.AccountRoleSpec, currency: str, home_currency: str) -> dict[str, Any]:
    # The merchant's own bank is chosen, not invented: propose the first one (in the shop's
    # currency where that differs from the home currency) if any.
    banks = [b for b in catalog.accounts_of(("Bank",)) if not currency or _currency_of(b, home_currency) == currency]
    if banks:
        return {"qbo_id": banks[0].id, "qbo_name": banks[0].name, "create_spec": {}}
    return _propose_account(catalog, spec.default.in_currency(currency), spec.account_types, home_currency)


def _propose_customer(catalog: Catalog, currency: str, home_currency: str) -> dict[str, Any]:
    wanted = roles.customer_name(currency).lower()
    customer = next(
        (
            c
            for c in catalog.customers
            if c.name.lower() == wanted and (not currency or _currency_of(c, home_currency) == currency)
        ),
        None,
    )
    if customer is None and not currency and catalog.customers:
        customer = catalog.customers[0]
    if customer is not None:
        return {"qbo_id": customer.id, "qbo_name": customer.name, "create_spec": {}}
    return {"qbo_id": "", "qbo_name": "", "create_spec": roles.customer_create(currency)}


def _in_wrong_currency(row: AccountRoleMapping | GatewayMapping, currency: str, catalog: Catalog, home: str) -> bool:
    """An unconfirmed proposal made for another currency (before the company's currency was known,
    or a gateway found in the shop's orders): proposed again."""
    if row.create_spec:
        return roles.spec_currency(row.create_spec) != currency
    if not row.qbo_id:
        return False
    customer = isinstance(row, AccountRoleMapping) and row.role == AccountRole.CUSTOMER_DEFAULT
    objects = catalog.customers if customer else catalog.accounts
    found = next((o for o in objects if o.id == row.qbo_id), None)
    return found is None or _currency_of(found, home) != currency


def mapping_propose(*, shop: Shop, catalog: Catalog) -> int:
    """Give every role and known gateway without a mapping a proposal (confirmed=False).

    Reads only: an existing object with ShopQB's usual name is proposed as is; otherwise the
    proposal says what would be created. When the shop sells in another currency than the
    company's home currency, the customer, the clearing accounts and the payout bank account are
    ones in the shop's currency ("Shopify Payments Clearing (EUR)"). Returns how many proposals
    were added.
    """
    connection = QuickBooksConnection.objects.filter(shop=shop).first()
    home = connection.home_currency if connection is not None else ""
    currency = shop_foreign_currency(shop=shop)
    if currency:
        # Proposals made for the home currency, never confirmed, give way to ones in the shop's.
        stale_roles = [
            m.pk
            for m in AccountRoleMapping.objects.filter(shop=shop, confirmed=False)
            if roles.holds_shop_money(m.role) and _in_wrong_currency(m, currency, catalog, home)
        ]
        AccountRoleMapping.objects.filter(pk__in=stale_roles).delete()
        stale_gateways = [
            g.pk
            for g in GatewayMapping.objects.filter(shop=shop, confirmed=False)
            if _in_wrong_currency(g, currency, catalog, home)
        ]
        for row in GatewayMapping.objects.filter(pk__in=stale_gateways):
            values = _propose_account(
                catalog, roles.gateway_default(row.gateway, currency), roles.GATEWAY_ACCOUNT_TYPES, home
            )
            GatewayMapping.objects.filter(pk=row.pk).update(**values)
    mapped = set(AccountRoleMapping.objects.filter(shop=shop).values_list("role", flat=True))
    added = 0
    for spec in roles.ACCOUNT_ROLES:
        if spec.role in mapped:
            continue
        if spec.role == AccountRole.BANK_ACCOUNT:
            values = _propose_bank(catalog, spec, currency, home)
        else:
            default = spec.default.in_currency(currency) if spec.in_shop_currency else spec.default
            values = _propose_account(catalog, default, spec.account_types, home)
        AccountRoleMapping.objects.create(shop=shop, role=spec.role, confirmed=False, **values)
        added += 1
    if AccountRole.CUSTOMER_DEFAULT not in mapped:
        values = _propose_customer(catalog, currency, home)
        AccountRoleMapping.objects.create(shop=shop, role=AccountRole.CUSTOMER_DEFAULT, confirmed=False, **values)
        added += 1
    known = set(GatewayMapping.objects.filter(shop=shop).values_list("gateway", flat=True))
    for gateway in roles.GATEWAY_DEFAULTS:
        if gateway not in known:
            values = _propose_account(
                catalog, roles.gateway_default(gateway, currency), roles.GATEWAY_ACCOUNT_TYPES, home
            )
            GatewayMapping.objects.create(shop=shop, gateway=gateway, confirmed=False, **values)
            added += 1
    return added


def setup_accept_proposals(*, shop: Shop, catalog: Catalog, by: str, start_date: date) -> None:
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
