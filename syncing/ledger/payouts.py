"""Shopify Payments payouts: each one a Deposit into the bank, equal to the bank line to the cent."""

from __future__ import annotations

from decimal import Decimal

from shopqb_app.integrations.shopify.parse import Payout
from syncing.ledger.dates import local_date
from syncing.ledger.model import DocLine, Document, LedgerError, Mapping, check_currency, doc_number
from syncing.ledger.money import ROUNDING_TOLERANCE_PER_LINE, ZERO, cents


def payout_deposit(payout: Payout, mapping: Mapping) -> Document:
    """A Shopify Payments payout as a Deposit into the bank, from the clearing account.

    One line takes the payout's gross (charges less refunds, plus adjustments and
    the rest) out of the Shopify Payments clearing account, one line books Shopify's
    fees as an expense: the deposit equals the bank line, to the cent.
    """
    if mapping.bank_account is None or mapping.fees_account is None:
        raise LedgerError("payout_accounts_unmapped", "No bank or fees account is mapped for Shopify Payments payouts.")
    if payout.kind != "DEPOSIT" or payout.net.amount < 0:
        raise LedgerError(
            "payout_withdrawal",
            f"Payout {payout.number} took {payout.net.amount} {payout.net.currency} from the bank; "
            "withdrawals are not booked automatically yet.",
        )
    check_currency(payout.net.currency, mapping, f"Payout {payout.number}")
    gross, fees, net = cents(payout.gross), cents(payout.fees), cents(payout.net.amount)
    clearing = mapping.clearing_for("shopify_payments")
    lines = [
        DocLine(
            "clearing", clearing, "Shopify Payments sales less refunds and adjustments", Decimal(1), gross, gross, False
        )
    ]
    if fees:
        lines.append(DocLine("fees", mapping.fees_account, "Shopify Payments fees", Decimal(1), -fees, -fees, False))
    residual = net - gross + fees
    if residual:
        if abs(residual) > ROUNDING_TOLERANCE_PER_LINE * 2:
            raise LedgerError(
                "payout_mismatch",
                f"Payout {payout.number}: gross {gross} less fees {fees} is not the {net} paid out.",
            )
        lines.append(
            DocLine("rounding", clearing, "Rounding difference (ShopQB)", Decimal(1), residual, residual, False)
        )
    return Document(
        entity="Deposit",
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
        total=net,
        private_note=f"Shopify Payments payout {payout.number} ({payout.id}). Written by ShopQB.",
        rounding=residual,
    )
