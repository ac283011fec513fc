"""The QuickBooks customer an order is booked to: one generic customer, or (the merchant's
choice, ``SyncSettings.customer_mode``) the Shopify customer's own, matched or created once.

Which customer, in this order:

1. The order's own binding (``OrderCustomer``): once ShopQB has booked an order, every later
   document of it (payments, refunds, credit memos, edits, receivable journal lines) names the
   customer its sale was booked to, whatever the setting says now. An order booked before
   bindings existed was booked to the generic customer, and keeps it.
2. Guest checkouts and POS walk-ins (no Shopify customer), and every order in the generic mode:
   the generic customer the merchant mapped (AccountRole.CUSTOMER_DEFAULT).
3. Per customer: the Shopify customer's ``CustomerLink``, claimed with a conditional UPDATE so
   that two orders of one new customer make one QuickBooks customer. The claimer looks in
   QuickBooks first and creates only when nothing there may be reused:

   - by email (``PrimaryEmailAddr``, filterable on Customer): reused when exactly one active
     customer in the order's currency has it and it is not another Shopify customer's;
   - by the Shopify customer GID kept in the QuickBooks customer's ``Notes``: Notes is not
     filterable (only the properties Intuit's reference marks filterable may appear in a where
     clause; sandbox/qbo/filterable.py lists Customer's), so the customers under the names
     ShopQB would give the buyer (``DisplayName in (...)``, the name series below) are read
     and their Notes searched; a customer carrying the GID was made by ShopQB for this buyer
     (its link lost, an answer lost);
   - by display name: exactly one active customer of that name, in the order's currency, not
     another Shopify customer's, and with no email or phone that contradicts Shopify's.

   A customer found is only ever referred to, never changed. A new one carries the name,
   email, phone, billing and shipping addresses, the currency (a foreign-currency shop: the
   shop's, as mappings/go_live.py creates the generic one) and the GID in Notes. QuickBooks
   refuses a DisplayName used by any customer, vendor or employee (6240, "Duplicate Name
   Exists"): the next name in a fixed series is tried (``Jane Doe``, ``Jane Doe (Shopify
   123)``, ``Jane Doe (Shopify 123-2)``...), each with its own stable requestid, so a retry
   lands on the same name and QuickBooks replays an answer that was lost.

Why Notes for the GID: QuickBooks has no field for another system's id on a Customer that can
be queried (AcctNum is not filterable either: intuit/QuickBooks-V3-DotNET-SDK#163), and Notes
is the one free-text field merchants see on the customer page without being used by QuickBooks
itself; the name series keeps the GID findable through a filterable field.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import re
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.models import Shop
from mappings.models import SyncSettings
from shopqb_app.integrations.quickbooks import client as qbo
from shopqb_app.integrations.shopify.parse import Address, Order
from syncing import ledger
from syncing.context import SyncContext, claim_lease
from syncing.customer_models import CustomerLink, OrderCustomer
from syncing.ledger.model import ship_addr
from syncing.models import SyncedRecord
from syncing.writing import stable_request_id

log = logging.getLogger(__name__)

DUPLICATE_NAME = "6240"  # QuickBooks: the DisplayName is taken by a customer, vendor or employee
NAME_SERIES = 5  # names tried before the customer is refused (each one a create at most)
GID_RE = re.compile(r"gid://shopify/Customer/([0-9]+)")
# Lengths a new Customer keeps to: DisplayName 500 and name parts 100 as Intuit's Customer
# reference gives them; email 100 and phone 30 unconfirmed, so kept short (an email too long is
# left out rather than cut, a phone is cut) and never a reason for QuickBooks to refuse the order.
MAX_NAME, MAX_NAME_PART, MAX_EMAIL, MAX_PHONE = 500, 100, 100, 30
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class CustomerBusy(Exception):
    """Another worker is finding or creating this buyer's QuickBooks customer: try the order later."""


class CustomerRefused(Exception):
    """QuickBooks refused the buyer's customer; the message says why, for the merchant."""


@dataclass(frozen=True)
class Buyer:
    """The Shopify customer of an order, as a QuickBooks customer would carry them."""

    gid: str
    name: str  # Shopify's displayName (itself the email or phone when the customer has no name)
    first_name: str
    last_name: str
    email: str
    phone: str
    billing: Address | None
    shipping: Address | None
    currency: str  # the order's (the shop's) currency
    home_currency: str = ""  # the QuickBooks company's, "" when not known (books as is)

    @property
    def legacy_id(self) -> str:
        return self.gid.rsplit("/", 1)[-1]

    @property
    def foreign_currency(self) -> str:
        """The currency a new customer is created in when it is not the company's home currency."""
        return self.currency if self.home_currency and self.currency != self.home_currency else ""


