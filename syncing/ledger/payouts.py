"""Shopify Payments payouts: each one a Deposit into the bank (a JournalEntry when it took money
from the bank), equal to the bank line to the cent, every balance transaction on its own account.

Order money (charges, refunds and their corrections, payouts that failed and are paid again)
comes out of the Shopify Payments clearing account, where the SalesReceipts and RefundReceipts
put it: once everything is paid out, clearing nets to zero. What never was order money goes where
an accountant looks for it: processing fees and Shopify's adjustments to the fees account,
disputes and their fees to chargebacks, reserves to the reserve asset, Shopify Capital to its
loan, duties and import taxes to the duties liability. A type not listed refuses the payout:
nothing is lumped in silently.
"""

from __future__ import annotations

from decimal import Decimal

from shopqb_app.integrations.shopify.payouts import BalanceTransaction, Payout
from syncing.ledger.dates import local_date
from syncing.ledger.model import DocLine, Document, LedgerError, Mapping, Ref, check_currency, doc_number
from syncing.ledger.money import ZERO, cents

CLEARING = "clearing"
FEES = "fees"
CHARGEBACKS = "chargebacks"  # a dispute's fee is part of what the dispute cost: it stays here

# Balance-transaction type -> (the account role its amount books to, what the line says).
# Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/enums/ShopifyPaymentsTransactionType
# ADJUSTMENT goes with the fees: Shopify's glossary describes adjustments as processing fees
# returned or charged outside the sale itself (disputes have their own types now), and an
# adjustment belongs to no order, so booking it to clearing would leave clearing off for good.
# Reference: https://help.shopify.com/en/manual/payments/shopify-payments/glossary
TYPES: dict[str, tuple[str, str]] = {
    "CHARGE": (CLEARING, "Shopify Payments charges"),
    "REFUND": (CLEARING, "Shopify Payments refunds"),
    "CHARGE_ADJUSTMENT": (CLEARING, "Shopify Payments charge adjustments"),
    "REFUND_ADJUSTMENT": (CLEARING, "Shopify Payments refund adjustments"),
    "REFUND_FAILURE": (CLEARING, "Shopify Payments refunds that failed"),
    "TRANSFER_FAILURE": (CLEARING, "Failed payout paid again"),
    "TRANSFER_CANCEL": (CLEARING, "Cancelled payout paid again"),
    "ADJUSTMENT": (FEES, "Shopify Payments adjustment"),
    "DISPUTE_WITHDRAWAL": (CHARGEBACKS, "Disputed charges withdrawn"),
    "DISPUTE_REVERSAL": (CHARGEBACKS, "Disputes won, returned"),
    "CHARGEBACK_FEE": (CHARGEBACKS, "Chargeback fees"),
    "CHARGEBACK_FEE_REFUND": (CHARGEBACKS, "Chargeback fees returned"),
    "CHARGEBACK_HOLD": (CHARGEBACKS, "Chargeback holds"),
    "CHARGEBACK_HOLD_RELEASE": (CHARGEBACKS, "Chargeback holds released"),
    "RESERVED_FUNDS": ("payout_reserve", "Payout reserve held"),
    "RESERVED_FUNDS_REVERSAL": ("payout_reserve", "Payout reserve released"),
    "ADVANCE": ("capital_loan", "Shopify Capital"),
    "ADVANCE_FUNDING": ("capital_loan", "Shopify Capital repayments"),
    "CUSTOMS_DUTY": ("duties", "Customs duties paid"),
    "CUSTOMS_DUTY_ADJUSTMENT": ("duties", "Customs duty adjustments"),
    "IMPORT_TAX": ("duties", "Import taxes paid"),
    "IMPORT_TAX_ADJUSTMENT": ("duties", "Import tax adjustments"),
    "IMPORT_TAX_REFUND": ("duties", "Import taxes refunded"),
}


