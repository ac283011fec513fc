"""Property tests of the books as a whole: a generated store (split tenders, gift cards sold and
redeemed, store credit, invoices paid in parts, refunds of every kind, a cancellation, duties) and
the Shopify Payments payouts of exactly its money (fees, refund fees, disputes lost and won,
reserves, Shopify Capital, duties paid, adjustments, withdrawals), synced event by event into the
QuickBooks sandbox through the ledger. The expected figures are computed from the store itself,
never from the documents:

(a) the trial balance balances after every sync;
(b) each gateway's clearing account holds the money that gateway holds and has not paid out;
(c) the gift card and store credit liabilities equal the outstanding balances;
(d) revenue (sales less discounts), shipping, tax and fees per day equal the store's;
(e) syncing again from the same store plans the documents already written, hash for hash, and
    posting them again changes no balance.

The three tests at the end pin the smallest stores of the ledger bugs these properties found
(a split refund's receipt and tender entry disagreeing on its main tender; a paid invoice's
cancellation refused; an invoice's hash changing once paid), fixed since.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from shopqb_app.integrations.shopify.parse import parse_order
from shopqb_app.integrations.shopify.payouts import parse_payout
from syncing import ledger
from tests.syncing.books import Books
from tests.syncing.factories import bag, order_node

D = Decimal
ZERO = D("0.00")
CENT = D("0.01")
NY = ZoneInfo("America/New_York")  # the mapping's time zone (tests/syncing/factories.py)
START = datetime(2026, 3, 2, 14, tzinfo=UTC)
SP, PAYPAL, GIFT_CARD, STORE_CREDIT = "shopify_payments", "paypal", "gift_card", "shopify_store_credit"
MONEY_GATEWAYS = (SP, PAYPAL)
TAX_RATES = (D(0), D("0.06"), D("0.0825"))
# Shopify Payments' US card rate and the chargeback fee.
# Reference: https://help.shopify.com/en/manual/payments/shopify-payments/glossary
CARD_RATE, CARD_FLAT, DISPUTE_FEE = D("0.029"), D("0.30"), D("15.00")

CLEARING = {
    SP: "Shopify Payments Clearing",
    PAYPAL: "PayPal Clearing",
    GIFT_CARD: "Gift Card Clearing",
    STORE_CREDIT: "Store Credit Clearing",
}
# Every account the store's money can reach; a re-run must leave each where it was.
WATCHED = (
    *CLEARING.values(),
    "Other Payments Clearing",
    "Gift Card Liability",
    "Store Credit Liability",
    "Duties and Import Taxes Payable",
    "Shopify Sales",
    "Shopify Shipping Income",
    "Shopify Discounts Given",
    "Rounding Differences",
    "Shopify Payments Fees",
    "Shopify Chargebacks and Dispute Fees",
    "Shopify Payments Reserve",
    "Shopify Capital Loan",
    "Shopify Payouts Bank",
    "Sales Tax Payable",
    "Accounts Receivable (A/R)",
)


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def local_day(when: datetime) -> date:
    return when.astimezone(NY).date()


# ---- the store ----------------------------------------------------------------------------------


@dataclass
class Line:
    sku: str
    qty: int
    price: Decimal
    discount: Decimal
    tax: Decimal
    duty: Decimal
    gift_card: bool = False
    rate: Decimal = ZERO  # the sales tax rate Shopify charged

    @property
    def gross(self) -> Decimal:
        return self.price * self.qty


@dataclass
class Txn:
    id: str
    kind: str  # SALE or REFUND
    gateway: str
    amount: Decimal
    at: datetime


@dataclass
class RefundPlan:
    id: str
    at: datetime
    units: list[tuple[int, int, Decimal, Decimal]]  # line index, quantity, subtotal after discount, tax
    shipping: Decimal
    duties: Decimal
    paid_back: list[Txn]
    shipping_tax: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return sum((t.amount for t in self.paid_back), ZERO)


@dataclass
class StoreOrder:
    number: int
    at: datetime
    lines: list[Line]
    shipping: Decimal
    invoiced: bool
    payments: list[Txn]
    refunds: list[RefundPlan] = field(default_factory=list)
    cancelled_at: datetime | None = None
    shipping_tax: Decimal = ZERO
    shipping_rate: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        lines = sum((li.gross - li.discount + li.tax + li.duty for li in self.lines), ZERO)
        return lines + self.shipping + self.shipping_tax

    def events(self) -> list[datetime]:
        """When Shopify changed the order: each one is a sync."""
        return sorted({self.at, *(t.at for t in self.payments), *(r.at for r in self.refunds)})


@dataclass
class Movement:
    """A Shopify Payments balance transaction."""

    id: str
    type: str
    at: datetime
    amount: Decimal
    fee: Decimal = ZERO
    reason: str = ""

    @property
    def net(self) -> Decimal:
        return self.amount - self.fee


@dataclass
class StorePayout:
    id: str
    issued_at: datetime
    movements: list[Movement]

    @property
    def net(self) -> Decimal:
        return sum((m.net for m in self.movements), ZERO)


@dataclass
class Store:
    orders: list[StoreOrder]
    payouts: list[StorePayout]
    unpaid: list[Movement]  # balance transactions not paid out yet
    gift_card_balance: Decimal
    store_credit_balance: Decimal


# ---- generating it ------------------------------------------------------------------------------


def amount(data: st.DataObject, low: Decimal, high: Decimal) -> Decimal:
    """A money amount in [low, high], in cents."""
    return D(data.draw(st.integers(int(low * 100), int(high * 100)))) / 100


class Generator:
    """Draws a store in time order, so a gift card or store credit is spent only once it exists."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data
        self.serial = 0
        self.gift_cards = ZERO
        self.store_credit = ZERO
        self.cancelled = False

    def next_id(self, kind: str) -> str:
        self.serial += 1
        return f"gid://shopify/{kind}/{self.serial}"

    def txn(self, kind: str, gateway: str, money: Decimal, at: datetime) -> Txn:
        return Txn(self.next_id("OrderTransaction"), kind, gateway, money, at)

    def store(self) -> Store:
        count = self.data.draw(st.integers(1, 12), label="orders")
        orders = [self.order(5000 + n, START + timedelta(hours=6 * n)) for n in range(count)]
        payouts, unpaid = self.payouts(orders, START + timedelta(hours=6 * count))
        return Store(orders, payouts, unpaid, self.gift_cards, self.store_credit)

    def order(self, number: int, at: datetime) -> StoreOrder:
        draw = self.data.draw
        if draw(st.integers(0, 3), label="gift card order") == 0:
            card = Line("GC", 1, D(draw(st.integers(10, 100))), ZERO, ZERO, ZERO, gift_card=True)
            gateway = draw(st.sampled_from(MONEY_GATEWAYS))
            order = StoreOrder(number, at, [card], ZERO, False, [self.txn("SALE", gateway, card.gross, at)])
            self.gift_cards += card.gross  # the card can be spent from the next order on
            return order
        with_duties = draw(st.booleans(), label="duties")
        lines = []
        for n in range(draw(st.integers(1, 3), label="lines")):
            qty = draw(st.integers(1, 3))
            price = amount(self.data, D("1.00"), D("200.00"))
            discount = amount(self.data, ZERO, cents(price * qty * D("0.3"))) if draw(st.booleans()) else ZERO
            rate = draw(st.sampled_from(TAX_RATES))
            duty = amount(self.data, D("0.50"), D("20.00")) if with_duties else ZERO
            tax = cents((price * qty - discount) * rate)
            lines.append(Line(f"SKU-{number}-{n}", qty, price, discount, tax, duty, rate=rate))
        shipping = amount(self.data, D("1.00"), D("15.00")) if draw(st.booleans(), label="shipping") else ZERO
        order = StoreOrder(number, at, lines, shipping, draw(st.integers(0, 3)) == 0, [])
        order.shipping_rate = draw(st.sampled_from(TAX_RATES), label="shipping tax")
        order.shipping_tax = cents(shipping * order.shipping_rate)
        tenders = self.tenders(order.total)
        for n, (gateway, money) in enumerate(tenders):
            # An invoice is paid later, a payment per transaction; a sale is paid at checkout.
            when = at + timedelta(minutes=30 * (n + 1)) if order.invoiced else at
            order.payments.append(self.txn("SALE", gateway, money, when))
        self.refunds(order)
        return order

    def tenders(self, total: Decimal) -> list[tuple[str, Decimal]]:
        """How an order is paid: a gift card and store credit where there is a balance, the rest by
        card, PayPal or both."""
        draw = self.data.draw
        tenders = []
        left = total
        for gateway, balance in ((GIFT_CARD, self.gift_cards), (STORE_CREDIT, self.store_credit)):
            if left and balance and draw(st.booleans(), label=f"pay by {gateway}"):
                spent = amount(self.data, CENT, min(balance, left))
                tenders.append((gateway, spent))
                left -= spent
                if gateway == GIFT_CARD:
                    self.gift_cards -= spent
                else:
                    self.store_credit -= spent
        if left:
            how = draw(st.sampled_from((SP, SP, PAYPAL, "split")), label="money tender")
            if how == "split" and left > CENT:
                card = amount(self.data, CENT, left - CENT)
                tenders += [(SP, card), (PAYPAL, left - card)]
            else:
                tenders.append((SP if how == "split" else how, left))
        return tenders

    def refunds(self, order: StoreOrder) -> None:
        """Up to two refunds after the order is paid (the last perhaps its cancellation), each of
        some units or of everything left, paid back to the tenders that paid or as store credit."""
        draw = self.data.draw
        left_qty = [li.qty for li in order.lines]
        left_net = [li.gross - li.discount for li in order.lines]
        left_tax = [li.tax for li in order.lines]
        refundable: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for t in order.payments:
            refundable[t.gateway] += t.amount
        shipping_back = duties_back = False
        if order.lines[0].gift_card:
            return
        for n in range(draw(st.integers(0, 2), label="refunds")):
            at = order.at + timedelta(hours=3, minutes=30 * n)
            cancel = not self.cancelled and draw(st.integers(0, 4), label="cancel") == 0
            full = cancel or draw(st.booleans(), label="full refund")
            units = []
            for index, li in enumerate(order.lines):
                qty = left_qty[index] if full else draw(st.integers(0, left_qty[index]))
                if not qty:
                    continue
                if qty == left_qty[index]:
                    subtotal, tax = left_net[index], left_tax[index]
                else:
                    subtotal = li.price * qty - cents(li.discount * qty / li.qty)
                    tax = cents(li.tax * qty / li.qty)
                units.append((index, qty, subtotal, tax))
                left_qty[index] -= qty
                left_net[index] -= subtotal
                left_tax[index] -= tax
            shipping = order.shipping if full and not shipping_back else ZERO
            shipping_tax = order.shipping_tax if shipping else ZERO
            duties = sum((li.duty for li in order.lines), ZERO) if full and not duties_back else ZERO
            shipping_back, duties_back = shipping_back or full, duties_back or full
            back = sum((subtotal + tax for _, _, subtotal, tax in units), ZERO) + shipping + shipping_tax + duties
            if not back:
                continue
            paid_back = self.paid_back(back, refundable, at)
            refund = RefundPlan(self.next_id("Refund"), at, units, shipping, duties, paid_back, shipping_tax)
            order.refunds.append(refund)
            if cancel:
                order.cancelled_at = at
                self.cancelled = True
                break

    def paid_back(self, back: Decimal, refundable: dict[str, Decimal], at: datetime) -> list[Txn]:
        """A refund to the tenders that paid, in an order drawn (so it may split over them, or go
        back to a gift card), or all of it as store credit."""
        draw = self.data.draw
        if draw(st.integers(0, 3), label="as store credit") == 0:
            self.store_credit += back
            return [self.txn("REFUND", STORE_CREDIT, back, at)]
        txns = []
        for gateway in draw(st.permutations(sorted(refundable)), label="refund to"):
            share = min(back, refundable[gateway])
            if not share:
                continue
            refundable[gateway] -= share
            back -= share
            txns.append(self.txn("REFUND", gateway, share, at))
            if gateway == GIFT_CARD:
                self.gift_cards += share
            elif gateway == STORE_CREDIT:
                self.store_credit += share
        assert not back, "a refund never returns more than was paid"
        return txns

    def payouts(self, orders: list[StoreOrder], after: datetime) -> tuple[list[StorePayout], list[Movement]]:
        """The Shopify Payments balance transactions of the store's money, and of disputes,
        reserves, Shopify Capital, duties and adjustments, paid out in up to three payouts and a
        last one for the rest (often a withdrawal); some may be left unpaid."""
        draw = self.data.draw
        order_money: list[Movement] = []
        for order in orders:
            for t in order.payments:
                if t.gateway == SP:
                    fee = cents(t.amount * CARD_RATE + CARD_FLAT)
                    order_money.append(Movement(self.next_id("BalanceTransaction"), "CHARGE", t.at, t.amount, fee))
            for refund in order.refunds:
                for t in refund.paid_back:
                    if t.gateway == SP:
                        fee = D("0.50") if draw(st.integers(0, 3), label="refund fee") == 0 else ZERO
                        order_money.append(Movement(self.next_id("BalanceTransaction"), "REFUND", t.at, -t.amount, fee))
            duties = sum((li.duty for li in order.lines), ZERO)
            if duties and draw(st.booleans(), label="duties paid"):
                when = order.at + timedelta(hours=5)
                order_money.append(Movement(self.next_id("BalanceTransaction"), "CUSTOMS_DUTY", when, -duties))
        order_money.sort(key=lambda m: m.at)
        extras = self.extras([m for m in order_money if m.type == "CHARGE"], after)
        cuts = sorted(draw(st.sets(st.integers(0, len(order_money)), max_size=3), label="payout cuts"))
        groups = [order_money[a:b] for a, b in zip([0, *cuts], [*cuts, len(order_money)], strict=True)]
        groups = [g for g in groups if g]
        unpaid: list[Movement] = []
        if groups and draw(st.integers(0, 3), label="last payout pending") == 0:
            unpaid = groups.pop()
        if extras:
            groups.append(extras)
        payouts = []
        for group in groups:
            day = local_day(max(m.at for m in group)) + timedelta(days=1)
            issued = datetime.combine(day, time(9), tzinfo=NY)
            payouts.append(StorePayout(self.next_id("ShopifyPaymentsPayout"), issued, group))
        return payouts, unpaid

    def extras(self, charges: list[Movement], at: datetime) -> list[Movement]:
        out: list[Movement] = []

        def movement(kind: str, money: Decimal, fee: Decimal = ZERO, reason: str = "") -> None:
            when = at + timedelta(minutes=10 * len(out))
            out.append(Movement(self.next_id("BalanceTransaction"), kind, when, money, fee, reason))

        if bool(charges) and self.data.draw(st.booleans(), label="dispute"):
            disputed = self.data.draw(st.sampled_from(charges), label="disputed charge").amount
            movement("DISPUTE_WITHDRAWAL", -disputed, DISPUTE_FEE)
            if self.data.draw(st.booleans(), label="dispute won"):
                movement("DISPUTE_REVERSAL", disputed, -DISPUTE_FEE)
        if self.data.draw(st.booleans(), label="reserve"):
            held = amount(self.data, D("1.00"), D("100.00"))
            movement("RESERVED_FUNDS", -held)
            if self.data.draw(st.booleans(), label="reserve released"):
                movement("RESERVED_FUNDS_REVERSAL", held)
        if self.data.draw(st.booleans(), label="capital"):
            advance = amount(self.data, D("100.00"), D("500.00"))
            movement("ADVANCE", advance)
            movement("ADVANCE_FUNDING", -amount(self.data, D("1.00"), advance))
        elif self.data.draw(st.booleans(), label="capital repayment"):
            movement("ADVANCE_FUNDING", -amount(self.data, D("1.00"), D("50.00")))
        if self.data.draw(st.booleans(), label="adjustment"):
            movement("ADJUSTMENT", amount(self.data, D("-5.00"), D("5.00")) or CENT, reason="Processing fee correction")
        return out


