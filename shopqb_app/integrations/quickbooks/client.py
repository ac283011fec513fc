"""QuickBooks Online through python-quickbooks: timeouts, retries, typed errors.

python-quickbooks has no timeouts, no 429 handling and a global-singleton mode;
``TimeoutQuickBooks`` adds the first two through our one HTTP wrapper and we
always pass ``qb=``. Errors come back as ``QBOError`` subclasses that say whether
trying again can help.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol, TypeVar
from urllib.parse import urlencode

import requests
from intuitlib.client import AuthClient
from quickbooks import QuickBooks as PythonQuickBooks
from quickbooks import exceptions as qb_exceptions
from quickbooks import objects

from shopqb_app.integrations import budget
from shopqb_app.integrations.http import TransientHTTPError, request_with_retries
from shopqb_app.integrations.quickbooks.errors import (
    DocNumberTaken,
    QBOAuthError,
    QBOError,
    QBORejected,
    QBOStaleObject,
    QBOUnavailable,
)

# The error family is part of this module's interface: callers catch ``qbo.QBOError``.
__all__ = [
    "BatchCreate",
    "DocNumberTaken",
    "QBOAuthError",
    "QBOError",
    "QBOObject",
    "QBORejected",
    "QBOSettings",
    "QBOStaleObject",
    "QBOUnavailable",
    "QuickBooks",
    "TimeoutQuickBooks",
    "Written",
    "batch_create",
    "batch_fault",
    "call",
    "connect",
    "create",
    "delete",
    "entity_class",
    "find_by",
    "find_documents",
    "find_owned_document",
    "owned_among",
    "query_all",
    "read",
    "refuses_duplicate_doc_numbers",
    "update",
    "void",
    "written_from_dict",
]

T = TypeVar("T")

# One QuickBooks entity (an Account, an Item, a SalesReceipt...) as QBO's JSON, numbers
# as Decimal. Its fields depend on the entity; what the sync relies on is parsed into
# ``Written`` (and ``company.CompanyDetails``).
QBOObject = dict[str, Any]


class QuickBooks(Protocol):
    """The client for one company, as this module uses python-quickbooks' ``QuickBooks``
    (which has no type hints, so mypy would see ``Any``); ``connect`` returns one.
    Answers are QBO's JSON; a fault is raised (see ``call``), never returned."""

    @property
    def company_id(self) -> str: ...

    @property
    def api_url(self) -> str: ...

    def query(self, select: str) -> dict[str, Any]: ...

    def get(self, url: str) -> dict[str, Any]: ...

    def post(
        self,
        url: str,
        request_body: str,
        *,
        params: Mapping[str, str] | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any]: ...


@dataclass(frozen=True)
class QBOSettings:
    client_id: str
    client_secret: str
    redirect_uri: str
    environment: str
    api_base: str
    minor_version: int = 75
    timeout: float = 60.0


# intuit-oauth reads Intuit's discovery document (the OAuth endpoints) every time an
# AuthClient is built, with no timeout. A sync builds one client per task: read the document
# through the HTTP wrapper once an hour per process instead.
# Reference: https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/openid-connect#discovery-document
DISCOVERY_TTL_SECONDS = 3600.0
_discovery: dict[str, tuple[float, requests.Response]] = {}
_discovery_session = requests.Session()


class _DiscoveryCachedAuthClient(AuthClient):  # type: ignore[misc]
    timeout: float = 60.0

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        key = url.decode() if isinstance(url, bytes) else url
        if str(method).upper() != "GET" or ".well-known/openid" not in key:
            kwargs.setdefault("timeout", self.timeout)
            answer: requests.Response = super().request(method, url, *args, **kwargs)
            return answer
        cached = _discovery.get(key)
        if cached is not None and time.monotonic() - cached[0] < DISCOVERY_TTL_SECONDS:
            return cached[1]
        try:
            response = request_with_retries(_discovery_session, "GET", key, timeout=self.timeout)
        except TransientHTTPError as exc:
            raise requests.ConnectionError(str(exc)) from exc
        if response.status_code == 200:
            _discovery[key] = (time.monotonic(), response)
        return response


# Told of every answer QuickBooks' API gives (realm id, HTTP status, whether it was a throttle) by
# whoever counts requests; the app registers its counter at startup (this package imports no app).
# An observer must not raise.
RequestObserver = Callable[[str, int, bool], None]
request_observers: list[RequestObserver] = []


