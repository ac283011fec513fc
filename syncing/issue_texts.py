"""Issues in the merchant's words: what happened, what it means for the books, what to do,
and the action that fixes it.

A SyncIssue keeps a machine code (and QuickBooks' fault code in ``detail``); the pages
never show those first. Each code the app raises has an entry here (a test scans the
source for codes without one); a code nobody wrote an entry for gets a safe generic text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Retry(StrEnum):
    """Whether trying again can change the outcome."""

    NEVER = "never"  # the same input gives the same answer: a retry only repeats the issue
    AFTER_FIX = "after_fix"  # once the merchant has fixed the cause (the action), a retry books it
    TRANSIENT = "transient"  # a passing failure: trying again as it stands can help ("Retry all")


class ActionKind(StrEnum):
    PAGE = "page"  # a page of the app, by URL name
    CONNECT = "connect"  # the QuickBooks connect flow (it leaves the admin's frame)
    ORDER = "order"  # the order on the Orders page


@dataclass(frozen=True)
class Action:
    label: str
    kind: ActionKind = ActionKind.PAGE
    url_name: str = ""


@dataclass(frozen=True)
class IssueText:
    title: str  # what happened
    books: str  # what it means for the books
    todo: str  # what to do
    action: Action | None = None
    retry: Retry = Retry.NEVER
    # The recorded message was written for the merchant (the ledger's, the reconciliation's),
    # not a vendor's raw answer: it is shown, not only kept under "Details".
    show_message: bool = False


RECONNECT = Action("Reconnect QuickBooks", ActionKind.CONNECT, "accounts:qbo_connect")
REVIEW_ORDER = Action("Review this order", ActionKind.ORDER)
REVIEW_REFUND = Action("Review this refund", ActionKind.ORDER)
MAP_TAXES = Action("Map tax rates", ActionKind.PAGE, "mappings:taxes")
MAP_ACCOUNTS = Action("Check your accounts", ActionKind.PAGE, "mappings:accounts")
CHECK_SETTINGS = Action("Check your settings", ActionKind.PAGE, "mappings:setup")
CHANGE_PREFIX = Action("Change the number prefix", ActionKind.PAGE, "mappings:what_to_sync")
OPEN_PRODUCTS = Action("Open Products", ActionKind.PAGE, "mappings:products")

NOT_BOOKED = "This order is not in QuickBooks, so its sale is missing from your books until it is."
NOT_WRITTEN = "It is not in QuickBooks, so your books miss it until it is written."
SUPPORT = "If it keeps happening, contact ShopQB support with the details below."

TEXTS: dict[str, IssueText] = {
    # --- the order's own QuickBooks customer (syncing/customers.py) ---
    "customer_refused": IssueText(
        "QuickBooks refused this order's customer",
        NOT_BOOKED + " Its documents are booked to the customer's own QuickBooks customer, which could not be made.",
        "Read QuickBooks' answer below: a name used by a vendor or an employee, or an inactive customer, can be "
        "renamed or made active in QuickBooks. Then retry, or switch Customers to one customer (What to sync).",
        CHECK_SETTINGS,
        Retry.AFTER_FIX,
        show_message=True,
    ),
    # --- the order cannot be booked as it stands (syncing/ledger) ---
    "tax_codes_unmapped": IssueText(
        "This order's tax rates have no QuickBooks tax code",
        NOT_BOOKED,
        "Your QuickBooks company needs the tax code of each rate on every line. Choose a QuickBooks tax code "
        "for each of your Shopify tax rates, then retry.",
        MAP_TAXES,
        Retry.AFTER_FIX,
        show_message=True,
    ),
    "tax_inclusive_without_line_tax": IssueText(
        "Tax-inclusive prices without the tax of each line",
        NOT_BOOKED,
        "Shopify did not say how much of each price is tax, so ShopQB cannot split revenue from tax to the cent. "
        "Enter this sale in QuickBooks yourself. " + SUPPORT,
        REVIEW_ORDER,
        show_message=True,
    ),
    "total_mismatch": IssueText(
        "The order's lines do not add up to its total",
        NOT_BOOKED + " ShopQB never writes a sale whose total differs from Shopify's.",
        "Compare the order in Shopify with the amounts below and enter it in QuickBooks yourself. " + SUPPORT,
        REVIEW_ORDER,
        show_message=True,
    ),
    "unsupported_financial_status": IssueText(
        "This order's payment status is not booked",
        "Nothing was written for this order. Orders whose payment was voided or expired move no money.",
        "Nothing, if no money changed hands. If it did, enter the sale in QuickBooks yourself.",
        REVIEW_ORDER,
        show_message=True,
    ),
    "duty_tax": IssueText(
        "Shopify charged tax on this order's duties",
        NOT_BOOKED + " ShopQB books duties as owed to customs, without tax, and does not guess how that tax is filed.",
        "Enter this order in QuickBooks yourself. " + SUPPORT,
        REVIEW_ORDER,
        show_message=True,
    ),
    "inventory_start_date": IssueText(
        "An inventory item is tracked from a later date than this order",
        "QuickBooks refuses a sale of an inventory item dated before the item's inventory start date (its "
        "'as of' date), so the document is not in QuickBooks.",
        "In QuickBooks, set the inventory 'As of date' of the item named above on or before the order's date "
        "(Sales, Products and services, edit the item), then retry.",
        REVIEW_ORDER,
        Retry.AFTER_FIX,
        show_message=True,
    ),
    "cancelled_partly_paid": IssueText(
        "A cancelled order was partly paid",
        "Its invoice and the payments are in QuickBooks; the unpaid rest of the invoice is still open there.",
        "Credit the unpaid part of the invoice in QuickBooks yourself (a credit memo on the cancellation date).",
        REVIEW_ORDER,
        show_message=True,
    ),
    "tax_code_mismatch": IssueText(
        "A QuickBooks tax code does not charge what Shopify charged",
        NOT_BOOKED,
        "The QuickBooks tax code chosen for this order's tax has other rates than Shopify charged (see above). "
        "Choose a code with the same rates, or a zero-rated or exempt one for untaxed lines, then retry.",
        MAP_TAXES,
        Retry.AFTER_FIX,
        show_message=True,
    ),
    "channel_liable_tax": IssueText(
        "Tax a sales channel collected has nowhere to go",
        NOT_BOOKED + " That tax is the channel's to pay, not your sales tax.",
        "Choose where ShopQB books tax that sales channels collect and pay themselves (the Accounts step), then retry.",
        MAP_ACCOUNTS,
        Retry.AFTER_FIX,
        show_message=True,
    ),
    "money_account_unmapped": IssueText(
        "Money moved to an account that is not chosen yet",
        NOT_BOOKED + " ShopQB never parks it in another account.",
        "Choose the account or item named above (the Accounts step), then retry.",
        MAP_ACCOUNTS,
        Retry.AFTER_FIX,
        show_message=True,
    ),
    # Reference: https://quickbooks.intuit.com/learn-support/global/mobile-and-apps/turn-on-multicurrency/00/381912
    "multicurrency_off": IssueText(
        "This order is in a currency your QuickBooks company does not keep",
        NOT_BOOKED + " ShopQB never books foreign amounts as if they were in your home currency.",
        "Turn on multicurrency in QuickBooks (Settings, Account and settings, Advanced, Currency), then retry. "
        "QuickBooks cannot turn it off again: check with your accountant first.",
        retry=Retry.AFTER_FIX,
        show_message=True,
    ),
    "exchange_rate_missing": IssueText(
        "QuickBooks has no exchange rate for this order's currency and date",
        NOT_BOOKED + " ShopQB books foreign amounts at QuickBooks' own rate for the day and never guesses one.",
        "Add the rate in QuickBooks (Settings, Currencies), then retry.",
        retry=Retry.AFTER_FIX,
        show_message=True,
    ),
    "payout_accounts_unmapped": IssueText(
        "Payouts have no bank or fees account",
        "Shopify Payments payouts are not in QuickBooks: your bank account there does not show them, "
        "and the payments clearing account keeps their money.",
        "Choose the bank account payouts land in and the account for Shopify's fees. "
        "The next sync pass then books every payout.",
        MAP_ACCOUNTS,
        show_message=True,
    ),
    "payout_type_unknown": IssueText(
        "A payout holds money ShopQB cannot place yet",
        "The payout is not in QuickBooks: it holds a kind of Shopify Payments transaction (named below) that "
        "ShopQB does not book, and ShopQB never parks money in the wrong account.",
        "Enter this payout in QuickBooks yourself. " + SUPPORT,
        show_message=True,
    ),
    "payout_mismatch": IssueText(
        "A payout's amounts do not add up",
        "The payout is not in QuickBooks: its transactions in Shopify do not add up to what it paid into "
        "(or took from) your bank.",
        "Compare the payout in Shopify (Finances, Payouts) with the amounts below and enter the deposit in "
        "QuickBooks yourself. " + SUPPORT,
        show_message=True,
    ),
    # --- summary posting (syncing/summary.py) ---
    "summarised_order_changed": IssueText(
        "An order changed after its summary was written",
        "A summary in QuickBooks is never rewritten, so the change is not in your books; money refunded or "
        "charged later is booked in the summary that carries it.",
        "Compare the order in Shopify with the summary's CSV of orders, and book the difference in QuickBooks "
        "yourself if it matters.",
        REVIEW_ORDER,
        show_message=True,
    ),
    "summary_unsupported": IssueText(
        "A summary holds a document it cannot add up",
        "The summary is not in QuickBooks, so the sales it holds are missing from your books until it is.",
        SUPPORT,
        show_message=True,
    ),
    "summary_mismatch": IssueText(
        "A summary's amounts do not add up",
        "The summary is not in QuickBooks: its documents would not come to the orders it holds.",
        SUPPORT,
        show_message=True,
    ),
    # --- QuickBooks answered (syncing/writing.py) ---
    "qbo_rejected": IssueText(
        "QuickBooks refused to record it",
        NOT_WRITTEN,
        "Check that the accounts, items and tax codes ShopQB uses still exist and are active in QuickBooks, "
        "then retry. " + SUPPORT,
        CHECK_SETTINGS,
        Retry.AFTER_FIX,
    ),
    "qbo_rejected:6000": IssueText(
        "QuickBooks refused it under its business rules",
        NOT_WRITTEN,
        "QuickBooks' own explanation is in the details below: usually an account of the wrong type or a closed "
        "accounting period. Correct it in your settings or in QuickBooks, then retry.",
        MAP_ACCOUNTS,
        Retry.AFTER_FIX,
    ),
    "qbo_rejected:6140": IssueText(
        "QuickBooks already has a document with this number",
        NOT_WRITTEN,
        "A document with the same number is already in QuickBooks and ShopQB never changes what it did not "
        "write. Rename that document in QuickBooks, or change the number prefix ShopQB puts before "
        "order numbers, then retry.",
        CHANGE_PREFIX,
        Retry.AFTER_FIX,
    ),
    "qbo_rejected:610": IssueText(
        "Something it uses is inactive or deleted in QuickBooks",
        NOT_WRITTEN,
        "An account, item, customer or tax code ShopQB uses was made inactive or deleted in QuickBooks. "
        "Make it active again there, or choose another one in your settings, then retry.",
        CHECK_SETTINGS,
        Retry.AFTER_FIX,
    ),
    "qbo_rejected:2500": IssueText(
        "Something it uses is missing from QuickBooks",
        NOT_WRITTEN,
        "An account, item or tax code in your settings is not in this QuickBooks company. "
        "Choose one that exists, then retry.",
        CHECK_SETTINGS,
        Retry.AFTER_FIX,
    ),
    "qbo_rejected:6070": IssueText(
        "QuickBooks worked out a different total",
        NOT_WRITTEN,
        "QuickBooks computed another amount than Shopify charged, usually because of the tax codes. "
        "Check your tax mapping, then retry.",
        MAP_TAXES,
        Retry.AFTER_FIX,
    ),
    "qbo_rejected:6190": IssueText(
        "Your QuickBooks subscription does not accept new transactions",
        "Nothing can be written to QuickBooks: the trial or subscription has ended, or there is a billing problem.",
        "Sort out the subscription in QuickBooks (Settings, Billing & subscription), then retry.",
        retry=Retry.AFTER_FIX,
    ),
    "qbo_rejected:6240": IssueText(
        "QuickBooks already has a name like this",
        NOT_WRITTEN,
        "A customer, item or account with the same name already exists in QuickBooks. Rename one of them "
        "there, then retry.",
        retry=Retry.AFTER_FIX,
    ),
    "doc_number_taken": IssueText(
        "QuickBooks already has a document with this number",
        NOT_WRITTEN,
        "A document with the same number is already in QuickBooks and ShopQB never changes what it did not "
        "write. Rename that document in QuickBooks, or change the number prefix ShopQB puts before "
        "order numbers, then retry.",
        CHANGE_PREFIX,
        Retry.AFTER_FIX,
    ),
    "qbo_unavailable": IssueText(
        "QuickBooks could not be reached",
        "It is not in QuickBooks yet. Nothing was written twice.",
        "Nothing, usually: the next sync pass tries again. Retry to try now.",
        retry=Retry.TRANSIENT,
    ),
    "qbo_unavailable:3001": IssueText(
        "QuickBooks asked ShopQB to slow down",
        "It is not in QuickBooks yet: QuickBooks limits how many requests an app sends each minute.",
        "Nothing, usually: the next sync pass tries again once QuickBooks accepts requests. Retry to try now.",
        retry=Retry.TRANSIENT,
    ),
    "qbo_stale_object": IssueText(
        "The document changed in QuickBooks while ShopQB updated it",
        "The change from Shopify is not in QuickBooks yet.",
        "Retry: ShopQB reads the document again and applies the change.",
        retry=Retry.TRANSIENT,
    ),
    "qbo_auth": IssueText(
        "QuickBooks refused ShopQB's access",
        "Nothing can be written to QuickBooks until the connection works again. Orders wait; none is lost.",
        "Reconnect QuickBooks. Syncing catches up by itself afterwards.",
        RECONNECT,
        Retry.AFTER_FIX,
    ),
    "qbo_auth:3200": IssueText(
        "QuickBooks no longer accepts ShopQB's sign-in",
        "Nothing can be written to QuickBooks until you connect again. Orders wait; none is lost.",
        "Reconnect QuickBooks. Syncing catches up by itself afterwards.",
        RECONNECT,
        Retry.AFTER_FIX,
    ),
    "waiting_for_linked_document": IssueText(
        "A payment is waiting for its invoice",
        "The payment is not in QuickBooks yet, so the invoice there still shows as unpaid.",
        "Nothing, usually: ShopQB writes the payment once the invoice is in QuickBooks. "
        "If the invoice has an issue of its own, fix that one first.",
        retry=Retry.TRANSIENT,
    ),
    # --- written, but worth a look ---
    "qbo_total_differs": IssueText(
        "QuickBooks shows a different total for this order",
        "The document is in QuickBooks, but its total is not what the customer paid in Shopify.",
        "Open the document in QuickBooks and compare it with the order: usually a tax setting in QuickBooks "
        "recalculated the tax.",
        REVIEW_ORDER,
        show_message=True,
    ),
    "qbo_sales_tax_not_taken": IssueText(
        "QuickBooks charged its own sales tax on this order",
        "The document is in QuickBooks with the sales tax QuickBooks worked out, not the tax the customer paid "
        "in Shopify: its total and your sales tax payable are off by the difference.",
        "Correct the tax amount on the document in QuickBooks. So that later orders keep Shopify's tax, use "
        "automated sales tax in QuickBooks (Taxes, Sales tax settings): companies still on the older sales tax "
        "setup work out tax from their own rates and ignore the amount apps send.",
        REVIEW_ORDER,
        show_message=True,
    ),
    "refund_adjustment": IssueText(
        "A refund is not tied to returned items",
        "The refund is in QuickBooks as a refund adjustment on your discount item, not against a product.",
        "Check that this is how you want the refund in your books; change it in QuickBooks if not.",
        REVIEW_REFUND,
        show_message=True,
    ),
    "rounding_line": IssueText(
        "A rounding line was added to match Shopify",
        "QuickBooks rounds tax per line; a line of a cent or two makes the total match what the customer paid.",
        "Nothing, if the amount is small. A larger one usually means a tax rate is mapped to the wrong tax code.",
        REVIEW_ORDER,
        show_message=True,
    ),
    "reconcile_difference": IssueText(
        "Shopify and QuickBooks disagree",
        "The comparison of Shopify with QuickBooks found a difference for this order, refund or payout.",
        "Look at the amounts below. If the document is missing from QuickBooks, retry to write it; "
        "if someone changed it in QuickBooks, correct it there.",
        REVIEW_ORDER,
        Retry.AFTER_FIX,
        show_message=True,
    ),
    # --- the shop as a whole ---
    "sweep_failed": IssueText(
        "The last sync pass stopped early",
        "Orders changed since then are not in QuickBooks yet. Nothing was written twice.",
        "Nothing, usually: the next pass starts where this one stopped. Retry to run one now. " + SUPPORT,
        retry=Retry.TRANSIENT,
    ),
    "order_not_found": IssueText(
        "Shopify no longer has this order",
        "Nothing was written: the order was deleted in Shopify before ShopQB read it.",
        "Nothing, if you deleted it yourself.",
    ),
    "products_refresh_failed": IssueText(
        "New products could not be read from Shopify",
        "Your books are not affected. The Products step may not list products added or changed recently.",
        "Nothing, usually: the next sync pass tries again. " + SUPPORT,
        OPEN_PRODUCTS,
    ),
    # --- changes people made in QuickBooks (syncing/cdc.py, syncing/drift.py) ---
    "qbo_changed_by_someone": IssueText(
        "Someone changed or deleted a ShopQB document in QuickBooks",
        "ShopQB leaves it as it is now and will not write it again on its own, so QuickBooks may differ from Shopify.",
        "Choose whether to post ShopQB's version again, keep QuickBooks' version, or ignore it.",
        Action("Open Changes in QuickBooks", ActionKind.PAGE, "drift"),
        show_message=True,
    ),
    "qbo_changes_unchecked": IssueText(
        "Some changes made in QuickBooks could not be checked",
        "QuickBooks only tells the last 30 days of changes; earlier ones to ShopQB's documents are not known.",
        "Compare Shopify with QuickBooks on the reconciliation page for the days in question.",
        Action("Open the reconciliation", ActionKind.PAGE, "reconcile"),
        show_message=True,
    ),
    "qbo_change_check_failed": IssueText(
        "QuickBooks did not say which documents people changed",
        "Syncing goes on; changes made in QuickBooks to ShopQB's documents are not noticed until a check succeeds.",
        "Nothing, usually: every sync pass asks again. " + SUPPORT,
    ),
}

GENERIC = IssueText(
    "Something needs a look",
    "ShopQB could not finish this piece of work, so your books may be missing it.",
    "Read the details below. " + SUPPORT,
)


def issue_text(code: str, detail: dict[str, Any] | None = None) -> IssueText:
    """The entry for a code, QuickBooks' own fault code first where it says more."""
    fault = str((detail or {}).get("qbo_code") or "")
    return TEXTS.get(f"{code}:{fault}") or TEXTS.get(code) or GENERIC
