"""The v3 Accounting API of the QBO emulator: reads, writes, queries, batches and change data capture.

Each request is authenticated, counted against the realm's limits, may meet an
injected fault, and (a POST with a ``requestid``) is answered from its first answer
when repeated, as QBO does.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from . import faults
from .books import ENTITIES, Company
from .controls import expire_when_due
from .fault_plan import inject
from .faults import QBOFault
from .query import MAX_RESULTS, Query
from .query import parse as parse_query
from .query import run as run_query
from .responses import json_response, request_body

if TYPE_CHECKING:
    from .emulator import QBOEmulator

PATH_NAMES = {name.lower(): name for name in ENTITIES}
QUERY_NAMES = {
    **PATH_NAMES,
    "companyinfo": "CompanyInfo",
    "preferences": "Preferences",
    "exchangerate": "ExchangeRate",
}
CDC_LOOKBACK_DAYS = 30
US_PSEUDO_CODES = ("TAX", "NON", "CustomSalesTax")
VOID_STYLE = {
    "Invoice": "operation=void",
    "SalesReceipt": "include=void",
    "Payment": "include=void",
    "BillPayment": "include=void",
}
# Entities whose JSON name is not their endpoint's: python-quickbooks' CreditCardPayment
# ("JSON object name doesn't match the endpoint name") reads the answer as CreditCardPaymentTxn.
RESPONSE_NAMES = {"CreditCardPayment": "CreditCardPaymentTxn"}
# Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice
# (InvoiceLink: "Sharable link for the invoice sent to external customers ... generated only for invoices
# with online payment enabled and having a valid customer email address. Include query param
# `include=invoiceLink` to get the link back on query response."); the link's shape is that of the
# customer-facing pages QuickBooks sends (connect.intuit.com/portal/app/CommerceNetwork/view/...).
INVOICE_LINK = "https://connect.intuit.com/portal/app/CommerceNetwork/view/scs-v1-{token}"


def api(emulator: QBOEmulator, request: Request, realm_id: str, rest: list[str]) -> Response:
    """One request to ``/v3/company/{realm_id}/...``."""
    token = request.headers.get("Authorization", "")
    if not token.startswith("Bearer "):
        raise faults.auth_failed("Authorization header missing or not a Bearer token")
    expire_when_due(emulator, realm_id)
    token_realm, why = emulator.tokens.check_access(token[7:].strip(), emulator.now())
    if token_realm is None:
        raise faults.auth_failed(why)
    company = emulator.companies.get(realm_id)
    if company is None or token_realm != realm_id:
        raise QBOFault(
            "3100",
            "message=AuthorizationFailed; errorCode=003100; statusCode=403",
            "The token does not grant access to this company",
            status=403,
            fault_type="SERVICE",
        )
    emulator.limits.enter(realm_id, emulator.now(), batch=rest[0] == "batch")
    try:
        # Injected latency and hangs hold a slot, as slow requests on QBO do.
        inject(emulator.fault_plan, realm_id, emulator.closing)
        return _replayable(emulator, request, company, rest)
    finally:
        emulator.limits.leave(realm_id)


def _replayable(emulator: QBOEmulator, request: Request, company: Company, rest: list[str]) -> Response:
    """A POST with a ``requestid`` is answered from its first answer when repeated (as QBO does)."""
    request_id = request.args.get("requestid")
    if request.method == "POST" and request_id:
        if len(request_id) > 50:
            raise QBOFault(
                faults.INVALID_PROPERTY,
                "Request has invalid or unsupported property",
                "requestid must be 50 characters or fewer",
                element="requestid",
            )
        if rest[0].lower() == "batch":
            _batch_request_id_check(request_id, request_body(request))
        if emulator.fault_plan.ignore_request_ids:
            return _handle(emulator, request, company, rest)
        with company.lock:
            replay = company.request_ids.get(request_id)
            if replay is not None:
                return Response(replay[1], status=replay[0], mimetype="application/json")
            response = _handle(emulator, request, company, rest)
            if response.status_code == 200:
                body = response.get_data(as_text=True)
                company.request_ids[request_id] = (200, body)
                emulator.journals[company.realm_id].append({"op": "rid", "k": request_id, "s": 200, "b": body})
            return response
    return _handle(emulator, request, company, rest)


def _handle(emulator: QBOEmulator, request: Request, company: Company, rest: list[str]) -> Response:
    head = rest[0].lower()
    if head == "query":
        text = request.args.get("query") or request.get_data(as_text=True)
        answer = query_response(company, text)
        if "Invoice" in answer and _wants_invoice_link(request):
            answer["Invoice"] = [with_invoice_link(company, invoice) for invoice in answer["Invoice"]]
        return json_response({"QueryResponse": answer, "time": emulator.iso_now()})
    if head == "companyinfo":
        return json_response({"CompanyInfo": company.company_info(), "time": emulator.iso_now()})
    if head == "preferences":
        if request.method == "POST":
            prefs = company.update_preferences(request_body(request))
        else:
            with company.lock:
                prefs = company.preferences()
        return json_response({"Preferences": prefs, "time": emulator.iso_now()})
    if head == "taxservice" and [p.lower() for p in rest[1:]] == ["taxcode"] and request.method == "POST":
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/taxservice
        # The answer is the TaxService document itself, not wrapped in an entity name.
        return json_response(company.create_tax_code(request_body(request)))
    if head == "exchangerate" and len(rest) == 1:
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/exchangerate
        if request.method == "POST":
            rate = company.set_exchange_rate(request_body(request))
        else:
            with company.lock:
                rate = company.exchange_rate_object(
                    request.args.get("sourcecurrencycode"), request.args.get("asofdate")
                )
        return json_response({"ExchangeRate": rate, "time": emulator.iso_now()})
    if head == "reports" and len(rest) == 2 and request.method == "GET":
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/report-entities/trialbalance
        # The answer is the Report object itself (Header, Columns, Rows), not wrapped in an entity name.
        with company.lock:
            return json_response(company.report(rest[1], request.args.to_dict()))
    if head == "upload" and len(rest) == 1 and request.method == "POST":
        # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/attachable
        # (Upload: multipart/form-data, file_metadata_0N + file_content_0N; answers AttachableResponse)
        answer = company.upload(request.get_data(), request.headers.get("Content-Type", ""))
        return json_response({**answer, "time": emulator.iso_now()})
    if head == "recurringtransaction":
        return _recurring(emulator, request, company, rest)
    if head == "batch" and request.method == "POST":
        return json_response(batch(emulator, company, request_body(request)))
    if head == "cdc":
        return json_response(
            cdc(emulator, company, request.args.get("entities", ""), request.args.get("changedSince", ""))
        )
    entity = PATH_NAMES.get(head)
    if entity is None:
        raise QBOFault(
            faults.UNSUPPORTED_OPERATION,
            "Unsupported Operation",
            f"Operation Could not find resource for relative : /{'/'.join(rest)} is not supported.",
        )
    name = RESPONSE_NAMES.get(entity, entity)
    if request.method == "GET" and len(rest) == 2:
        with company.lock:
            obj = company.get(entity, rest[1])
            if entity == "Account":
                obj = company.with_balances([obj])[0]
            if entity == "Vendor":
                obj = company.with_vendor_balances([obj])[0]
            if entity == "Invoice" and _wants_invoice_link(request):
                obj = with_invoice_link(company, obj)
            return json_response({name: obj, "time": emulator.iso_now()})
    if request.method == "POST" and len(rest) == 1:
        payload = request_body(request)
        result = write(company, entity, payload, request.args.get("operation", ""), request.args.get("include", ""))
        return json_response({name: result, "time": emulator.iso_now()})
    raise QBOFault(
        faults.UNSUPPORTED_OPERATION,
        "Unsupported Operation",
        f"Operation {request.method} /{'/'.join(rest)} is not supported.",
    )


def _wants_invoice_link(request: Request) -> bool:
    return "invoicelink" in [p.strip().lower() for p in request.args.get("include", "").split(",")]


def with_invoice_link(company: Company, invoice: dict[str, Any]) -> dict[str, Any]:
    """The invoice with its InvoiceLink when QBO makes one: online payment allowed (card or bank
    transfer) and an email address to send it to."""
    online = invoice.get("AllowOnlineCreditCardPayment") in (True, "true") or invoice.get("AllowOnlineACHPayment") in (
        True,
        "true",
    )
    email = (invoice.get("BillEmail") or {}).get("Address")
    if not online or not email or invoice.get("status") == "Deleted":
        return invoice
    token = hashlib.sha256(f"{company.realm_id}:{invoice['Id']}".encode()).hexdigest()
    return {**invoice, "InvoiceLink": INVOICE_LINK.format(token=token)}


def _recurring(emulator: QBOEmulator, request: Request, company: Company, rest: list[str]) -> Response:
    """``/recurringtransaction``: templates answer wrapped, ``{"RecurringTransaction": {"Invoice": {...}}}``."""
    # Reference: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/recurringtransaction
    if request.method == "GET" and len(rest) == 2:
        with company.lock:
            answer = company.recurring_read(rest[1])
    elif request.method == "POST" and len(rest) == 1:
        answer = company.recurring_write(request_body(request), request.args.get("operation", "").lower())
    else:
        raise QBOFault(
            faults.UNSUPPORTED_OPERATION,
            "Unsupported Operation",
            f"Operation {request.method} /{'/'.join(rest)} is not supported.",
        )
    return json_response({"RecurringTransaction": answer, "time": emulator.iso_now()})


def write(company: Company, entity: str, payload: dict[str, Any], operation: str, include: str) -> Any:
    allow_duplicate = "allowduplicatedocnum" in include.lower()
    operation = operation.lower()
    if operation == "delete":
        return company.delete(entity, payload)
    include_void = "void" in include.lower().split(",")
    if operation == "void" or include_void:
        # QBO is inconsistent here: an Invoice is voided with operation=void, a SalesReceipt or a
        # Payment with operation=update&include=void; nothing else can be voided.
        style = "operation=void" if operation == "void" else "include=void"
        allowed = VOID_STYLE.get(entity)
        if allowed is None or (style != allowed) or (include_void and operation not in ("", "update")):
            hint = f" (use {allowed})" if allowed else ""
            raise QBOFault(
                faults.UNSUPPORTED_OPERATION,
                "Unsupported Operation",
                f"Operation {style} is not supported for {entity}{hint}",
            )
        return company.void(entity, payload)
    if operation not in ("", "create", "update"):
        raise QBOFault(
            faults.UNSUPPORTED_OPERATION, "Unsupported Operation", f"Operation {operation} is not supported."
        )
    if payload.get("Id") not in (None, ""):
        return company.update(entity, payload, allow_duplicate_doc=allow_duplicate)
    return company.create(entity, payload, allow_duplicate_doc=allow_duplicate)


def query_response(company: Company, text: str) -> dict[str, Any]:
    if not text:
        raise QBOFault(faults.QUERY_PARSER, "Error parsing query", "QueryParserError: the query is empty")
    query = parse_query(text, QUERY_NAMES)
    with company.lock:
        if query.entity == "CompanyInfo":
            objects = [company.company_info()]
        elif query.entity == "Preferences":
            objects = [company.preferences()]
        elif query.entity == "ExchangeRate":
            objects = company.exchange_rates_listing(query)
        elif query.entity == "Account":
            objects = company.with_balances(company.live("Account"))
        elif query.entity == "Vendor":
            objects = company.with_vendor_balances(company.live("Vendor"))
        elif query.entity == "TaxCode" and company.us:
            return _us_tax_codes(company, query)
        else:
            objects = company.live(query.entity)
        answer = run_query(query, objects)
        if query.entity == "RecurringTransaction" and query.entity in answer:
            # Stored with its Type beside the template; answered as the template alone, wrapped.
            answer[query.entity] = [{o["Type"]: o[o["Type"]]} for o in answer[query.entity]]
        name = RESPONSE_NAMES.get(query.entity)
        if name and query.entity in answer:
            answer[name] = answer.pop(query.entity)
        return answer


def _us_tax_codes(company: Company, query: Query) -> dict[str, Any]:
    """A US company's TaxCode query: its pseudo codes (TAX, NON, CustomSalesTax) come first and
    outside the page size, so ``maxresults 1`` answers four codes (python-quickbooks' test_taxcode:
    "KNOWN Quickbooks bug - TaxCode query returns 3 extra items", citing Intuit's developer forum,
    questions/1398164-setting-maxresults-on-taxcode-query-returns-incorrect-number-of-records)."""
    codes = company.live("TaxCode")
    pseudo = [c for c in codes if not str(c["Id"]).isdigit()]
    answer = run_query(query, [c for c in codes if str(c["Id"]).isdigit()])
    extra = run_query(replace(query, start=1, max_results=len(pseudo) or 1, order=[]), pseudo)
    if query.count:
        return {"totalCount": answer["totalCount"] + extra["totalCount"]}
    if query.start != 1 or "TaxCode" not in extra:
        return answer
    order = {code: n for n, code in enumerate(US_PSEUDO_CODES)}
    first = sorted(extra["TaxCode"], key=lambda c: order.get(str(c["Id"]), len(order)))
    page = first + answer.get("TaxCode", [])
    return {"TaxCode": page, "startPosition": 1, "maxResults": len(page)}


def _batch_request_id_check(request_id: str, payload: dict[str, Any]) -> None:
    """A batch's requestid names the whole batch (there is none per item): at most 36 characters,
    and each item's bId at most 10 with it (Intuit's requestid notes, sandbox/qbo/README.md)."""
    if len(request_id) > 36:
        raise QBOFault(
            faults.INVALID_PROPERTY,
            "Request has invalid or unsupported property",
            "requestid of a batch request must be 36 characters or fewer",
            element="requestid",
        )
    items = payload.get("BatchItemRequest") if isinstance(payload, dict) else None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and len(str(item.get("bId", ""))) > 10:
            raise QBOFault(
                faults.INVALID_PROPERTY,
                "Request has invalid or unsupported property",
                "bId must be 10 characters or fewer in a batch request with a requestid",
                element="bId",
            )


def batch(emulator: QBOEmulator, company: Company, payload: dict[str, Any]) -> dict[str, Any]:
    items = payload.get("BatchItemRequest")
    if not isinstance(items, list) or not items:
        raise faults.required("BatchItemRequest")
    if len(items) > emulator.batch_max_items:
        raise QBOFault(
            faults.BATCH_LIMIT,
            "Batch request size exceeded",
            f"The batch has {len(items)} items; the maximum is {emulator.batch_max_items}.",
        )
    responses = []
    for item in items:
        bid = item.get("bId")
        try:
            if "Query" in item:
                responses.append({"bId": bid, "QueryResponse": query_response(company, item["Query"])})
                continue
            entity = next((k for k in item if k in PATH_NAMES.values()), None)
            if entity is None:
                raise faults.required("BatchItemRequest entity")
            operation = str(item.get("operation", "create")).lower()
            if operation not in ("create", "update", "delete", "void"):
                raise QBOFault(
                    faults.UNSUPPORTED_OPERATION,
                    "Unsupported Operation",
                    f"Batch operation {operation} is not supported.",
                )
            result = write(
                company,
                entity,
                item[entity],
                operation if operation in ("delete", "void") else "",
                str(item.get("optionsData", "")),
            )
            responses.append({"bId": bid, RESPONSE_NAMES.get(entity, entity): result})
        except QBOFault as fault:
            responses.append({"bId": bid, "Fault": fault.fault()})
    return {"BatchItemResponse": responses, "time": emulator.iso_now()}


def cdc(emulator: QBOEmulator, company: Company, entities: str, changed_since: str) -> dict[str, Any]:
    names = [PATH_NAMES.get(e.strip().lower()) for e in entities.split(",") if e.strip()]
    if not names or None in names:
        raise QBOFault(
            faults.INVALID_PROPERTY,
            "Request has invalid or unsupported property",
            f"Invalid entities for change data capture: {entities!r}",
            element="entities",
        )
    try:
        since = datetime.fromisoformat(changed_since.replace("Z", "+00:00"))
    except ValueError:
        raise QBOFault(
            faults.INVALID_PROPERTY,
            "Request has invalid or unsupported property",
            f"changedSince must be an ISO date-time, got {changed_since!r}",
            element="changedSince",
        ) from None
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    now = datetime.fromtimestamp(emulator.now(), UTC)
    if since < now - timedelta(days=CDC_LOOKBACK_DAYS):
        raise QBOFault(
            faults.INVALID_PROPERTY,
            "Request has invalid or unsupported property",
            f"changedSince can be at most {CDC_LOOKBACK_DAYS} days in the past",
            element="changedSince",
        )
    groups = []
    total = 0
    with company.lock:
        for name in names:
            assert name is not None
            changed = [
                o
                for o in company.objects[name].values()
                if datetime.fromisoformat(o["MetaData"]["LastUpdatedTime"]) >= since
            ]
            changed.sort(key=lambda o: o["MetaData"]["LastUpdatedTime"])
            changed = changed[: max(0, MAX_RESULTS - total)]
            total += len(changed)
            group: dict[str, Any] = {"startPosition": 1, "maxResults": len(changed)}
            if changed:
                group[name] = changed
            groups.append(group)
    return {"CDCResponse": [{"QueryResponse": groups}], "time": emulator.iso_now()}
