"""Alerts: raised while a condition holds, cleared when it ends, emailed at most once a day.

The watch (operations/watch.py) finds the conditions that hold now and calls ``alerts_update``
with them: each gets its one open alert (created, or refreshed), every other open alert is
resolved, and each alert not emailed within the last day is emailed: to the shop's owner (the
address Shopify gives for the shop) and to the operators (Django's ``ADMINS``), each with a link
to the page of the app that fixes it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import mail_admins, send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from accounts.install import shop_details_refresh
from accounts.models import Shop
from operations.models import Alert
from shopqb_app.integrations.shopify.oauth import admin_app_url

log = logging.getLogger(__name__)

EMAIL_EVERY = timedelta(days=1)
FALLBACK_FIX = "home"  # the overview: where every alert's page is reachable from


@dataclass(frozen=True)
class Condition:
    """Something that holds now and needs a person; ``shop`` None: the operators' own."""

    kind: str
    title: str
    message: str
    fix_url_name: str
    fix_label: str
    shop: Shop | None = None
    key: str = ""

    @property
    def identity(self) -> tuple[int | None, str, str]:
        return (self.shop.pk if self.shop else None, self.kind, self.key)


def fix_path(url_name: str) -> str:
    """The app's page that fixes an alert; the overview while that page does not exist (yet)."""
    try:
        return reverse(url_name or FALLBACK_FIX)
    except NoReverseMatch:
        return reverse("admin:index" if url_name.startswith("admin:") else FALLBACK_FIX)


def alerts_update(conditions: list[Condition], *, now: datetime) -> tuple[list[Alert], int]:
    """Open (or refresh) an alert per condition, resolve the open alerts whose condition ended,
    and send the emails that are due. Returns the open alerts and how many were resolved."""
    alerts = [alert_raise(condition, now=now) for condition in conditions]
    keep = {condition.identity for condition in conditions}
    ended = [a.pk for a in Alert.objects.filter(resolved_at__isnull=True) if _identity(a) not in keep]
    resolved = Alert.objects.filter(pk__in=ended, resolved_at__isnull=True).update(resolved_at=now)
    for alert in alerts:
        alert_notify(alert, now=now)
    return alerts, resolved


def alert_raise(condition: Condition, *, now: datetime) -> Alert:
    """The one open alert for the condition, its words brought up to date."""
    fields = {
        "title": condition.title[:200],
        "message": condition.message,
        "fix_url_name": condition.fix_url_name,
        "fix_label": condition.fix_label[:100],
        "last_seen_at": now,
    }
    open_alerts = Alert.objects.filter(
        shop=condition.shop, kind=condition.kind, key=condition.key, resolved_at__isnull=True
    )
    alert = open_alerts.first()
    if alert is None:
        try:
            with transaction.atomic():
                return Alert.objects.create(
                    shop=condition.shop, kind=condition.kind, key=condition.key, opened_at=now, **fields
                )
        except IntegrityError:  # a check running at the same time opened it first
            alert = open_alerts.get()
    open_alerts.filter(pk=alert.pk).update(**fields)
    for name, value in fields.items():
        setattr(alert, name, value)
    return alert


def alert_notify(alert: Alert, *, now: datetime) -> bool:
    """Email the alert unless an email about the same condition went out within the last day
    (this alert's, or an earlier one's that ended and came back). True when an email went out."""
    day_ago = now - EMAIL_EVERY
    same_condition = Alert.objects.filter(shop=alert.shop, kind=alert.kind, key=alert.key)
    if same_condition.exclude(pk=alert.pk).filter(emailed_at__gt=day_ago).exists():
        return False
    # Claim the email with one conditional UPDATE: two checks at once send it once.
    claimed = (
        Alert.objects.filter(pk=alert.pk)
        .filter(Q(emailed_at__isnull=True) | Q(emailed_at__lte=day_ago))
        .update(emailed_at=now, emails_sent=F("emails_sent") + 1, email_error="")
    )
    if not claimed:
        return False
    previous = alert.emailed_at
    sent, failed, errors = _send(alert)
    if failed and not sent:
        # Nobody got it (SMTP refused, unreachable...): the next check tries again.
        Alert.objects.filter(pk=alert.pk, emailed_at=now).update(
            emailed_at=previous, emails_sent=F("emails_sent") - 1, email_error="; ".join(errors)[:2000]
        )
        return False
    if errors:  # what did not go out, and why, for support (not tried again before a day has passed)
        Alert.objects.filter(pk=alert.pk).update(email_error="; ".join(errors)[:2000])
    alert.emailed_at = now
    return sent > 0


def _send(alert: Alert) -> tuple[int, int, list[str]]:
    """Email the shop's owner and the operators: how many emails went out, how many failed, and
    why each one that was not sent was not."""
    path = fix_path(alert.fix_url_name)
    shop = alert.shop
    context = {
        "alert": alert,
        "shop": shop,
        "fix_url": admin_app_url(shop.domain).rstrip("/") + path if shop else settings.APP_URL.rstrip("/") + path,
        "admin_url": settings.APP_URL.rstrip("/") + reverse("admin:operations_alert_change", args=[alert.pk]),
    }
    subject = alert.title if shop is None else f"{shop.name or shop.domain}: {alert.title}"
    sent, failed, errors = 0, 0, []
    contact = _shop_contact(shop) if shop is not None and settings.ALERT_EMAIL_MERCHANTS else ""
    if contact:
        try:
            body = render_to_string("operations/email/merchant.txt", context)
            sent += send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [contact], fail_silently=False)
        except Exception as exc:
            log.warning("alert %s could not be emailed to the shop: %s", alert.pk, exc)
            failed += 1
            errors.append(f"to the shop: {exc}")
    elif shop is not None and settings.ALERT_EMAIL_MERCHANTS:
        errors.append("the shop has no email address (Shopify gave none)")
    context["merchant_emailed"] = contact
    if settings.ADMINS:
        try:
            # From SERVER_EMAIL, the subject prefixed with EMAIL_SUBJECT_PREFIX.
            mail_admins(subject, render_to_string("operations/email/operators.txt", context), fail_silently=False)
            sent += 1
        except Exception as exc:
            log.warning("alert %s could not be emailed to the operators: %s", alert.pk, exc)
            failed += 1
            errors.append(f"to the operators: {exc}")
    else:
        errors.append("no operators to email (ADMINS is empty)")
    return sent, failed, errors


def _shop_contact(shop: Shop) -> str:
    """The shop owner's address, read from Shopify once when the app does not have it yet."""
    if not shop.email:
        shop_details_refresh(shop)
    return shop.email


def _identity(alert: Alert) -> tuple[int | None, str, str]:
    return (alert.shop_id, alert.kind, alert.key)
