"""``manage.py shopqb undo --shop DOMAIN --since DATE [--until DATE] [--yes]``: remove what ShopQB
posted to QuickBooks for those dates (syncing/undo.py). Without ``--yes`` it is a dry run: it
lists what would be removed and what would be kept, with the totals, and changes nothing. With
``--yes`` it removes them and prints each document's outcome; an undo of the same dates left
unfinished (interrupted, QuickBooks unreachable) is continued instead of started again.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.clients import qbo_client
from accounts.models import QuickBooksConnection, Shop
from shopqb_app.integrations.quickbooks import client as qbo
from syncing import undo
from syncing.models import UndoRun


def add_undo_parser(actions: Any) -> None:
    remove = actions.add_parser(
        "undo",
        help="remove what ShopQB posted to QuickBooks for a date range (a dry run without --yes)",
        description="Void or delete the documents ShopQB created in QuickBooks dated in the range; never a "
        "document ShopQB did not create or one a person changed since. Without --yes, only list them.",
    )
    remove.add_argument("--shop", required=True, help="the shop's myshopify.com domain")
    remove.add_argument("--since", required=True, type=_day, help="first day, YYYY-MM-DD")
    remove.add_argument("--until", type=_day, default=None, help="last day, YYYY-MM-DD (default: up to today)")
    remove.add_argument("--yes", action="store_true", help="remove them (otherwise: a dry run)")


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from exc


def undo_command(command: BaseCommand, shop: Shop, options: dict[str, Any]) -> None:
    since, until, confirmed = options["since"], options.get("until"), options.get("yes", False)
    if until is not None and until < since:
        raise CommandError("--until is before --since")
    connection = QuickBooksConnection.objects.filter(shop=shop).first()
    if connection is None:
        raise CommandError(f"{shop.domain} is not connected to QuickBooks")
    run = undo.unfinished(shop)
    try:
        if run is not None and (run.since, run.until) != (since, until):
            raise CommandError(f"the undo of {run.range_text} has not finished: run it again with those dates")
        if run is None:
            qb = qbo_client(connection)
            plan = undo.undo_plan(shop, qb, since=since, until=until)
            _plan_print(command, plan)
            if not confirmed:
                command.stdout.write("Dry run: nothing was changed. Add --yes to remove these documents.")
                return
            if not plan.removals:
                return
            run = undo.undo_start(shop=shop, qb=qb, since=since, until=until, by="manage.py shopqb undo", enqueue=False)
        elif not confirmed:
            command.stdout.write(f"An undo of {run.range_text} is unfinished: add --yes to continue it.")
            return
        undo.undo_continue(run.pk)
    except (undo.UndoRefused, qbo.QBOError) as exc:
        raise CommandError(str(exc)) from exc
    run.refresh_from_db()
    for entry in run.entries.all():
        command.stdout.write(f"{entry.kind:14} {entry.doc_number:21} {entry.amount:>12} {entry.outcome}")
    if run.status != UndoRun.Status.DONE:
        raise CommandError(f"stopped: {run.error}; run the command again to continue")
    command.stdout.write(f"Done: undo {run.pk} of {run.range_text}.")


def _plan_print(command: BaseCommand, plan: undo.UndoPlan) -> None:
    for removal in plan.removals:
        record = removal.record
        note = " (payment of an invoice in the range)" if removal.linked else ""
        command.stdout.write(
            f"{removal.action:6} {record.kind:14} {record.doc_number:21} {record.txn_date} "
            f"{record.amount:>12} {record.currency}{note}"
        )
    for kept in plan.kept:
        record = kept.record
        command.stdout.write(f"keep   {record.kind:14} {record.doc_number:21} {record.txn_date}: {kept.reason}")
    for total in plan.totals:
        command.stdout.write(f"{total.action} {total.count} {total.kind}: {total.amount} {total.currency}")
    if not plan.removals:
        command.stdout.write("Nothing to remove.")