def buyer_of(order: Order, *, home_currency: str = "") -> Buyer | None:
    """The order's customer, or None for a guest checkout or a POS walk-in."""
    if not order.customer_id:
        return None
    return Buyer(
        gid=order.customer_id,
        name=order.customer_name.strip(),
        first_name=order.customer_first_name.strip(),
        last_name=order.customer_last_name.strip(),
        email=order.customer_email.strip().lower(),
        phone=order.customer_phone.strip(),
        billing=order.billing_address,
        shipping=order.shipping_address,
        currency=order.currency,
        home_currency=home_currency,
    )


def with_order_customer(ctx: SyncContext, order: Order, *, decide: bool = True) -> SyncContext:
    """``ctx`` whose mapping books to the order's customer (``order_customer``); the context of a
    pass is shared by its orders, so this is a copy."""
    customer = order_customer(ctx, order, decide=decide)
    if customer == ctx.mapping.customer:
        return ctx
    own = copy.copy(ctx)
    own.mapping = dataclasses.replace(ctx.mapping, customer=customer)
    return own


def planned_customer(shop: Shop, order: Order, mapping: ledger.Mapping, rules: SyncSettings) -> ledger.Ref:
    """What ``order_customer`` decides or decided, read from ShopQB's own rows without asking
    QuickBooks: the preview shows it, and the sync plans with it. A buyer without a QuickBooks
    customer yet is named, with no id: the sync finds or creates theirs before it writes."""
    bound = OrderCustomer.objects.filter(shop=shop, order_gid=order.id).first()
    if bound is not None:
        return ledger.Ref(bound.qbo_id, bound.qbo_name)
    buyer = buyer_of(order, home_currency=mapping.home_currency)
    if buyer is None or _generic_for(shop, order, rules):
        return mapping.customer
    link = CustomerLink.objects.filter(shop=shop, customer_gid=buyer.gid, status=CustomerLink.Status.LINKED).first()
    if link is not None and link.qbo_id:
        return ledger.Ref(link.qbo_id)
    return ledger.Ref("", f"{_base_name(buyer)} (found or created in QuickBooks when the order is synced)")


def order_customer(ctx: SyncContext, order: Order, *, decide: bool = True) -> ledger.Ref:
    """The customer the order's documents are booked to, fixed the first time it is decided.

    ``decide`` False (refunds of a sale ShopQB did not book): the order's binding if it has one,
    else the generic customer, and nothing is fixed. Raises CustomerBusy, CustomerRefused, and
    QuickBooks' unavailable and auth errors (the pass stops, as for a document)."""
    bound = OrderCustomer.objects.filter(shop=ctx.shop, order_gid=order.id).first()
    if bound is not None:
        return ledger.Ref(bound.qbo_id, bound.qbo_name)
    generic = ctx.mapping.customer
    if not decide:
        return generic
    buyer = buyer_of(order, home_currency=ctx.mapping.home_currency)
    if buyer is None or _generic_for(ctx.shop, order, ctx.rules):
        customer = generic
    else:
        customer = buyer_customer(ctx, buyer)
    return _bind(ctx.shop, order, customer, generic=customer == generic)


def _generic_for(shop: Shop, order: Order, rules: SyncSettings) -> bool:
    """The buyer's order is booked to the generic customer: the merchant's mode, or its earlier
    documents name it already."""
    return rules.customer_mode != SyncSettings.CustomerMode.PER_CUSTOMER or _booked_without_binding(shop, order)


def _booked_without_binding(shop: Shop, order: Order) -> bool:
    """Documents of the order were written before orders had their customer fixed: they name the
    generic customer, and so must everything that follows them."""
    return (
        SyncedRecord.objects.filter(Q(order_gid=order.id) | Q(source_id=order.id), shop=shop)
        .exclude(qbo_id="")
        .exists()
    )


def _bind(shop: Shop, order: Order, customer: ledger.Ref, *, generic: bool) -> ledger.Ref:
    """Fix the order's customer; when two workers decide at once, the first one's stands. A
    person's own customer is kept by id only (no second copy of their name)."""
    defaults = {"qbo_id": customer.value, "qbo_name": customer.name if generic else ""}
    try:
        with transaction.atomic():
            row, _ = OrderCustomer.objects.get_or_create(shop=shop, order_gid=order.id, defaults=defaults)
    except IntegrityError:
        row = OrderCustomer.objects.get(shop=shop, order_gid=order.id)
    return ledger.Ref(row.qbo_id, row.qbo_name)


