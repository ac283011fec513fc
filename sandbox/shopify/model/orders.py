"""Orders and what they are made of: lines, shipping, taxes, discounts, transactions, refunds.

``Order`` computes its totals the way Shopify does (after edits, before and after
refunds), memoized while a view is being built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sandbox.shopify.model.base import Pair, Record, memoized, psum
from sandbox.shopify.money import ZERO, rnd


@dataclass
class TaxLine:
    title: str
    rate: Decimal
    price: Pair
    channel_liable: bool = False


@dataclass
class DiscountApplication:
    index: int
    code: str | None
    title: str | None
    value_type: str  # "percentage" | "fixed_amount"
    value: Decimal
    target_type: str  # LINE_ITEM | SHIPPING_LINE
    allocation_method: str  # ACROSS | EACH
    target_selection: str = "ALL"


@dataclass
class DiscountAllocation:
    application_index: int
    amount: Pair


@dataclass
class Duty:
    """An import duty charged on a line (Shopify computes these at checkout; ``create_order(duties=...)`` here)."""

    id: int
    price: Pair
    harmonized_system_code: str | None = None
    country_code_of_origin: str | None = None
    refunded: Pair = field(default_factory=Pair)


@dataclass
class LineItem:
    id: int
    title: str
    quantity: int
    unit_price: Pair
    sku: str | None = None
    variant_title: str | None = None
    vendor: str | None = None
    variant_id: int | None = None
    product_id: int | None = None
    taxable: bool = True
    requires_shipping: bool = True
    gift_card: bool = False
    tip: bool = False
    tax_lines: list[TaxLine] = field(default_factory=list)
    discounts: list[DiscountAllocation] = field(default_factory=list)
    refunded_quantity: int = 0
    removed_quantity: int = 0  # by order edits
    restocked_quantity: int = 0
    fulfilled_quantity: int = 0
    duties: tuple[Duty, ...] = ()  # a tuple default: orders pickled before duties existed still load

    @property
    def current_quantity(self) -> int:
        return self.quantity - self.refunded_quantity - self.removed_quantity

    @property
    def edited_quantity(self) -> int:
        """Quantity after order edits, before refunds."""
        return self.quantity - self.removed_quantity

    @property
    def discount_total(self) -> Pair:
        return psum(d.amount for d in self.discounts)

    @property
    def tax_total(self) -> Pair:
        return psum(t.price for t in self.tax_lines)


@dataclass
class ShippingLine:
    id: int
    title: str
    price: Pair
    code: str | None = None
    source: str | None = None
    tax_lines: list[TaxLine] = field(default_factory=list)
    discounts: list[DiscountAllocation] = field(default_factory=list)
    refunded: Pair = field(default_factory=Pair)
    refunded_tax: Pair = field(default_factory=Pair)

    @property
    def discount_total(self) -> Pair:
        return psum(d.amount for d in self.discounts)

    @property
    def discounted_price(self) -> Pair:
        return self.price - self.discount_total


@dataclass
class Fee:
    id: int
    amount: Decimal
    flat_fee: Decimal
    rate: Decimal
    rate_name: str
    tax_amount: Decimal = ZERO
    type: str = "payment_fee"


@dataclass
class Transaction:
    id: int
    kind: str  # SALE CAPTURE AUTHORIZATION REFUND VOID CHANGE
    status: str  # SUCCESS PENDING FAILURE ERROR
    gateway: str
    amount: Pair
    created_at: datetime
    processed_at: datetime
    test: bool = False
    parent_id: int | None = None
    location_id: int | None = None
    gift_card_id: str | None = None
    authorization_code: str | None = None
    refund_id: int | None = None
    fees: list[Fee] = field(default_factory=list)
    multi_capturable: bool = False  # an authorization Shopify Plus may capture several times
    final_capture: bool = False  # a capture that released the rest of its authorization
    manual: bool = False  # recorded by orderCreateManualPayment (any payment method name)

    @property
    def fee_total(self) -> Decimal:
        return sum((f.amount for f in self.fees), ZERO)


@dataclass
class RefundLineItem:
    id: int
    line_item_id: int
    quantity: int
    restock_type: str
    location_id: int | None
    price: Pair  # unit price after discounts
    subtotal: Pair
    tax: Pair


@dataclass
class RefundShippingLine:
    id: int
    shipping_line_id: int
    subtotal: Pair
    tax: Pair


@dataclass
class RefundDuty:
    duty_id: int
    amount: Pair


@dataclass
class Refund:
    id: int
    created_at: datetime
    note: str | None = None
    line_items: list[RefundLineItem] = field(default_factory=list)
    shipping: list[RefundShippingLine] = field(default_factory=list)
    transaction_ids: list[int] = field(default_factory=list)
    duties: tuple[RefundDuty, ...] = ()


@dataclass(eq=False)
class Order(Record):
    shop: str
    id: int
    number: int
    name: str
    created_at: datetime
    updated_at: datetime
    processed_at: datetime
    currency: str
    presentment_currency: str
    taxes_included: bool = False
    test: bool = False
    email: str | None = None
    phone: str | None = None
    note: str | None = None
    po_number: str | None = None
    source_name: str | None = "web"
    source_identifier: str | None = None
    tags: list[str] = field(default_factory=list)
    customer_id: int | None = None
    location_id: int | None = None
    shipping_address: dict[str, str | None] | None = None  # MailingAddressInput as given
    billing_address: dict[str, str | None] | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    closed_at: datetime | None = None
    edited: bool = False
    financial_status_input: str | None = None
    original_total: Pair | None = None  # total when placed (originalTotalPriceSet)
    discount_applications: list[DiscountApplication] = field(default_factory=list)
    line_items: list[LineItem] = field(default_factory=list)
    shipping_lines: list[ShippingLine] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)

    # -- computed money ---------------------------------------------------
    def cur(self) -> tuple[str, str]:
        return self.currency, self.presentment_currency

    def line(self, line_id: int) -> LineItem | None:
        for li in self.line_items:
            if li.id == line_id:
                return li
        return None

    @memoized
    def tax_lines(self) -> list[TaxLine]:
        """Order tax lines (after edits, before refunds): line and shipping tax lines merged by (title, rate)."""
        sc, pc = self.cur()
        merged: dict[tuple[str, Decimal], TaxLine] = {}
        for li in self.line_items:
            for t in li.tax_lines:
                self._merge(
                    merged, t, t.price.scale(li.edited_quantity, li.quantity, sc, pc) if li.quantity else Pair()
                )
        for s in self.shipping_lines:
            for t in s.tax_lines:
                self._merge(merged, t, t.price)
        return list(merged.values())

    @memoized
    def current_tax_lines(self) -> list[TaxLine]:
        sc, pc = self.cur()
        merged: dict[tuple[str, Decimal], TaxLine] = {}
        for li in self.line_items:
            for t in li.tax_lines:
                self._merge(
                    merged, t, t.price.scale(li.current_quantity, li.quantity, sc, pc) if li.quantity else Pair()
                )
        for s in self.shipping_lines:
            total = (s.tax_lines and psum(t.price for t in s.tax_lines)) or Pair()
            for t in s.tax_lines:
                share = t.price
                if s.refunded_tax.shop and total.shop:
                    share = t.price - Pair(
                        rnd(s.refunded_tax.shop * t.price.shop / total.shop, sc),
                        rnd(s.refunded_tax.pres * t.price.pres / total.pres, pc) if total.pres else ZERO,
                    )
                self._merge(merged, t, share)
        return list(merged.values())

    @staticmethod
    def _merge(merged: dict, t: TaxLine, price: Pair) -> None:
        key = (t.title, t.rate)
        if key in merged:
            merged[key].price = merged[key].price + price
        else:
            merged[key] = TaxLine(t.title, t.rate, price, t.channel_liable)

    @memoized
    def line_subtotal(self) -> Pair:
        return psum(
            Pair(li.unit_price.shop * li.edited_quantity, li.unit_price.pres * li.edited_quantity)
            for li in self.line_items
        )

    @memoized
    def line_discounts(self) -> Pair:
        sc, pc = self.cur()
        return psum(li.discount_total.scale(li.edited_quantity, li.quantity, sc, pc) for li in self.line_items)

    @memoized
    def shipping_discounts(self) -> Pair:
        return psum(s.discount_total for s in self.shipping_lines)

    @memoized
    def subtotal(self) -> Pair:
        return self.line_subtotal() - self.line_discounts()

    @memoized
    def shipping(self) -> Pair:
        return psum(s.price for s in self.shipping_lines)

    @memoized
    def total_tax(self) -> Pair:
        return psum(t.price for t in self.tax_lines())

    def duties(self) -> list[Duty]:
        return [duty for li in self.line_items for duty in li.duties]

    @memoized
    def total_duties(self) -> Pair:
        return psum(duty.price for duty in self.duties())

    @memoized
    def current_duties(self) -> Pair:
        return psum(duty.price - duty.refunded for duty in self.duties())

    @memoized
    def total_price(self) -> Pair:
        """Lines, shipping and taxes (unless included), plus duties, which Shopify counts in the total."""
        total = self.subtotal() + self.shipping() - self.shipping_discounts() + self.total_duties()
        return total if self.taxes_included else total + self.total_tax()

    @memoized
    def current_subtotal(self) -> Pair:
        sc, pc = self.cur()
        total = Pair()
        for li in self.line_items:
            q = li.current_quantity
            gross = Pair(li.unit_price.shop * q, li.unit_price.pres * q)
            total = total + gross - li.discount_total.scale(q, li.quantity, sc, pc)
        return total

    @memoized
    def current_line_discounts(self) -> Pair:
        sc, pc = self.cur()
        return psum(li.discount_total.scale(li.current_quantity, li.quantity, sc, pc) for li in self.line_items)

    @memoized
    def current_shipping(self) -> Pair:
        return psum(s.discounted_price - s.refunded for s in self.shipping_lines)

    @memoized
    def current_tax(self) -> Pair:
        return psum(t.price for t in self.current_tax_lines())

    @memoized
    def current_total(self) -> Pair:
        total = self.current_subtotal() + self.current_shipping() + self.current_duties()
        return total if self.taxes_included else total + self.current_tax()

    def _tx_sum(self, kinds: tuple[str, ...]) -> Pair:
        return psum(t.amount for t in self.transactions if t.kind in kinds and t.status == "SUCCESS")

    @memoized
    def received(self) -> Pair:
        return self._tx_sum(("SALE", "CAPTURE"))

    @memoized
    def refunded(self) -> Pair:
        return self._tx_sum(("REFUND",))

    @memoized
    def net_payment(self) -> Pair:
        return self.received() - self.refunded()

    @memoized
    def capturable(self) -> Pair:
        return psum(self.capturable_on(a) for a in self.transactions if a.kind == "AUTHORIZATION")

    def capturable_on(self, auth: Transaction) -> Pair:
        """What an authorization still holds: nothing once voided, finally captured, or (single-capture) captured.

        Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/mutations/orderCapture
        """
        if auth.status != "SUCCESS":
            return Pair()
        children = [t for t in self.transactions if t.parent_id == auth.id and t.status == "SUCCESS"]
        captures = [t for t in children if t.kind == "CAPTURE"]
        if any(t.kind == "VOID" for t in children) or any(t.final_capture for t in captures):
            return Pair()
        if captures and not auth.multi_capturable:
            return Pair()
        return auth.amount - psum(t.amount for t in captures)

    @memoized
    def outstanding(self) -> Pair:
        """What is not yet transacted: positive is owed by the customer, negative is owed to them.

        Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/objects/Order#field-totalOutstandingSet
        """
        return self.current_total() - self.net_payment()

    @memoized
    def tips(self) -> Pair:
        return psum(
            Pair(li.unit_price.shop * li.current_quantity, li.unit_price.pres * li.current_quantity)
            for li in self.line_items
            if li.tip
        )

    @memoized
    def financial_status(self) -> str:
        received = self.received().shop
        refunded = self.refunded().shop
        if not self.transactions and self.financial_status_input:
            return self.financial_status_input
        if refunded > 0:
            return "REFUNDED" if refunded >= received else "PARTIALLY_REFUNDED"
        if received > 0:
            return "PAID" if self.outstanding().shop <= 0 else "PARTIALLY_PAID"
        if self.capturable().shop > 0:
            return "AUTHORIZED"
        if any(t.kind == "VOID" and t.status == "SUCCESS" for t in self.transactions):
            return "VOIDED"
        return self.financial_status_input or "PENDING"

    @memoized
    def gateway_names(self) -> list[str]:
        names: list[str] = []
        for t in self.transactions:
            if t.kind in ("SALE", "AUTHORIZATION", "CAPTURE") and t.gateway not in names:
                names.append(t.gateway)
        return names
