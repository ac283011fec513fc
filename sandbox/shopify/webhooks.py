"""Webhook delivery: subscriptions (Admin API and ``shopify.app.toml``), signing, retries, faults.

Each event becomes one delivery per matching subscription, posted by a
background thread with Shopify's headers and HMAC. A non-2xx answer, a refused
connection or a timeout is retried on ``schedule`` (8 tries; compressed from
Shopify's 4 hours to seconds by default). Every attempt is logged. When the
last try fails, an Admin-API subscription is deleted (TOML ones are kept), as
on Shopify.

Fault knobs (emulator-only): ``duplicate`` (send each delivery N more times,
same webhook id), ``shuffle`` (hold deliveries and release them in a random
order), ``drop_percent`` (never send that share; logged as dropped), ``delay``
(seconds before the first try).
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import itertools
import json
import random
import threading
import time
import tomllib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from sandbox.shopify.model import iso
from sandbox.shopify.rest import Renderer
from sandbox.shopify.store import ShopData

# Since September 2024 Shopify retries a failed delivery "a total of 8 times over 4 hours using an
# exponential backoff schedule" and removes an Admin-API subscription whose deliveries still fail
# after that; it publishes no exact delays. The sandbox makes 8 tries in all. Doubling delays that
# fill the 4 hours give the real shape: the first try, then retries after about 1.9, 3.8, 7.6, 15,
# 30, 60 and 121 minutes. The default here is that shape 227 times faster, about a minute in all:
# the first try, then retries after 0.5, 1, 2, 4, 8, 16 and 32 seconds. Entry n is the wait
# before try n + 1.
# Reference: https://shopify.dev/changelog/updates-to-webhook-retry-mechanism
# Reference: https://shopify.dev/docs/apps/build/webhooks/troubleshooting-webhooks
DEFAULT_SCHEDULE = [0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0]  # 8 tries
TOPICS = {
    "orders/create", "orders/updated", "orders/paid", "orders/cancelled", "orders/edited", "refunds/create",
    "products/create", "products/update", "inventory_levels/update", "app/uninstalled", "bulk_operations/finish",
    "customers/data_request", "customers/redact", "shop/redact",
}  # fmt: skip
COMPLIANCE = ("customers/data_request", "customers/redact", "shop/redact")


# Shopify's bodies (Rails JSON): compact, non-ASCII as raw UTF-8, and HTML-safe escapes
# for < > & / and the JavaScript line separators, as real payloads show.
# Reference: https://github.com/Shopify/shopify-api-js/issues/320
# Reference: https://github.com/Shopify/shopify-express/pull/15
_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "/": "\\/", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def serialise(payload: Any) -> bytes:
    """A webhook body byte for byte as Shopify writes it (apps must sign the raw bytes, not a re-encoding)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).translate(_ESCAPES).encode()


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class Delivery:
    webhook_id: str
    event_id: str
    shop: str
    topic: str
    url: str
    body: bytes
    api_version: str
    triggered_at: str
    subscription_id: int | None  # None for TOML subscriptions
    attempt: int = 0


@dataclass
class Faults:
    duplicate: int = 0
    shuffle: bool = False
    drop_percent: float = 0.0
    delay: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class TomlSubscription:
    topic: str
    url: str
    api_version: str
    include_fields: list[str] = field(default_factory=list)
    filter: str | None = None


def read_toml(path: Path | None, app_url: str | None) -> list[TomlSubscription]:
    """App-level subscriptions from a Shopify CLI ``shopify.app.toml``.

    Relative ``uri``s are resolved against the sandbox's app URL; without one the
    file's production ``application_url`` is not reachable from here, so none apply.
    """
    if path is None or not path.exists() or not app_url:
        return []
    data = tomllib.loads(path.read_text())
    webhooks = data.get("webhooks") or {}
    version = webhooks.get("api_version") or "2025-04"
    base = app_url.rstrip("/")
    subs = []
    for entry in webhooks.get("subscriptions") or []:
        uri = entry.get("uri") or ""
        url = uri if uri.startswith(("http://", "https://")) else f"{base}/{uri.lstrip('/')}"
        topics = list(entry.get("topics") or []) + list(entry.get("compliance_topics") or [])
        for topic in topics:
            subs.append(
                TomlSubscription(topic, url, version, list(entry.get("include_fields") or []), entry.get("filter"))
            )
    return subs