def buyer_customer(ctx: SyncContext, buyer: Buyer) -> ledger.Ref:
    """The buyer's QuickBooks customer: linked already, or found or created now by the one
    worker holding the link's claim."""
    link = _link(ctx.shop, buyer)
    if link.status == CustomerLink.Status.LINKED and link.qbo_id:
        return ledger.Ref(link.qbo_id)
    if not link.claim(lease=claim_lease()):
        raise CustomerBusy(f"the QuickBooks customer for {buyer.gid} is being found or created by another worker")
    try:
        found = _find(ctx.qb, buyer)
        origin: str = CustomerLink.Origin.CREATED
        if found is None:
            customer = _create(ctx, buyer)
        else:
            customer, origin = found
    except CustomerRefused as exc:
        link.mark_failed(error=str(exc))
        raise
    except qbo.QBOError as exc:
        link.mark_failed(error=str(exc))
        if isinstance(exc, qbo.QBOAuthError | qbo.QBOUnavailable):
            raise
        raise CustomerRefused(
            f"QuickBooks refused the customer for {buyer.name or buyer.gid}: {exc}. Nothing was written."
        ) from exc
    link.mark_linked(qbo_id=str(customer["Id"]), display_name=str(customer.get("DisplayName") or ""), origin=origin)
    log.info("customer %s of %s: QuickBooks customer %s (%s)", buyer.gid, ctx.shop.domain, link.qbo_id, origin)
    return ledger.Ref(link.qbo_id)


def _link(shop: Shop, buyer: Buyer) -> CustomerLink:
    """The buyer's link row, made on first sight with ShopQB's copy of who they are."""
    defaults = {"name": buyer.name[:255], "email": buyer.email[:255], "phone": buyer.phone[:64]}
    try:
        with transaction.atomic():
            link, _ = CustomerLink.objects.get_or_create(shop=shop, customer_gid=buyer.gid, defaults=defaults)
    except IntegrityError:
        link = CustomerLink.objects.get(shop=shop, customer_gid=buyer.gid)
    return link


# Finding


def _find(qb: qbo.QuickBooks, buyer: Buyer) -> tuple[dict[str, Any], str] | None:
    """A customer in QuickBooks this buyer's orders may be booked to, and how it was found."""
    if buyer.email:
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer#query-a-customer
        # (PrimaryEmailAddr is filterable on Customer; QuickBooks answers active customers only.)
        with_email = [
            c
            for c in qbo.find_by(qb, "Customer", "PrimaryEmailAddr", buyer.email)
            if _email(c) == buyer.email and _in_currency(c, buyer)
        ]
        mine = [c for c in with_email if _carries(c, buyer.gid)]
        if mine:
            return mine[0], CustomerLink.Origin.GID
        free = [c for c in with_email if not _shopify_gids(c)]
        if len(free) == 1:
            return free[0], CustomerLink.Origin.EMAIL
    named = _named(qb, name_series(buyer))
    mine = [c for c in named if _carries(c, buyer.gid) and _in_currency(c, buyer)]
    if mine:
        return mine[0], CustomerLink.Origin.GID
    base = _base_name(buyer).lower()
    same = [c for c in named if str(c.get("DisplayName") or "").lower() == base]
    if len(same) == 1 and _in_currency(same[0], buyer) and not _shopify_gids(same[0]) and _agrees(same[0], buyer):
        return same[0], CustomerLink.Origin.NAME
    return None


def _named(qb: qbo.QuickBooks, names: list[str]) -> list[dict[str, Any]]:
    """Active customers under any of ``names`` (the buyer's name series): one bounded query."""
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries
    # (IN on a filterable property; DisplayName is filterable on Customer.)
    listed = ", ".join(f"'{_quoted(name)}'" for name in names)
    select = f"select * from Customer where DisplayName in ({listed})"  # noqa: S608 (QBO query, values escaped)
    return qbo.query_all(qb, select, "Customer")


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _email(customer: dict[str, Any]) -> str:
    return str((customer.get("PrimaryEmailAddr") or {}).get("Address") or "").strip().lower()


def _digits(phone: str) -> str:
    return re.sub(r"[^0-9]", "", phone)


def _in_currency(customer: dict[str, Any], buyer: Buyer) -> bool:
    """A customer holds one currency (its CurrencyRef, else the home currency): documents in the
    shop's currency need a customer in it. Without a known home currency, books as they are."""
    if not buyer.home_currency:
        return True
    held = str((customer.get("CurrencyRef") or {}).get("value") or "") or buyer.home_currency
    return held == buyer.currency