# ---- Shopify's API shapes -----------------------------------------------------------------------


def money(value: Decimal) -> dict[str, str]:
    return {"amount": str(value), "currencyCode": "USD"}


def transaction_node(t: Txn) -> dict[str, Any]:
    return {
        "id": t.id,
        "kind": t.kind,
        "gateway": t.gateway,
        "status": "SUCCESS",
        "test": False,
        "processedAt": t.at.isoformat(),
        "amountSet": bag(t.amount),
        "fees": [],
    }


def financial_status(order: StoreOrder, paid: Decimal, refunded: Decimal) -> str:
    if refunded:
        return "REFUNDED" if refunded == order.total else "PARTIALLY_REFUNDED"
    if paid == order.total:
        return "PAID"
    return "PARTIALLY_PAID" if paid else "PENDING"


def order_as_of(order: StoreOrder, now: datetime) -> dict[str, Any]:
    """The order's OrderFields node as Shopify answers it at ``now``."""
    payments = [t for t in order.payments if t.at <= now]
    refunds = [r for r in order.refunds if r.at <= now]
    paid = sum((t.amount for t in payments), ZERO)
    refunded = sum((r.total for r in refunds), ZERO)
    node = order_node(
        lines=[(li.sku, li.qty, str(li.price), str(li.discount)) for li in order.lines],
        transactions=[transaction_node(t) for t in payments],
        shipping=str(order.shipping),
        tax=str(sum((li.tax for li in order.lines), order.shipping_tax)),
        total=str(order.total),
        status=financial_status(order, paid, refunded),
        processed_at=order.at.isoformat(),
        updated_at=max([order.at, *(t.at for t in payments), *(r.at for r in refunds)]).isoformat(),
        order_id=order.number,
    )
    node["paymentGatewayNames"] = list(dict.fromkeys(t.gateway for t in payments))
    node["currentTotalPriceSet"] = bag(order.total - refunded)
    node["totalRefundedSet"] = bag(refunded)
    if order.cancelled_at is not None and order.cancelled_at <= now:
        node["cancelledAt"] = order.cancelled_at.isoformat()
    items = node["lineItems"]["nodes"]
    for item, li in zip(items, order.lines, strict=True):
        item["isGiftCard"] = li.gift_card
        item["taxable"] = not li.gift_card
        item["taxLines"] = [{"title": "State Tax", "rate": li.rate, "priceSet": bag(li.tax)}] if li.tax else []
        if li.duty:
            item["duties"] = [{"id": f"{item['id']}-duty", "price": bag(li.duty), "taxLines": []}]
    if order.shipping_tax:
        tax_line = {"title": "State Tax", "rate": order.shipping_rate, "priceSet": bag(order.shipping_tax)}
        node["shippingLines"]["nodes"][0]["taxLines"] = [tax_line]
    duties = sum((li.duty for li in order.lines), ZERO)
    if duties:
        node["originalTotalDutiesSet"] = bag(duties)
    for refund in refunds:
        for index, qty, _, _ in refund.units:
            items[index]["currentQuantity"] -= qty
        node["refunds"].append(refund_node(refund, items))
    return node


