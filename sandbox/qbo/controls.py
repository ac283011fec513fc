"""The QBO emulator's own controls under ``/_sandbox/qbo`` (see README.md): the inspector pages,
describe, faults, the clock, and per-realm token, throttle and currency switches.

Real QuickBooks has none of these paths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from . import inspector
from .books import ENTITIES, Company
from .faults import QBOFault
from .responses import json_response, request_body, text

if TYPE_CHECKING:
    from .emulator import QBOEmulator


def control(emulator: QBOEmulator, request: Request, parts: list[str]) -> Response:
    if not parts:
        if request.method == "GET":
            return Response(inspector.index_page(emulator), mimetype="text/html")
    elif parts[0] == "describe":
        return json_response(emulator.describe())
    elif parts[0] == "faults":
        if request.method == "POST":
            values = request_body(request)
            if values.get("reset"):
                emulator.fault_plan.reset()
            emulator.fault_plan.configure(values)
        return json_response(emulator.fault_plan.state())
    elif parts[0] == "clock" and request.method == "POST":
        emulator.clock_offset += float(request_body(request).get("advance_seconds", 0))
        emulator.save_tokens()
        return json_response({"now": emulator.iso_now(), "offset_seconds": emulator.clock_offset})
    elif parts[0] in emulator.companies:
        return _company_control(emulator, request, emulator.companies[parts[0]], parts[1:])
    return text("Not found", 404)


def _company_control(emulator: QBOEmulator, request: Request, company: Company, parts: list[str]) -> Response:
    realm_id = company.realm_id
    if request.method == "POST" and parts:
        action = parts[0]
        if action == "expire-tokens":
            after = request_body(request).get("after_requests")
            if after is not None and (isinstance(after, bool) or not isinstance(after, int) or after < 0):
                raise QBOFault("2000", "Request could not be parsed", "after_requests must be a whole number >= 0")
            with emulator.expire_lock:
                emulator.expire_after.pop(realm_id, None)
                if after is None:
                    emulator.tokens.expire_access(realm_id, emulator.now())
                else:
                    emulator.expire_after[realm_id] = after
        elif action == "revoke":
            emulator.tokens.revoke_realm(realm_id)
        elif action == "connect":
            emulator.tokens.connect(realm_id, emulator.now())
        elif action == "throttle":
            body = request_body(request)
            emulator.fault_plan.configure(
                {"storm": body.get("requests", 10), "storm_status": body.get("status", 429), "realm": realm_id}
            )
        elif action == "multicurrency":
            company.multicurrency = bool(request_body(request).get("enabled", True))
            emulator.journals[realm_id].append({"op": "prefs", "multicurrency": company.multicurrency})
        elif action == "exchange-rate":
            body = request_body(request)
            with company.lock:
                company.set_exchange_rate(
                    {
                        "SourceCurrencyCode": body.get("currency"),
                        "Rate": body.get("rate"),
                        "AsOfDate": body.get("as_of"),
                    }
                )
        else:
            return text("Unknown control", 404)
        emulator.save_tokens()
        return json_response({"realm_id": realm_id, "done": action, "describe": emulator.describe()})
    if request.method == "GET":
        with company.lock:
            if not parts:
                return Response(inspector.company_page(emulator, company), mimetype="text/html")
            if parts == ["ledger"]:
                return json_response(company.trial_balance())
            if len(parts) == 2 and parts[0] in ENTITIES:
                obj = company.objects[parts[0]].get(parts[1])
                if obj is None:
                    return text("Not found", 404)
                return Response(inspector.document_page(emulator, company, parts[0], obj), mimetype="text/html")
    return text("Not found", 404)


def expire_when_due(emulator: QBOEmulator, realm_id: str) -> None:
    """Count down a scheduled ``expire-tokens``: when it reaches zero, every access
    token of the realm (the app's stored expiry still says fresh) is refused from
    this request on, as QBO does with a token past its hour or revoked on its side."""
    with emulator.expire_lock:
        left = emulator.expire_after.get(realm_id)
        if left is None:
            return
        if left > 0:
            emulator.expire_after[realm_id] = left - 1
            return
        del emulator.expire_after[realm_id]
        emulator.tokens.expire_access(realm_id, emulator.now())
    emulator.save_tokens()
