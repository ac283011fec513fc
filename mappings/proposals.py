"""What ShopQB proposes for every role and gateway before the merchant chooses: an existing
QuickBooks object with the usual name, or one to create at go-live. Reads QuickBooks (through the
catalog) and writes only unconfirmed rows; nothing is created in QuickBooks here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from accounts.models import Shop
from mappings import roles
from mappings.catalog import Catalog
from mappings.models import AccountRole, AccountRoleMapping, GatewayMapping, SetupStep
from mappings.services import gateways_save, roles_save, settings_save, step_done


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