def refund_node(refund: RefundPlan, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": refund.id,
        "createdAt": refund.at.isoformat(),
        "totalRefundedSet": bag(refund.total),
        "duties": [{"amountSet": bag(refund.duties)}] if refund.duties else [],
        "refundLineItems": {
            "nodes": [
                {
                    "quantity": qty,
                    "restockType": "RETURN",
                    "lineItem": {"id": items[index]["id"], "sku": items[index]["sku"]},
                    "subtotalSet": bag(subtotal),
                    "totalTaxSet": bag(tax),
                }
                for index, qty, subtotal, tax in refund.units
            ]
        },
        "refundShippingLines": {
            "nodes": [{"subtotalAmountSet": bag(refund.shipping), "taxAmountSet": bag(refund.shipping_tax)}]
            if refund.shipping
            else []
        },
        "transactions": {"nodes": [transaction_node(t) for t in refund.paid_back]},
    }


def payout_raw(payout: StorePayout) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The payout and its balance transactions as the Admin API returns them."""
    net = payout.net
    raw = {
        "id": payout.id,
        "legacyResourceId": payout.id.rsplit("/", 1)[-1],
        "issuedAt": payout.issued_at.isoformat(),
        "status": "PAID",
        "transactionType": "DEPOSIT" if net >= 0 else "WITHDRAWAL",
        "net": money(abs(net)),
        "summary": {},
    }
    transactions = [
        {
            "id": m.id,
            "type": m.type,
            "transactionDate": m.at.isoformat(),
            "amount": money(m.amount),
            "fee": money(m.fee),
            "net": money(m.net),
            "sourceType": m.type,
            "adjustmentReason": m.reason or None,
            "test": False,
        }
        for m in payout.movements
    ]
    return raw, transactions


# ---- syncing it ---------------------------------------------------------------------------------


def key(doc: ledger.Document) -> tuple[str, str, str]:
    """What the engine keeps one SyncedRecord for."""
    return (doc.source_type, doc.source_id, doc.entity)


def planned_hash(doc: ledger.Document, mapping: ledger.Mapping) -> str:
    """The content hash the engine compares to decide whether a re-run rewrites a document."""
    return doc.content_hash(mapping)


class Sync:
    """The store synced as the engine would: every change of an order books its documents given
    what is already booked for it, then the payouts; the content hash of each document written is
    kept as the engine's SyncedRecord keeps it."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.books = Books()
        self.hashes: dict[tuple[str, str, str], str] = {}

    def order_documents(self, node: dict[str, Any]) -> list[ledger.Document]:
        order = parse_order(node)
        booked = frozenset(
            entity for kind, source, entity in self.books.written if (kind, source) == ("order", order.id)
        )
        mapping = self.books.mapping
        documents = ledger.order_documents(order, mapping, booked)
        return documents + ledger.refund_receipts(order, mapping) + ledger.refund_tender_entries(order, mapping)

    def payout_documents(self) -> list[ledger.Document]:
        return [ledger.payout_deposit(parse_payout(*payout_raw(p)), self.books.mapping) for p in self.store.payouts]

    def post(self, documents: list[ledger.Document]) -> None:
        for doc in documents:
            self.hashes.setdefault(key(doc), planned_hash(doc, self.books.mapping))
        self.books.post(documents)
        assert self.books.balanced(), self.books.company.trial_balance()  # (a), after every sync

    def run(self) -> None:
        events = sorted((when, n) for n, order in enumerate(self.store.orders) for when in order.events())
        for when, n in events:
            self.post(self.order_documents(order_as_of(self.store.orders[n], when)))
        for deposit in self.payout_documents():
            self.post([deposit])

    def rerun(self) -> list[ledger.Document]:
        """Everything planned again from the store as it is now."""
        final = datetime.max.replace(tzinfo=UTC)
        documents = [doc for order in self.store.orders for doc in self.order_documents(order_as_of(order, final))]
        return documents + self.payout_documents()