def _shopify_gids(customer: dict[str, Any]) -> set[str]:
    return set(GID_RE.findall(str(customer.get("Notes") or "")))


def _carries(customer: dict[str, Any], gid: str) -> bool:
    match = GID_RE.fullmatch(gid)
    return match is not None and match.group(1) in _shopify_gids(customer)


def _agrees(customer: dict[str, Any], buyer: Buyer) -> bool:
    """Nothing on the customer contradicts the buyer: an email or phone both have must match."""
    email = _email(customer)
    if email and buyer.email and email != buyer.email:
        return False
    phone = _digits(str((customer.get("PrimaryPhone") or {}).get("FreeFormNumber") or ""))
    return not (phone and _digits(buyer.phone) and phone != _digits(buyer.phone))


# Creating


def _base_name(buyer: Buyer) -> str:
    """The DisplayName the buyer would have: QuickBooks refuses a colon, tabs and new lines."""
    name = buyer.name or " ".join(p for p in (buyer.first_name, buyer.last_name) if p) or buyer.email or buyer.phone
    name = re.sub(r"[\s:]+", " ", name.replace(":", " - ")).strip()
    return (name or f"Shopify customer {buyer.legacy_id}")[: MAX_NAME - 40]


def name_series(buyer: Buyer) -> list[str]:
    """The names tried, in order: the same for every attempt, so a retry lands on the same one."""
    base = _base_name(buyer)
    suffixed = [f"{base} (Shopify {buyer.legacy_id})"]
    suffixed += [f"{base} (Shopify {buyer.legacy_id}-{n})" for n in range(2, NAME_SERIES)]
    return [base, *suffixed]


def customer_body(buyer: Buyer, display_name: str) -> dict[str, Any]:
    """The new QuickBooks customer (names as in Intuit's Finance.xsd)."""
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer#create-a-customer
    body: dict[str, Any] = {
        "DisplayName": display_name,
        "Notes": f"Shopify customer {buyer.gid}. Created by ShopQB for this customer's orders.",
    }
    if buyer.first_name:
        body["GivenName"] = buyer.first_name[:MAX_NAME_PART]
    if buyer.last_name:
        body["FamilyName"] = buyer.last_name[:MAX_NAME_PART]
    if buyer.email and len(buyer.email) <= MAX_EMAIL and EMAIL_RE.fullmatch(buyer.email):
        body["PrimaryEmailAddr"] = {"Address": buyer.email}
    if buyer.phone:
        body["PrimaryPhone"] = {"FreeFormNumber": buyer.phone[:MAX_PHONE]}
    if buyer.billing is not None and (billing := ship_addr(buyer.billing)):
        body["BillAddr"] = billing
    if buyer.shipping is not None and (shipping := ship_addr(buyer.shipping)):
        body["ShipAddr"] = shipping
    if buyer.foreign_currency:
        body["CurrencyRef"] = {"value": buyer.foreign_currency}
    return body


def _create(ctx: SyncContext, buyer: Buyer) -> dict[str, Any]:
    """A new customer under the first free name of the series; a name QuickBooks says is taken
    is checked once: our own earlier create (its answer lost) is used, anyone else's skipped."""
    for name in name_series(buyer):
        body = customer_body(buyer, name)
        request_id = stable_request_id(ctx.shop, buyer.gid, f"Customer|{name}")
        try:
            saved = _save(ctx.qb, body, request_id)
        except qbo.QBORejected as exc:
            if exc.code != DUPLICATE_NAME:
                raise
            holders = [c for c in qbo.find_by(ctx.qb, "Customer", "DisplayName", name) if _carries(c, buyer.gid)]
            if holders:
                return holders[0]
            continue
        return {"Id": str(saved.Id), "DisplayName": str(saved.DisplayName or name)}
    raise CustomerRefused(
        f"QuickBooks has a customer, vendor or employee under every name ShopQB tried for "
        f"{_base_name(buyer)} ({', '.join(name_series(buyer))}); rename one of them in QuickBooks, then retry. "
        "Nothing was written."
    )


def _save(qb: qbo.QuickBooks, body: dict[str, Any], request_id: str) -> Any:
    # A list object, not a transaction: no TotalAmt for qbo.create's Written.
    customer = qbo.entity_class("Customer").from_json(body)
    return qbo.call(lambda: customer.save(qb=qb, request_id=request_id))