class Dispatcher:
    def __init__(
        self,
        secret: str,
        *,
        schedule: list[float] | None = None,
        timeout: float = 5.0,
        seed: int = 0,
        enabled: bool = True,
        on_final_failure: Any = None,
    ) -> None:
        self.secret = secret
        self.schedule = list(schedule or DEFAULT_SCHEDULE)
        self.timeout = timeout
        self.enabled = enabled
        self.faults = Faults()
        self.rng = random.Random(seed)
        self.on_final_failure = on_final_failure
        self.attempts: list[dict[str, Any]] = []
        self._queue: list[tuple[float, int, Delivery]] = []
        self._held: list[Delivery] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._busy = 0
        self._stop = False
        self._session = requests.Session()
        self._thread = threading.Thread(target=self._run, name="shopify-webhooks", daemon=True)
        self._thread.start()

    # -- producing ---------------------------------------------------------------
    def enqueue(self, deliveries: list[Delivery]) -> None:
        if not self.enabled or not deliveries:
            return
        with self._cond:
            for d in deliveries:
                if self.faults.drop_percent and self.rng.random() * 100 < self.faults.drop_percent:
                    self._log(d, status=None, error="dropped by fault knob", final=True)
                    continue
                copies = [d] + [
                    Delivery(**{**d.__dict__, "attempt": 0}) for _ in range(max(0, int(self.faults.duplicate)))
                ]
                if self.faults.shuffle:
                    self._held.extend(copies)
                else:
                    for c in copies:
                        self._push(c, time.monotonic() + self.faults.delay)
            self._cond.notify_all()

    def release(self) -> int:
        """Release deliveries held by the shuffle knob, in a random order."""
        with self._cond:
            held, self._held = self._held, []
            self.rng.shuffle(held)
            now = time.monotonic() + self.faults.delay
            for i, d in enumerate(held):
                self._push(d, now + i * 0.001)
            self._cond.notify_all()
            return len(held)

    def _push(self, d: Delivery, due: float) -> None:
        heapq.heappush(self._queue, (due, next(self._seq), d))

    # -- delivering ----------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stop and (not self._queue or self._queue[0][0] > time.monotonic()):
                    wait = self._queue[0][0] - time.monotonic() if self._queue else None
                    self._cond.wait(timeout=wait)
                if self._stop:
                    return
                _due, _seq, d = heapq.heappop(self._queue)
                self._busy += 1
            try:
                self._attempt(d)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _attempt(self, d: Delivery) -> None:
        d.attempt += 1
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Shopify-Captain-Hook",
            "X-Shopify-Topic": d.topic,
            "X-Shopify-Hmac-Sha256": sign(self.secret, d.body),
            "X-Shopify-Shop-Domain": d.shop,
            "X-Shopify-API-Version": d.api_version,
            "X-Shopify-Webhook-Id": d.webhook_id,
            "X-Shopify-Event-Id": d.event_id,
            "X-Shopify-Triggered-At": d.triggered_at,
        }
        status, error = None, None
        try:
            # Shopify does not follow redirects: a 3xx is a failed delivery like any non-2xx.
            # Reference: https://shopify.dev/docs/apps/build/webhooks/troubleshooting-webhooks
            response = self._session.post(
                d.url, data=d.body, headers=headers, timeout=(1.0, self.timeout), allow_redirects=False
            )
            status = response.status_code
            ok = 200 <= status < 300
            if not ok:
                error = f"HTTP {status}"
        except requests.RequestException as exc:
            ok = False
            error = type(exc).__name__
        final = ok or d.attempt >= len(self.schedule)
        self._log(d, status=status, error=error, final=final)
        if ok:
            return
        if d.attempt < len(self.schedule):
            with self._cond:
                self._push(d, time.monotonic() + self.schedule[d.attempt])
                self._cond.notify_all()
        elif self.on_final_failure is not None:
            self.on_final_failure(d)

    def _log(self, d: Delivery, *, status: int | None, error: str | None, final: bool) -> None:
        self.attempts.append(
            {
                "webhook_id": d.webhook_id,
                "event_id": d.event_id,
                "shop": d.shop,
                "topic": d.topic,
                "url": d.url,
                "attempt": d.attempt,
                "status": status,
                "ok": status is not None and 200 <= status < 300,
                "error": error,
                "final": final,
                "at": time.time(),
            }
        )
        if len(self.attempts) > 20_000:
            del self.attempts[:10_000]

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until nothing is due or being sent (held shuffle deliveries do not count)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(timeout=min(remaining, 0.05))
            return True

    def pending(self) -> int:
        with self._cond:
            return len(self._queue) + self._busy + len(self._held)

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        self._thread.join(timeout=2)
        # Close the kept-alive connections too, or the app's server keeps a thread
        # waiting on each of them after the sandbox is gone.
        self._session.close()


class WebhookHub:
    """Turns emulator events into deliveries for API and TOML subscriptions."""

    def __init__(self, emulator: Any, dispatcher: Dispatcher, toml: list[TomlSubscription]) -> None:
        self.emulator = emulator
        self.dispatcher = dispatcher
        self.toml = toml

    def subscriptions(self, shop: ShopData, topic: str) -> list[tuple[str, str, list[str], int | None]]:
        """(url, api_version, include_fields, subscription id or None) for ``topic``."""
        out = []
        gql_topic = topic.replace("/", "_").upper()
        for s in shop.tables["WebhookSubscription"].values():
            if s.topic == gql_topic:
                out.append((s.callback_url, s.api_version, s.include_fields, s.id))
        if self.emulator.installed(shop) or topic in (*COMPLIANCE, "app/uninstalled"):
            for t in self.toml:
                if t.topic == topic:
                    out.append((t.url, t.api_version, t.include_fields, None))
        return out

    def emit(self, shop: ShopData, topic: str, record: Any) -> list[Delivery]:
        targets = self.subscriptions(shop, topic)
        if not targets:
            return []
        body = Renderer(shop).body(topic, record)
        event_id = str(uuid.UUID(int=random.getrandbits(128)))
        triggered = iso(self.emulator.store.now()) or ""
        deliveries = []
        for url, version, include, sub_id in targets:
            payload = {k: v for k, v in body.items() if k in include} if include else body
            deliveries.append(
                Delivery(
                    webhook_id=str(uuid.uuid4()),
                    event_id=event_id,
                    shop=shop.domain,
                    topic=topic,
                    url=url,
                    body=serialise(payload),
                    api_version=version,
                    triggered_at=triggered,
                    subscription_id=sub_id,
                )
            )
        self.dispatcher.enqueue(deliveries)
        return deliveries