# ---- what the store says the books must show ----------------------------------------------------


def held_by_gateway(store: Store) -> dict[str, Decimal]:
    """Money each gateway took and has not paid back or paid out (gift cards and store credit hold
    none: spending them reduces their liability)."""
    held = {gateway: ZERO for gateway in CLEARING}
    for order in store.orders:
        for t in order.payments:
            held[t.gateway] += t.amount
        for refund in order.refunds:
            for t in refund.paid_back:
                held[t.gateway] -= t.amount
    held[GIFT_CARD] = held[STORE_CREDIT] = ZERO
    paid_out = sum((m.amount for p in store.payouts for m in p.movements if m.type in ("CHARGE", "REFUND")), ZERO)
    held[SP] -= paid_out
    return held


def per_day(store: Store) -> dict[str, dict[date, Decimal]]:
    """Revenue (products less their discounts), shipping and tax by the day Shopify sold or
    refunded them; fees by the day they were paid out."""
    figures: dict[str, dict[date, Decimal]] = {
        name: defaultdict(lambda: ZERO) for name in ("revenue", "shipping", "tax", "fees")
    }
    for order in store.orders:
        sold = local_day(order.at)
        for li in order.lines:
            if not li.gift_card:
                figures["revenue"][sold] += li.gross - li.discount
                figures["tax"][sold] += li.tax
        figures["shipping"][sold] += order.shipping
        figures["tax"][sold] += order.shipping_tax
        for refund in order.refunds:
            day = local_day(refund.at)
            figures["revenue"][day] -= sum((subtotal for _, _, subtotal, _ in refund.units), ZERO)
            figures["tax"][day] -= sum((tax for _, _, _, tax in refund.units), ZERO)
            figures["shipping"][day] -= refund.shipping
            figures["tax"][day] -= refund.shipping_tax
    for payout in store.payouts:
        day = local_day(payout.issued_at)
        for m in payout.movements:
            if m.type in ("CHARGE", "REFUND"):
                figures["fees"][day] += m.fee
            elif m.type == "ADJUSTMENT":
                figures["fees"][day] -= m.amount
    return figures


