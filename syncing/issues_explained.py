"""The shop's issues as the merchant reads them (a selector): each with its plain text
(syncing/issue_texts.py), what it is about, where to act, and whether a retry can help."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse

from accounts.models import Shop
from syncing.issue_texts import GENERIC, TEXTS, Action, ActionKind, IssueText, Retry, issue_text
from syncing.models import SourceType, SyncedRecord, SyncIssue


@dataclass
class ExplainedIssue:
    """One open issue as a page shows it."""

    issue: SyncIssue
    text: IssueText
    subject: str  # the order, refund or payout it is about
    retry: bool  # a Retry button: it can help and syncing.retries can queue it
    action_url: str = ""  # "" when the action has no page (yet)
    details: list[tuple[str, str]] = field(default_factory=list)

    @property
    def message(self) -> str:
        return self.issue.message if self.text.show_message else ""


def issue_retry_acts(issue: SyncIssue) -> bool:
    """Whether syncing.retries.issue_retry has work to queue for it (the same conditions)."""
    return (issue.source_type == SourceType.ORDER and bool(issue.source_id)) or issue.code == "sweep_failed"


def issue_can_retry(issue: SyncIssue, text: IssueText) -> bool:
    if not issue_retry_acts(issue):
        return False
    if text is GENERIC:
        # Nobody wrote down what this code means: trust what raised it.
        return issue.retryable
    return text.retry == Retry.AFTER_FIX or (text.retry == Retry.TRANSIENT and issue.retryable)


# Codes (any fault code) with a transient entry; each issue is still checked against its own entry.
TRANSIENT_CODES = frozenset(key.split(":")[0] for key, text in TEXTS.items() if text.retry == Retry.TRANSIENT)


def transient_issues(shop: Shop) -> QuerySet[SyncIssue]:
    """Open issues a retry as they stand can clear: what "Retry all" queues."""
    return SyncIssue.objects.open().filter(shop=shop, retryable=True, code__in=TRANSIENT_CODES)


def transient_issues_retry_targets(shop: Shop, *, limit: int | None = None) -> list[SyncIssue]:
    """One issue per order (or the shop's sweep) among the transient ones: each piece of work queued once."""
    seen: set[tuple[str, str]] = set()
    targets: list[SyncIssue] = []
    for issue in transient_issues(shop).order_by("-updated_at", "-pk").iterator():
        key = ("sweep", "") if issue.code == "sweep_failed" else (issue.source_type, issue.source_id)
        if key in seen or not issue_can_retry(issue, issue_text(issue.code, issue.detail)):
            continue
        seen.add(key)
        targets.append(issue)
        if limit is not None and len(targets) >= limit:
            break
    return targets


def issues_explain(shop: Shop, issues: Iterable[SyncIssue]) -> list[ExplainedIssue]:
    """The issues of one page, each with its text, what it is about and where its action leads."""
    issues = list(issues)
    names, orders = _source_names(shop, issues)
    orders_url = _orders_url()
    explained = []
    for issue in issues:
        text = issue_text(issue.code, issue.detail)
        order_gid = orders.get(issue.source_id, issue.source_id if issue.source_type == SourceType.ORDER else "")
        explained.append(
            ExplainedIssue(
                issue=issue,
                text=text,
                subject=_subject(issue, names.get(issue.source_id, "")),
                retry=issue_can_retry(issue, text),
                action_url=_action_url(text.action, orders_url, names.get(order_gid, "")),
                details=_details(issue),
            )
        )
    return explained


def _source_names(shop: Shop, issues: Sequence[SyncIssue]) -> tuple[dict[str, str], dict[str, str]]:
    """(Shopify id -> name such as "#1001", refund id -> its order's id), from the records
    the shop already has: an issue keeps only ids."""
    ids = {issue.source_id for issue in issues if issue.source_id}
    names: dict[str, str] = {}
    orders: dict[str, str] = {}
    for _ in range(2):  # the issues' own objects, then the orders of their refunds
        wanted = ids - names.keys()
        if not wanted:
            break
        rows = SyncedRecord.objects.filter(shop=shop, source_id__in=wanted).values_list(
            "source_id", "source_name", "order_gid"
        )
        for source_id, name, order_gid in rows:
            if name:
                names.setdefault(source_id, name)
            if order_gid and order_gid != source_id:
                orders[source_id] = order_gid
        ids = set(orders.values())
    return names, orders


def _subject(issue: SyncIssue, name: str) -> str:
    legacy_id = issue.source_id.rsplit("/", 1)[-1]
    if issue.source_type == SourceType.ORDER:
        return f"Order {name}" if name else f"Order {legacy_id}"
    if issue.source_type == SourceType.REFUND:
        # The ledger names a refund "#1001 refund 2".
        return f"Order {name.replace(' refund ', ', refund ')}" if name else f"Refund {legacy_id}"
    if issue.source_type in (SourceType.TRANSACTION, SourceType.EDIT):
        # "#1001 payment 2", "#1001 edit 1"
        return f"Order {name.replace(' payment ', ', payment ').replace(' edit ', ', edit ')}" if name else "An order"
    if issue.source_type == SourceType.PAYOUT:
        return name[:1].upper() + name[1:] if name else f"Payout {legacy_id}"
    if issue.source_type == SourceType.CUSTOMER:
        return f"Customer {legacy_id}"
    return "Your store"


def _orders_url() -> str:
    """The Orders page, if this version of the app has one."""
    try:
        return reverse("orders")
    except NoReverseMatch:
        return ""


def _action_url(action: Action | None, orders_url: str, order_name: str) -> str:
    if action is None:
        return ""
    if action.kind == ActionKind.ORDER:
        if not orders_url:
            return ""
        return f"{orders_url}?{urlencode({'q': order_name})}" if order_name else orders_url
    return reverse(action.url_name)


def _details(issue: SyncIssue) -> list[tuple[str, str]]:
    """What support needs, behind "Details": the raw code, QuickBooks' answer, the recorded message."""
    rows = [("Code", issue.code)]
    fault = str(issue.detail.get("qbo_code") or "")
    if fault:
        # A QBOUnavailable built from a bare HTTP answer carries the status as its code.
        is_status = issue.code == "qbo_unavailable" and len(fault) == 3 and fault.startswith("5")
        rows.append(("HTTP status" if is_status else "QuickBooks error code", fault))
    rows.extend((str(key), _plain(value)) for key, value in issue.detail.items() if key != "qbo_code")
    rows.append(("Message", issue.message))
    if issue.source_id:
        rows.append(("Shopify id", issue.source_id))
    return rows


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)