class TimeoutQuickBooks(PythonQuickBooks):  # type: ignore[misc]
    """python-quickbooks with a timeout and retries on every request, and one token
    renewal when QuickBooks refuses the access token."""

    timeout: float = 60.0
    # Given the access token QuickBooks answered 401 to, returns a usable one (or
    # raises a QBOError); set by connect(). Without it a 401 is final.
    on_unauthorized: Callable[[str], str] | None = None

    def process_request(
        self, request_type: str, url: str, headers: Any = "", params: Any = "", data: Any = ""
    ) -> requests.Response:
        if self.session is None:
            raise QBOAuthError("no QuickBooks session")
        response = self._send(request_type, url, headers, params, data)
        if response.status_code == 401 and self.on_unauthorized is not None:
            # An access token lives an hour, but QuickBooks may refuse it before our
            # stored expiry says so: renew it once and send the same request again.
            # A second 401 is final (python-quickbooks raises it as AuthorizationException).
            # Reference: https://developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/error-codes
            self.session.access_token = self.on_unauthorized(self.session.access_token)
            response = self._send(request_type, url, headers, params, data)
        if response.status_code == 429:
            raise QBOUnavailable("QuickBooks throttled the requests (429)", 3001)
        if response.status_code == 403 and ("ThrottleExceeded" in response.text or 'code="3001"' in response.text):
            # QBO also throttles with a 403 and an XML fault, whatever format was asked for.
            # Reference: https://developer.intuit.com/app/developer/qbo/docs/learn/rest-api-features#limits-and-throttles
            raise QBOUnavailable("QuickBooks throttled the requests (403 ThrottleExceeded)", 3001)
        if response.status_code >= 500:
            raise QBOUnavailable(f"QuickBooks answered HTTP {response.status_code}", response.status_code)
        return response

    def _send(self, request_type: str, url: str, headers: Any, params: Any, data: Any) -> requests.Response:
        headers = dict(headers or {})
        headers["Authorization"] = "Bearer " + self.session.access_token
        try:
            # Reference: https://developer.intuit.com/app/developer/qbo/docs/learn/rest-api-features#limits-and-throttles
            response: requests.Response = request_with_retries(
                self.session,
                request_type,
                url,
                timeout=self.timeout,
                headers=headers,
                params=params,
                data=data,
                hooks={"response": self._observe},  # once per attempt, retries included
                around_attempt=lambda: self._budgeted(url),
            )
        except TransientHTTPError as exc:
            raise QBOUnavailable(str(exc)) from exc
        except budget.BudgetExhausted as exc:
            raise QBOUnavailable(f"QuickBooks request budget: {exc}", 3001) from exc
        return response

    def _budgeted(self, url: str) -> AbstractContextManager[object]:
        """The company's shared request budget around one attempt (a batch request also takes a
        batch token); nothing when no budget is configured."""
        shared = budget.current()
        if shared is None:
            return nullcontext()
        is_batch = url.split("?", 1)[0].rstrip("/").endswith("/batch")
        return shared.quickbooks_request(str(self.company_id), batch=is_batch, hold_seconds=self.timeout + 5)

    def _observe(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:  # noqa: ARG002
        throttled = response.status_code == 429 or (
            response.status_code == 403 and ("ThrottleExceeded" in response.text or 'code="3001"' in response.text)
        )
        for observer in request_observers:
            observer(str(self.company_id), response.status_code, throttled)
        shared = budget.current()
        if throttled and shared is not None:
            shared.quickbooks_throttled(str(self.company_id))


def connect(
    settings: QBOSettings,
    *,
    realm_id: str,
    access_token: str,
    refresh_token: str = "",
    on_unauthorized: Callable[[str], str] | None = None,
) -> QuickBooks:
    """A client for one company. The token should be fresh (accounts.tokens refreshes
    it); ``on_unauthorized`` renews it when QuickBooks refuses it anyway."""
    try:
        # intuit-oauth reads Intuit's discovery document here, over the network.
        _DiscoveryCachedAuthClient.timeout = settings.timeout
        auth_client = _DiscoveryCachedAuthClient(
            settings.client_id,
            settings.client_secret,
            settings.redirect_uri,
            settings.environment,
            access_token=access_token,
            refresh_token=refresh_token or None,
            realm_id=realm_id,
        )
    except requests.RequestException as exc:
        raise QBOUnavailable(f"QuickBooks could not be reached: {exc}") from exc
    qb = TimeoutQuickBooks(
        auth_client=auth_client,
        refresh_token=refresh_token or None,
        company_id=realm_id,
        minorversion=settings.minor_version,
        use_decimal=True,
    )
    qb.api_url_v3 = settings.api_base.rstrip("/")
    qb.sandbox = False
    qb.timeout = settings.timeout
    qb.on_unauthorized = on_unauthorized
    return qb


def call(fn: Callable[[], T]) -> T:
    """Run one library call and translate its exceptions into ours."""
    try:
        return fn()
    except QBOError:
        raise
    except qb_exceptions.AuthorizationException as exc:
        raise QBOAuthError(f"QuickBooks refused the credentials: {exc.message}", exc.error_code, exc.detail) from exc
    except qb_exceptions.QuickbooksException as exc:
        code = str(exc.error_code)
        message = f"{exc.message}: {exc.detail}" if exc.detail else str(exc.message)
        if code == "5010":
            raise QBOStaleObject(message, code, exc.detail) from exc
        if code == "3001" or "throttl" in message.lower():
            raise QBOUnavailable(message, code, exc.detail) from exc
        if code.startswith("100") or code == "10000":
            raise QBOUnavailable(message, code, exc.detail) from exc
        raise QBORejected(message, code, exc.detail) from exc
    except requests.RequestException as exc:
        raise QBOUnavailable(f"QuickBooks unreachable: {exc}") from exc


def entity_class(entity: str) -> Any:
    cls = getattr(objects, entity, None)
    if cls is None:
        raise ValueError(f"unknown QBO entity {entity}")
    return cls


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def find_by(qb: QuickBooks, entity: str, field: str, value: str) -> list[QBOObject]:
    """Objects whose ``field`` equals ``value``, as plain dicts."""
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries
    select = f"select * from {entity} where {field} = '{_escape(value)}'"  # noqa: S608 (QBO query, value escaped)
    result = call(lambda: qb.query(select))
    return list(result.get("QueryResponse", {}).get(entity, []))


def find_owned_document(qb: QuickBooks, entity: str, doc_number: str, source_id: str) -> QBOObject | None:
    """Our earlier document for ``source_id`` (a lost response, a crash), or None.

    A document with the same DocNumber that does not name ``source_id`` in its
    PrivateNote was not written by us: DocNumberTaken, so we never overwrite it.
    """
    # Payments carry their number in PaymentRefNum; every other document in DocNumber.
    found = find_by(qb, entity, "PaymentRefNum" if entity == "Payment" else "DocNumber", doc_number)
    ours = [doc for doc in found if source_id in str(doc.get("PrivateNote") or "")]
    if ours:
        return ours[0]
    if found:
        raise DocNumberTaken(
            f"{entity} {doc_number} already exists in QuickBooks and was not written by ShopQB", "6140"
        )
    return None


@dataclass(frozen=True)
class Written:
    id: str
    sync_token: str
    total: Decimal


def _written(obj: Any) -> Written:
    return Written(id=str(obj.Id), sync_token=str(obj.SyncToken), total=Decimal(str(obj.TotalAmt)))


def written_from_dict(doc: QBOObject) -> Written:
    return Written(id=str(doc["Id"]), sync_token=str(doc["SyncToken"]), total=Decimal(str(doc.get("TotalAmt", "0"))))


def create(qb: QuickBooks, entity: str, body: dict[str, Any], *, request_id: str) -> Written:
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/salesreceipt#create-a-salesreceipt
    obj = entity_class(entity).from_json(_plain(body))
    saved = call(lambda: obj.save(qb=qb, request_id=request_id))
    return _written(saved)


def update(
    qb: QuickBooks, entity: str, body: dict[str, Any], *, qbo_id: str, sync_token: str, request_id: str
) -> Written:
    """Sparse update of a document we own: only the fields in ``body`` change."""
    payload = {**_plain(body), "Id": qbo_id, "SyncToken": sync_token, "sparse": True}
    url = f"{qb.api_url}/company/{qb.company_id}/{entity.lower()}"
    result = call(lambda: qb.post(url, json.dumps(payload), request_id=request_id))
    return written_from_dict(result[entity])


def void(qb: QuickBooks, entity: str, *, qbo_id: str, sync_token: str, request_id: str) -> Written:
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/salesreceipt#void-a-salesreceipt
    # QBO voids an Invoice with operation=void but a SalesReceipt or Payment with
    # operation=update&include=void; python-quickbooks knows which is which.
    url = f"{qb.api_url}/company/{qb.company_id}/{entity.lower()}"
    payload = {"Id": qbo_id, "SyncToken": sync_token, "sparse": True}
    params = dict(entity_class(entity)().get_void_params())
    result = call(lambda: qb.post(url, json.dumps(payload), params=params, request_id=request_id))
    return written_from_dict(result[entity])


def delete(qb: QuickBooks, entity: str, *, qbo_id: str, sync_token: str, request_id: str) -> None:
    """Delete a document we own (only for entities QBO cannot void, such as RefundReceipt)."""
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/refundreceipt#delete-a-refundreceipt
    url = f"{qb.api_url}/company/{qb.company_id}/{entity.lower()}"
    payload = {"Id": qbo_id, "SyncToken": sync_token}
    call(lambda: qb.post(url, json.dumps(payload), params={"operation": "delete"}, request_id=request_id))


# At most this many operations in one batch request; QuickBooks counts each batch request against
# 40 a minute per company besides its requests a minute.
# Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/batch
# Reference: https://blogs.intuit.com/2023/07/19/building-smarter-with-intuit-batch-without-a-scratch
BATCH_MAX_ITEMS = 30
# With a requestid a batch's id may have 36 characters and each item's bId 10.
# Reference: https://blogs.intuit.com/blog/2015/04/06/15346/
BATCH_REQUEST_ID_MAX = 36
BATCH_ID_MAX = 10


@dataclass(frozen=True)
class BatchCreate:
    """One create in a batch request: ``bid`` names it in QuickBooks' answer."""

    bid: str
    entity: str
    body: dict[str, Any]


def batch_create(qb: QuickBooks, items: list[BatchCreate], *, request_id: str) -> dict[str, Written | QBOError]:
    """Create up to BATCH_MAX_ITEMS documents in one request. Each item comes back on its own: the
    document written, or the error of that item alone (its neighbours are unaffected). An item
    missing from the answer is QBOUnavailable: whether it was written is unknown. The request as a
    whole failing (throttled, unreachable, refused access) raises, as any request does."""
    if not items or len(items) > BATCH_MAX_ITEMS:
        raise ValueError(f"a batch holds 1 to {BATCH_MAX_ITEMS} operations, not {len(items)}")
    if len(request_id) > BATCH_REQUEST_ID_MAX or any(len(item.bid) > BATCH_ID_MAX for item in items):
        raise ValueError("a batch requestid has at most 36 characters and each bId at most 10")
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/batch
    payload = {
        "BatchItemRequest": [{"bId": item.bid, "operation": "create", item.entity: _plain(item.body)} for item in items]
    }
    url = f"{qb.api_url}/company/{qb.company_id}/batch"
    result = call(lambda: qb.post(url, json.dumps(payload), request_id=request_id))
    answers = {str(answer.get("bId")): answer for answer in result.get("BatchItemResponse") or []}
    outcome: dict[str, Written | QBOError] = {}
    for item in items:
        answer = answers.get(item.bid)
        if answer is None:
            outcome[item.bid] = QBOUnavailable(f"QuickBooks' batch answer has no item {item.bid}")
        elif "Fault" in answer:
            outcome[item.bid] = batch_fault(answer["Fault"])
        elif item.entity in answer:
            outcome[item.bid] = written_from_dict(answer[item.entity])
        else:
            outcome[item.bid] = QBOUnavailable(f"QuickBooks' batch answer for {item.bid} holds no {item.entity}")
    return outcome


def batch_fault(fault: dict[str, Any]) -> QBOError:
    """One batch item's Fault as the error a single request with it would have raised."""
    error = (fault.get("Error") or [{}])[0]
    code = str(error.get("code") or "")
    message = str(error.get("Message") or "QuickBooks refused the operation")
    detail = str(error.get("Detail") or "")
    text = f"{message}: {detail}" if detail else message
    if code == "5010":
        return QBOStaleObject(text, code, detail)
    if code == "3001" or "throttl" in text.lower() or code.startswith("100"):
        return QBOUnavailable(text, code, detail)
    if code in ("3200", "3100") or str(fault.get("type")) == "AuthenticationFault":
        return QBOAuthError(text, code, detail)
    return QBORejected(text, code, detail)


def find_documents(qb: QuickBooks, entity: str, doc_numbers: list[str]) -> list[QBOObject]:
    """Every ``entity`` whose DocNumber (a Payment's PaymentRefNum) is one of ``doc_numbers``:
    one query for many documents (``in``), where ``find_owned_document`` asks for one."""
    if not doc_numbers:
        return []
    field = "PaymentRefNum" if entity == "Payment" else "DocNumber"
    values = ", ".join(f"'{_escape(n)}'" for n in sorted(set(doc_numbers)))
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries
    select = f"select * from {entity} where {field} in ({values})"  # noqa: S608 (QBO query, values escaped)
    return query_all(qb, select, entity)


def owned_among(found: list[QBOObject], entity: str, doc_number: str, source_id: str) -> QBOObject | None:
    """``find_owned_document``'s answer for one document, out of ``find_documents``' rows."""
    field = "PaymentRefNum" if entity == "Payment" else "DocNumber"
    same = [doc for doc in found if str(doc.get(field) or "") == doc_number]
    ours = [doc for doc in same if source_id in str(doc.get("PrivateNote") or "")]
    if ours:
        return ours[0]
    if same:
        raise DocNumberTaken(
            f"{entity} {doc_number} already exists in QuickBooks and was not written by ShopQB", "6140"
        )
    return None


def refuses_duplicate_doc_numbers(qb: QuickBooks) -> bool:
    """Whether the company refuses a second sales document with the same DocNumber
    (fault 6140): only with custom transaction numbers on (SalesFormsPrefs), which a
    new company has off."""
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/preferences
    url = f"{qb.api_url}/company/{qb.company_id}/preferences"
    result = call(lambda: qb.get(url))
    sales_forms = (result.get("Preferences") or {}).get("SalesFormsPrefs") or {}
    return bool(sales_forms.get("CustomTxnNumbers"))


def closing_date(qb: QuickBooks) -> date | None:
    """The date the company's books are closed through (AccountingInfoPrefs.BookCloseDate), or None:
    nothing dated on or before it may be changed."""
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/preferences
    url = f"{qb.api_url}/company/{qb.company_id}/preferences"
    result = call(lambda: qb.get(url))
    value = ((result.get("Preferences") or {}).get("AccountingInfoPrefs") or {}).get("BookCloseDate")
    return date.fromisoformat(str(value)[:10]) if value else None


def exchange_rate(qb: QuickBooks, currency: str, as_of: date) -> Decimal:
    """Home-currency units per unit of ``currency`` on ``as_of``, from the company's own rate table
    (the rate QuickBooks itself would use for a transaction that day)."""
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/exchangerate
    query = urlencode({"sourcecurrencycode": currency, "asofdate": as_of.isoformat()})
    url = f"{qb.api_url}/company/{qb.company_id}/exchangerate?{query}"
    result = call(lambda: qb.get(url))
    return Decimal(str(result["ExchangeRate"]["Rate"]))


def read(qb: QuickBooks, entity: str, qbo_id: str) -> QBOObject:
    url = f"{qb.api_url}/company/{qb.company_id}/{entity.lower()}/{qbo_id}"
    result = call(lambda: qb.get(url))
    return dict(result[entity])


def query_all(qb: QuickBooks, select: str, entity: str, *, page_size: int = 1000) -> list[QBOObject]:
    """Every row of a query, following STARTPOSITION pages."""
    rows: list[QBOObject] = []
    start = 1
    while True:
        statement = f"{select} STARTPOSITION {start} MAXRESULTS {page_size}"
        result = call(lambda s=statement: qb.query(s))  # type: ignore[misc]
        page = list(result.get("QueryResponse", {}).get(entity, []))
        rows.extend(page)
        if len(page) < page_size:
            return rows
        start += page_size


def _plain(body: dict[str, Any]) -> dict[str, Any]:
    """Decimals become exact JSON numbers' strings the way python-quickbooks sends them."""
    return dict(json.loads(json.dumps(body, default=str)))
