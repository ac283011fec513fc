"""A django-q2 worker that SIGKILLs itself once at a chosen step of a QuickBooks write.

Run as ``python -m tests.syncing.crash_worker`` (it then runs ``manage.py qcluster``);
used by tests/syncing/crash_scenario.py. The plan is a file named by CRASH_PLAN:
``<step> <n>`` kills the worker at the n-th time any worker reaches <step> after the
plan was written; the file CRASH_PLAN + ".done" records that the kill happened, so
each plan kills exactly once. Workers are forked from the cluster, so the patches
below are in every worker.

Steps, in the order a write passes them:
- after_claim: the record is claimed ("writing"), nothing sent yet;
- after_send: QuickBooks received the create and answered; the answer is lost;
- after_answer: the app holds QuickBooks' answer, the record is not updated yet;
- after_commit: the record is "synced", the queued order not yet finished.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any


def _reached(step: str) -> None:
    plan_file = Path(os.environ["CRASH_PLAN"])
    try:
        planned, nth = plan_file.read_text().split()
    except (FileNotFoundError, ValueError):
        return
    done = plan_file.with_suffix(".done")
    if planned != step or done.exists():
        return
    with plan_file.with_suffix(".hits").open("a") as hits:
        hits.write("x")
    if plan_file.with_suffix(".hits").stat().st_size >= int(nth):
        done.write_text(f"{step} {nth} pid {os.getpid()}")
        os.kill(os.getpid(), signal.SIGKILL)


def install() -> None:
    from shopqb_app.integrations.quickbooks import client as qbo
    from syncing.models import SyncedRecord

    claim, mark_synced = SyncedRecord.claim, SyncedRecord.mark_synced
    create, process_request = qbo.create, qbo.TimeoutQuickBooks.process_request

    def claim_then_crash(*args: Any, **kwargs: Any) -> bool:
        claimed = claim(*args, **kwargs)
        if claimed:
            _reached("after_claim")
        return claimed

    def send_then_crash(self: Any, request_type: str, url: str, *args: Any, **kwargs: Any) -> Any:
        response = process_request(self, request_type, url, *args, **kwargs)
        params = kwargs.get("params") or {}
        if request_type == "POST" and "requestid" in params and "operation" not in params:
            _reached("after_send")  # a create went through; its answer never reaches the app
        return response

    def create_then_crash(*args: Any, **kwargs: Any) -> Any:
        written = create(*args, **kwargs)
        _reached("after_answer")
        return written

    def synced_then_crash(*args: Any, **kwargs: Any) -> None:
        mark_synced(*args, **kwargs)
        _reached("after_commit")

    SyncedRecord.claim = claim_then_crash
    SyncedRecord.mark_synced = synced_then_crash
    qbo.create = create_then_crash
    qbo.TimeoutQuickBooks.process_request = send_then_crash


if __name__ == "__main__":
    import django

    django.setup()
    install()
    from django.core.management import call_command

    call_command("qcluster")