def report_rows(report: dict[str, Any]) -> dict[str, Decimal]:
    """Account name -> amount of every data row of a QuickBooks report."""
    out: dict[str, Decimal] = {}

    def walk(rows: list[dict[str, Any]]) -> None:
        for row in rows:
            if row.get("type") == "Data":
                name, value = row["ColData"][0]["value"], row["ColData"][1]["value"]
                out[name] = D(value)
            walk((row.get("Rows") or {}).get("Row", []))

    walk(report["Rows"]["Row"])
    return out


def books_per_day(books: Books, days: list[date]) -> dict[str, dict[date, Decimal]]:
    """The same figures as the QuickBooks reports give them: profit and loss for each day, and the
    tax liability's change over the day from the balance sheets."""
    company = books.company
    figures: dict[str, dict[date, Decimal]] = {name: {} for name in ("revenue", "shipping", "tax", "fees")}
    for day in days:
        pnl = report_rows(company.report("ProfitAndLoss", {"start_date": str(day), "end_date": str(day)}))
        figures["revenue"][day] = pnl.get("Shopify Sales", ZERO) + pnl.get("Shopify Discounts Given", ZERO)
        figures["shipping"][day] = pnl.get("Shopify Shipping Income", ZERO)
        figures["fees"][day] = pnl.get("Shopify Payments Fees", ZERO)
        closing = report_rows(company.report("BalanceSheet", {"end_date": str(day)}))
        opening = report_rows(company.report("BalanceSheet", {"end_date": str(day - timedelta(days=1))}))
        figures["tax"][day] = closing.get("Sales Tax Payable", ZERO) - opening.get("Sales Tax Payable", ZERO)
    return figures


