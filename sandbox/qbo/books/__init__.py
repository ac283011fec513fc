"""One emulated QBO company: its objects, QBO's validations, and totals as QBO computes them.

Pure bookkeeping: no HTTP. Every rejection is a QBOFault with QBO's code. Money is
Decimal, rounded half-up to the cent per line, then summed (as QBO does).

``Company`` is built from one mixin per family of entities, as moto builds a
service's backend from per-resource ones: ``core.Books`` keeps the objects and does
the writes, ``checks.Checks`` adds the checks all families share, and each family
builds and checks its own entities on top of it: ``sales`` (SalesReceipt, Invoice,
RefundReceipt, CreditMemo), ``payments``, ``deposits``, ``journal`` (JournalEntry)
``names`` (accounts, items, customers, classes...), ``people`` (vendors, employees, terms,
tax agencies, currencies, time activities), ``purchases`` (bills, bill payments, purchases, purchase
orders, transfers, credit card payments, estimates), ``attachables`` (notes and uploaded files) and
``recurring`` (transaction templates); ``seed`` is what a new
company starts with; ``ledger`` is the general ledger the documents post to, ``reports`` the Reports API over it; ``taxes`` the
TaxService (new tax codes and rates) and the exchange rates. ``rules`` holds the entity lists and value helpers.
"""

from __future__ import annotations

from .attachables import Attachables
from .deposits import Deposits
from .inventory import InventoryAdjustments
from .journal import Journal
from .ledger import Ledger
from .names import NameLists
from .payments import Payments
from .people import People
from .purchases import Purchases
from .recurring import Recurring
from .reports import Reports
from .rules import ENTITIES, NAME_LISTS, SALES_DOCS, TRANSACTIONS
from .sales import SalesDocuments
from .seed import Seed
from .taxes import TaxService

__all__ = ["ENTITIES", "NAME_LISTS", "SALES_DOCS", "TRANSACTIONS", "Company"]


class Company(
    Seed,
    SalesDocuments,
    Payments,
    Deposits,
    Journal,
    NameLists,
    People,
    Purchases,
    InventoryAdjustments,
    Attachables,
    Recurring,
    Reports,
    Ledger,
    TaxService,
):
    """A realm: objects by entity and Id, plus the bookkeeping rules that guard them."""