def payout_deposit(payout: Payout, mapping: Mapping) -> Document:
    """A paid-out payout as one QuickBooks document: a Deposit into the bank for a payout, a
    JournalEntry crediting the bank for a withdrawal (a Deposit cannot be negative).

    Each line takes one type's amounts (and, apart, its fees) from its own account; the lines
    add up to what reached the bank, to the cent, or the payout is refused.
    """
    if mapping.bank_account is None or mapping.fees_account is None:
        raise LedgerError("payout_accounts_unmapped", "No bank or fees account is mapped for Shopify Payments payouts.")
    check_currency(payout.net.currency, mapping, f"Payout {payout.number}")
    net = cents(payout.signed_net)
    moved = cents(sum((t.net for t in payout.transactions), ZERO))
    if moved != net:
        raise LedgerError(
            "payout_mismatch",
            f"Payout {payout.number}: its {len(payout.transactions)} balance transactions come to {moved}, "
            f"not the {net} {payout.net.currency} paid out; nothing was written.",
        )
    lines = _lines(payout, mapping)
    if net >= 0:
        return _document(payout, mapping, "Deposit", lines, net)
    # A withdrawal: what the Deposit lines would take from an account, the journal credits to it
    # (a positive line is a debit), and the bank is credited with what was taken.
    postings = [_line(line.role, line.item, line.description, -line.amount) for line in lines]
    postings.append(_line("bank", mapping.bank_account, f"Shopify Payments withdrawal {payout.number}", net))
    debits = sum((p.amount for p in postings if p.amount > 0), ZERO)
    return _document(payout, mapping, "JournalEntry", postings, debits)


def _document(payout: Payout, mapping: Mapping, entity: str, lines: list[DocLine], total: Decimal) -> Document:
    assert mapping.bank_account is not None  # checked by payout_deposit
    return Document(
        entity=entity,
        source_type="payout",
        source_id=payout.id,
        source_name=f"payout {payout.number}",
        doc_number=doc_number("P", payout.number),
        txn_date=local_date(payout.issued_at, mapping.timezone),
        currency=payout.net.currency,
        customer=mapping.customer,
        deposit_to=mapping.bank_account,
        lines=tuple(lines),
        total_tax=ZERO,
        total=total,
        private_note=f"Shopify Payments payout {payout.number} ({payout.id}). Written by ShopQB.",
    )


def _lines(payout: Payout, mapping: Mapping) -> list[DocLine]:
    """Deposit lines, one per (account, what): a positive amount comes from the account into the
    bank (a charge out of clearing), a negative one is paid from the payout to it (a fee)."""
    sums: dict[tuple[str, str], Decimal] = {}
    accounts: dict[str, Ref] = {}
    for t in payout.transactions:
        role, label = _type_of(payout, t)
        if t.type == "ADJUSTMENT" and t.adjustment_reason:
            label = f"{label}: {t.adjustment_reason}"
        fee_role = role if role == CHARGEBACKS else FEES
        for what_role, what, amount in ((role, label, t.amount), (fee_role, f"{label}, fees", -t.fee)):
            if what_role not in accounts:
                accounts[what_role] = _account(what_role, payout, t, mapping)
            sums[what_role, what] = sums.get((what_role, what), ZERO) + amount
    return [_line(role, accounts[role], what, cents(amount)) for (role, what), amount in sums.items() if amount]


def _type_of(payout: Payout, t: BalanceTransaction) -> tuple[str, str]:
    found = TYPES.get(t.type)
    if found is None:
        raise LedgerError(
            "payout_type_unknown",
            f"Payout {payout.number} holds a {t.type} balance transaction ({t.net} {t.currency}) that ShopQB "
            "does not book yet, so the payout was not written rather than lumped into the wrong account. "
            "Book this payout by hand or contact support.",
        )
    return found


def _account(role: str, payout: Payout, t: BalanceTransaction, mapping: Mapping) -> Ref:
    if role == CLEARING:
        return mapping.clearing_for("shopify_payments")
    if role == FEES:
        assert mapping.fees_account is not None  # checked by payout_deposit
        return mapping.fees_account
    return mapping.account_for(role, f"Payout {payout.number} ({t.type.lower().replace('_', ' ')})")


def _line(role: str, account: Ref, description: str, amount: Decimal) -> DocLine:
    return DocLine(role, account, description, Decimal(1), amount, amount, False)