# ---- the properties -----------------------------------------------------------------------------


def kinds(store: Store) -> None:
    """Report what a generated store holds (``--hypothesis-show-statistics``), so a run shows that
    every kind of money was exercised."""
    event(f"{len(store.orders)} orders")
    seen: set[str] = set()
    for order in store.orders:
        gateways = {t.gateway for t in order.payments}
        seen |= {f"paid by {g}" for g in gateways}
        if len(order.payments) > 1:
            seen.add("invoice paid in parts" if order.invoiced else "split tender")
        if order.invoiced:
            seen.add("invoice")
        if order.lines[0].gift_card:
            seen.add("gift card sold")
        if any(li.duty for li in order.lines):
            seen.add("duties")
        if order.cancelled_at:
            seen.add("cancelled with refund")
        for refund in order.refunds:
            seen |= {f"refund to {t.gateway}" for t in refund.paid_back}
            if len(refund.paid_back) > 1:
                seen.add("refund split over tenders")
    for payout in store.payouts:
        seen.add("withdrawal" if payout.net < 0 else "payout")
        seen |= {m.type for m in payout.movements}
    if store.unpaid:
        seen.add("money not paid out")
    for kind in sorted(seen):
        event(kind)


RUNS = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@RUNS
@given(st.data())
def test_the_books_hold_what_the_store_holds(data: st.DataObject) -> None:
    store = Generator(data).store()
    kinds(store)
    sync = Sync(store)
    sync.run()
    books = sync.books

    # (b) each gateway's clearing account is the money it holds and has not paid out.
    held = held_by_gateway(store)
    assert books.balances(*CLEARING.values()) == {CLEARING[g]: cents(held[g]) for g in CLEARING}
    assert books.balance("Other Payments Clearing") == ZERO
    # (c) the liabilities are the balances still to be spent.
    assert books.balances("Gift Card Liability", "Store Credit Liability") == {
        "Gift Card Liability": store.gift_card_balance,
        "Store Credit Liability": store.store_credit_balance,
    }
    assert books.balance("Accounts Receivable (A/R)") == ZERO  # every invoice was paid in full
    # Every payout movement on its own account.
    paid = [m for p in store.payouts for m in p.movements]

    def moved(*types: str, fees: bool = False) -> Decimal:
        return sum((-m.amount + (m.fee if fees else ZERO) for m in paid if m.type in types), ZERO)

    assert books.balances(
        "Shopify Payouts Bank",
        "Shopify Chargebacks and Dispute Fees",
        "Shopify Payments Reserve",
        "Shopify Capital Loan",
        "Duties and Import Taxes Payable",
    ) == {
        "Shopify Payouts Bank": sum((p.net for p in store.payouts), ZERO),
        "Shopify Chargebacks and Dispute Fees": moved("DISPUTE_WITHDRAWAL", "DISPUTE_REVERSAL", fees=True),
        "Shopify Payments Reserve": moved("RESERVED_FUNDS", "RESERVED_FUNDS_REVERSAL"),
        "Shopify Capital Loan": -moved("ADVANCE", "ADVANCE_FUNDING"),
        "Duties and Import Taxes Payable": sum((li.duty for o in store.orders for li in o.lines), ZERO)
        - sum((r.duties for o in store.orders for r in o.refunds), ZERO)
        - moved("CUSTOMS_DUTY"),
    }
    assert books.balance("Rounding Differences") == ZERO

    # (d) revenue, shipping, tax and fees per day.
    expected = per_day(store)
    days = sorted({day for figures in expected.values() for day in figures})
    actual = books_per_day(books, days)
    for name, figures in expected.items():
        assert actual[name] == {day: figures.get(day, ZERO) for day in days}, name

    # (e) a re-run plans exactly what was written, and posting it again moves nothing.
    before = books.balances(*WATCHED)
    again = sync.rerun()
    mapping = books.mapping
    assert {key(d): planned_hash(d, mapping) for d in again} == sync.hashes
    assert [d.content_hash(mapping) for d in sync.rerun()] == [d.content_hash(mapping) for d in again]
    assert books.post(again) == []
    assert books.balances(*WATCHED) == before and books.balanced()


