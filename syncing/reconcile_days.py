"""The reconciliation centre's figures (syncing/reconcile_centre.py reads them): per day Shopify's
sales, refunds, tax, fees and payouts next to what QuickBooks holds, what explains each difference,
and each Shopify Payments payout's chain from its orders to the bank."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from syncing.reconcile_explained import ZERO

FIGURES = ("sales", "refunds", "tax", "fees", "payouts")
FIGURE_LABELS = {"sales": "Sales", "refunds": "Refunds", "tax": "Tax", "fees": "Fees", "payouts": "Payouts"}


def _zero() -> dict[str, Decimal]:
    return dict.fromkeys(FIGURES, ZERO)


@dataclass
class Explanation:
    """An order or document behind part of a day's difference. ``amounts``: its share of each
    figure's difference (QuickBooks less Shopify). ``explains``: the cause is known and nothing is
    left to decide (a rule, an issue to fix); False for a change a person made in QuickBooks that
    the merchant has not accepted or ignored yet."""

    cause: str  # filtered | refused | not_written | failed | removed (by undo) | deleted | changed
    what: str
    amounts: dict[str, Decimal]
    explains: bool
    order_name: str = ""
    order_url: str = ""  # the order's row on the Orders page
    issue_url: str = ""  # the Issues page, when an open issue is about it
    drift_url: str = ""  # the page where the merchant chooses about a change made in QuickBooks
    drift_label: str = "Re-post, accept or ignore"  # its link's words ("Issues" on the fallback)
    document: str = ""  # "SalesReceipt S1001 (QuickBooks Id 42)"


@dataclass
class DayRow:
    day: date
    shopify: dict[str, Decimal] = field(default_factory=_zero)
    qbo: dict[str, Decimal] = field(default_factory=_zero)
    explanations: list[Explanation] = field(default_factory=list)

    @property
    def difference(self) -> dict[str, Decimal]:
        return {f: self.qbo[f] - self.shopify[f] for f in FIGURES}

    @property
    def unexplained(self) -> dict[str, Decimal]:
        left = self.difference
        for e in self.explanations:
            if e.explains:
                for f, amount in e.amounts.items():
                    left[f] -= amount
        return left

    @property
    def status(self) -> str:
        """match, explained (every difference accounted for) or difference."""
        if not any(self.difference.values()):
            return "match"
        return "difference" if any(self.unexplained.values()) else "explained"


@dataclass
class ChainOrder:
    """An order whose money a payout paid out, and the documents ShopQB wrote for it."""

    name: str
    url: str
    documents: list[str]
    in_books: bool
    note: str = ""


@dataclass
class PayoutChain:
    """One Shopify Payments payout from its orders to the bank: orders -> documents -> payout ->
    Deposit -> the bank account's balance in QuickBooks. ``broken``: the first link that does not
    hold, in words ("" when the chain holds)."""

    number: str
    day: date
    net: Decimal
    currency: str
    orders: list[ChainOrder] = field(default_factory=list)
    deposit: str = ""  # "Deposit P123 (QuickBooks Id 9)"
    deposit_amount: Decimal | None = None
    bank: str = ""
    bank_balance: Decimal | None = None
    broken: str = ""

    @property
    def booked(self) -> int:
        return sum(o.in_books for o in self.orders)


@dataclass
class Centre:
    shop_domain: str
    currency: str
    start: date | None
    end: date
    read_at: datetime
    days: dict[date, DayRow] = field(default_factory=dict)
    payouts: list[PayoutChain] = field(default_factory=list)

    def day(self, value: date) -> DayRow:
        return self.days.setdefault(value, DayRow(day=value))

    def in_range(self, value: date) -> bool:
        return (self.start is None or value >= self.start) and value <= self.end

    @property
    def rows(self) -> list[DayRow]:
        return [self.days[d] for d in sorted(self.days)]

    @property
    def unexplained(self) -> bool:
        return any(row.status == "difference" for row in self.days.values())

    @property
    def totals(self) -> DayRow:
        total = DayRow(day=self.end)
        for row in self.days.values():
            for f in FIGURES:
                total.shopify[f] += row.shopify[f]
                total.qbo[f] += row.qbo[f]
        return total