# ---- what the properties found: ledger bugs, each pinned by its smallest store ------------------


def store_of(*orders: StoreOrder, gift_cards: Decimal = ZERO) -> Store:
    return Store(list(orders), [], [], gift_cards, ZERO)


def paid(gateway: str, value: str, at: datetime) -> Txn:
    return Txn(f"gid://shopify/OrderTransaction/{gateway}-{value}-{at:%H%M}", "SALE", gateway, D(value), at)


def refunded(gateway: str, value: str, at: datetime) -> Txn:
    return dataclasses.replace(
        paid(gateway, value, at), kind="REFUND", id=f"gid://shopify/OrderTransaction/r-{gateway}"
    )


def test_a_refund_mostly_to_a_gift_card_returns_each_tender_its_share() -> None:
    card = StoreOrder(5000, START, [Line("GC", 1, D("30.00"), ZERO, ZERO, ZERO, gift_card=True)], ZERO, False, [])
    card.payments.append(paid(SP, "30.00", START))
    at = START + timedelta(hours=6)
    order = StoreOrder(5001, at, [Line("A", 1, D("50.00"), ZERO, ZERO, ZERO)], ZERO, False, [])
    order.payments += [paid(GIFT_CARD, "30.00", at), paid(SP, "20.00", at)]
    back = at + timedelta(hours=3)
    order.refunds.append(
        RefundPlan(
            "gid://shopify/Refund/1",
            back,
            [(0, 1, D("50.00"), ZERO)],
            ZERO,
            ZERO,
            [refunded(GIFT_CARD, "30.00", back), refunded(SP, "20.00", back)],
        )
    )
    sync = Sync(store_of(card, order, gift_cards=D("30.00")))
    sync.run()
    # The gift card's own sale is still in Shopify Payments; the card has its 30.00 back.
    assert sync.books.balances(CLEARING[SP], CLEARING[GIFT_CARD], "Gift Card Liability") == {
        CLEARING[SP]: D("30.00"),
        CLEARING[GIFT_CARD]: ZERO,
        "Gift Card Liability": D("30.00"),
    }


def test_a_paid_invoice_cancelled_with_a_full_refund_is_booked() -> None:
    order = StoreOrder(5000, START, [Line("A", 1, D("1.00"), ZERO, ZERO, ZERO)], ZERO, True, [])
    order.payments.append(paid(PAYPAL, "1.00", START + timedelta(minutes=30)))
    back = START + timedelta(hours=3)
    order.refunds.append(
        RefundPlan(
            "gid://shopify/Refund/1", back, [(0, 1, D("1.00"), ZERO)], ZERO, ZERO, [refunded(PAYPAL, "1.00", back)]
        )
    )
    order.cancelled_at = back
    sync = Sync(store_of(order))
    sync.run()
    assert sync.books.balances("Shopify Sales", CLEARING[PAYPAL]) == {"Shopify Sales": ZERO, CLEARING[PAYPAL]: ZERO}


def test_an_invoice_planned_again_once_paid_hashes_as_written() -> None:
    order = StoreOrder(5000, START, [Line("A", 1, D("1.00"), ZERO, ZERO, ZERO)], ZERO, True, [])
    order.payments.append(paid(PAYPAL, "1.00", START + timedelta(minutes=30)))
    sync = Sync(store_of(order))
    mapping = sync.books.mapping
    [pending] = sync.order_documents(order_as_of(order, START))
    sync.books.post([pending])
    planned = sync.order_documents(order_as_of(order, START + timedelta(hours=1)))
    assert [d.entity for d in planned] == ["Invoice", "Payment"]
    assert planned[0].content_hash(mapping) == pending.content_hash(mapping)
