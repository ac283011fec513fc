"""A QuickBooks Online company (or several) behind the v3 REST API and Intuit's OAuth 2, over WSGI.

See sandbox/qbo/README.md for the endpoints, the options and the ``/_sandbox`` controls.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from werkzeug.wrappers import Request, Response

from . import faults, inspector
from .books import ENTITIES, Company
from .faults import QBOFault
from .jsonutil import dumps, loads
from .oauth import OAuthError, TokenStore
from .presets import PRESETS
from .query import MAX_RESULTS
from .query import parse as parse_query
from .query import run as run_query

PATH_NAMES = {name.lower(): name for name in ENTITIES}
QUERY_NAMES = {**PATH_NAMES, "companyinfo": "CompanyInfo", "preferences": "Preferences"}
CDC_LOOKBACK_DAYS = 30
VOID_STYLE = {"Invoice": "operation=void", "SalesReceipt": "include=void", "Payment": "include=void"}


class Limits:
    """Per-realm request accounting: requests and batches per minute, requests in flight."""

    def __init__(self, per_minute: int, concurrent: int, batch_per_minute: int):
        self.per_minute = per_minute
        self.concurrent = concurrent
        self.batch_per_minute = batch_per_minute
        self.lock = threading.Lock()
        self.recent: dict[str, deque[float]] = {}
        self.batches: dict[str, deque[float]] = {}
        self.in_flight: dict[str, int] = {}

    def enter(self, realm: str, now: float, *, batch: bool) -> None:
        with self.lock:
            recent = self.recent.setdefault(realm, deque())
            while recent and recent[0] <= now - 60:
                recent.popleft()
            if len(recent) >= self.per_minute:
                raise faults.throttled(
                    f"The request limit of {self.per_minute} requests per minute for this "
                    "realm was exceeded. Wait 60 seconds and retry."
                )
            if self.in_flight.get(realm, 0) >= self.concurrent:
                raise faults.throttled(f"More than {self.concurrent} concurrent requests for this realm.")
            if batch:
                batches = self.batches.setdefault(realm, deque())
                while batches and batches[0] <= now - 60:
                    batches.popleft()
                if len(batches) >= self.batch_per_minute:
                    raise faults.throttled(
                        f"The limit of {self.batch_per_minute} batch requests per minute for this realm was exceeded."
                    )
                batches.append(now)
            recent.append(now)
            self.in_flight[realm] = self.in_flight.get(realm, 0) + 1

    def leave(self, realm: str) -> None:
        with self.lock:
            self.in_flight[realm] -= 1


class FaultPlan:
    """Injected failures, drawn from a seeded generator so a run can be repeated."""

    def __init__(self, seed: int):
        self.rng = random.Random(f"faults-{seed}")
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.error_rate = 0.0
        self.error_statuses = [500, 503]
        self.latency = 0.0
        self.hang_rate = 0.0
        self.hang_seconds = 130.0
        self.storm = 0  # the next N API requests answer 429
        self.realm: str | None = None  # None: every realm

    def configure(self, values: dict[str, Any]) -> None:
        with self.lock:
            for key in ("error_rate", "latency", "hang_rate", "hang_seconds"):
                if key in values:
                    setattr(self, key, float(values[key]))
            if "error_statuses" in values:
                self.error_statuses = [int(s) for s in values["error_statuses"]]
            if "storm" in values:
                self.storm = int(values["storm"])
            if "realm" in values:
                self.realm = values["realm"]

    def state(self) -> dict[str, Any]:
        return {
            "error_rate": self.error_rate,
            "error_statuses": self.error_statuses,
            "latency": self.latency,
            "hang_rate": self.hang_rate,
            "hang_seconds": self.hang_seconds,
            "storm": self.storm,
            "realm": self.realm,
        }

    def draw(self, realm: str) -> str | None:
        """What happens to this request: None, "storm", "hang" or an HTTP status as text."""
        with self.lock:
            if self.realm is not None and self.realm != realm:
                return None
            if self.storm > 0:
                self.storm -= 1
                return "storm"
            if self.hang_rate and self.rng.random() < self.hang_rate:
                return "hang"
            if self.error_rate and self.rng.random() < self.error_rate:
                return str(self.rng.choice(self.error_statuses))
            return None


class Journal:
    """Append-only JSON lines per realm: each changed object is one line; the last line wins on load."""

    def __init__(self, path: Path | None):
        self.path = path
        self.lock = threading.Lock()
        self.file = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    def read(self) -> list[dict[str, Any]]:
        if self.path is None or not self.path.exists():
            return []
        entries = []
        with self.path.open("r", encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    try:
                        entries.append(loads(line))
                    except ValueError:
                        break  # a torn last line after a crash
        return entries

    def append(self, entry: dict[str, Any]) -> None:
        if self.path is None:
            return
        with self.lock:
            if self.file is None:
                self.file = self.path.open("a", encoding="utf-8")
            self.file.write(dumps(entry) + "\n")
            self.file.flush()

    def close(self) -> None:
        with self.lock:
            if self.file is not None:
                self.file.close()
                self.file = None


class QBOEmulator:
    """WSGI app: ``QBOEmulator(state_dir, seed, companies=["US", "UK"], ...)``.

    Options (all keyword): companies (preset names: US, CA, UK, AU, or "US,UK"; default ["US"]), multicurrency
    (bool, or a list of preset names to turn it on for), requests_per_minute (500), max_concurrent (10),
    batch_per_minute (40), batch_max_items (30), access_token_ttl (3600 s), refresh_token_ttl (100 days),
    rotate_refresh_tokens (True), clock (a callable returning epoch seconds, for tests).
    """

    def __init__(
        self,
        state_dir: Path | None = None,
        seed: int = 0,
        *,
        companies: list[str] | tuple[str, ...] | str = ("US",),
        multicurrency: bool | list[str] = False,
        requests_per_minute: int = 500,
        max_concurrent: int = 10,
        batch_per_minute: int = 40,
        batch_max_items: int = 30,
        access_token_ttl: float = 3600,
        refresh_token_ttl: float = 100 * 86400,
        rotate_refresh_tokens: bool = True,
        clock: Callable[[], float] | None = None,
    ):
        self.seed = seed
        self.base_url = ""
        self.state_dir = Path(state_dir) / "qbo" if state_dir is not None else None
        self._clock = clock or time.time
        self.clock_offset = 0.0
        self.batch_max_items = batch_max_items
        self.limits = Limits(requests_per_minute, max_concurrent, batch_per_minute)
        self.fault_plan = FaultPlan(seed)
        self.closing = threading.Event()
        # realm -> API requests still served before its access tokens expire (expire-tokens control)
        self.expire_after: dict[str, int] = {}
        self.expire_lock = threading.Lock()
        rng = random.Random(f"qbo-{seed}")
        self.tokens = TokenStore(
            seed=f"qbo-tokens-{seed}",
            access_ttl=access_token_ttl,
            refresh_ttl=refresh_token_ttl,
            rotate=rotate_refresh_tokens,
        )
        self.companies: dict[str, Company] = {}
        self.journals: dict[str, Journal] = {}
        counts: dict[str, int] = {}
        if isinstance(companies, str):
            companies = [c.strip() for c in companies.split(",") if c.strip()]
        for name in companies:
            key = name.upper()
            if key not in PRESETS:
                raise ValueError(f"unknown QBO company preset {name!r}; choose from {', '.join(PRESETS)}")
            counts[key] = counts.get(key, 0) + 1
            realm_id = str(9341450000000000 + rng.randrange(10**12))
            preset = PRESETS[key]
            if counts[key] > 1:
                preset = replace(preset, company_name=f"{preset.company_name} {counts[key]}")
            multi = multicurrency if isinstance(multicurrency, bool) else key in [m.upper() for m in multicurrency]
            journal = Journal(self.state_dir / f"{realm_id}.jsonl" if self.state_dir else None)
            tz = _zone(preset.timezone)
            company = Company(
                realm_id=realm_id,
                preset=preset,
                multicurrency=multi,
                now=lambda tz=tz: datetime.fromtimestamp(self.now(), tz),
                record=journal.append,
            )
            company.preset_key = key
            self.companies[realm_id] = company
            self.journals[realm_id] = journal
        self._auth_path = self.state_dir / "auth.json" if self.state_dir else None
        if self._auth_path is not None and self._auth_path.exists():
            saved = json.loads(self._auth_path.read_text())
            self.tokens.load(saved)
            # Token expiries are in the emulator's time: a restart keeps its clock.
            self.clock_offset = float(saved.get("clock_offset", 0.0))
        for realm_id in self.companies:
            if self.tokens.current(realm_id) is None and not any(g.realm_id == realm_id for g in self.tokens.grants):
                self.tokens.connect(realm_id, self.now())
        self._save_tokens()
        for realm_id, company in self.companies.items():
            self._replay(company, self.journals[realm_id].read())

    # ---- contract -------------------------------------------------------------------------------

    def set_base_url(self, url: str) -> None:
        self.base_url = url.rstrip("/")

    def describe(self) -> dict[str, Any]:
        companies = []
        for realm_id, company in self.companies.items():
            grant = self.tokens.current(realm_id)
            access, expires_at = "", self.now()
            if grant is not None and grant.access:
                access, expires_at = max(grant.access.items(), key=lambda kv: kv[1])
            companies.append(
                {
                    "realm_id": realm_id,
                    "access_token": access,
                    # As a token answer's expires_in: seconds from now (negative once expired).
                    "access_token_expires_in": int(expires_at - self.now()),
                    "refresh_token": grant.refresh_token if grant else "",
                    "country": company.preset.country,
                    "preset": company.preset_key,
                    "name": company.preset.company_name,
                    "currency": company.preset.currency,
                }
            )
        return {
            "app": {"client_id": self.tokens.client_id, "client_secret": self.tokens.client_secret},
            "companies": companies,
            "discovery_url": f"{self.base_url}/.well-known/openid_configuration",
            "api_url_v3": f"{self.base_url}/v3",
        }

    def close(self) -> None:
        self.closing.set()
        for journal in self.journals.values():
            journal.close()

    def now(self) -> float:
        return self._clock() + self.clock_offset

    # ---- persistence ----------------------------------------------------------------------------

    def _replay(self, company: Company, entries: list[dict[str, Any]]) -> None:
        for entry in entries:
            if entry["op"] == "put":
                entity, obj = entry["e"], entry["o"]
                company.objects[entity][obj["Id"]] = obj
                if obj["Id"].isdigit():
                    company.counters[entity] = max(company.counters[entity], int(obj["Id"]))
            elif entry["op"] == "rid":
                company.request_ids[entry["k"]] = (entry["s"], entry["b"])
            elif entry["op"] == "prefs":
                company.multicurrency = entry["multicurrency"]

    def _save_tokens(self) -> None:
        if self._auth_path is None:
            return
        self._auth_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._auth_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({**self.tokens.to_dict(), "clock_offset": self.clock_offset}))
        os.replace(tmp, self._auth_path)

    # ---- WSGI -----------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except QBOFault as fault:
            response = self.fault_response(fault)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        parts = [p for p in path.split("/") if p]
        if path == "/.well-known/openid_configuration":
            return self.discovery()
        if path == "/connect/oauth2":
            return self.authorize(request)
        if path == "/oauth2/v1/tokens/bearer":
            return self.token(request)
        if path == "/oauth2/v1/tokens/revoke":
            return self.revoke(request)
        if path == "/v1/openid_connect/userinfo":
            return self.userinfo(request)
        if path == "/oauth2/v1/keys":
            return _json({"keys": []})
        if parts[:2] == ["_sandbox", "qbo"]:
            return self.controls(request, parts[2:])
        if len(parts) >= 4 and parts[:2] == ["v3", "company"]:
            return self.api(request, parts[2], parts[3:])
        return Response("Not found", status=404, mimetype="text/plain")

    def fault_response(self, fault: QBOFault) -> Response:
        if isinstance(fault, _Plain):
            return Response(fault.text, status=fault.status, mimetype="text/plain")
        stamp = self.iso_now()
        if fault.status == 401:
            # The gateway's own document, lower-case keys.
            body = {
                "warnings": None,
                "intuitObject": None,
                "fault": {
                    "error": [{"message": fault.message, "detail": fault.detail, "code": fault.code, "element": None}],
                    "type": fault.fault_type,
                },
                "report": None,
                "queryResponse": None,
                "batchItemResponse": [],
                "attachableResponse": [],
                "syncErrorResponse": None,
                "requestId": None,
                "time": int(self.now() * 1000),
                "status": None,
                "cdcresponse": [],
            }
            response = _json(body, status=401)
            response.headers["WWW-Authenticate"] = 'Bearer realm="Intuit", error="invalid_token"'
            return response
        response = _json({"Fault": fault.fault(), "time": stamp}, status=fault.status)
        if fault.status == 429:
            response.headers["Retry-After"] = "60"
        return response

    def iso_now(self) -> str:
        return datetime.fromtimestamp(self.now(), _zone("America/Los_Angeles")).isoformat(timespec="milliseconds")

    # ---- OAuth ----------------------------------------------------------------------------------

    def discovery(self) -> Response:
        base = self.base_url
        return _json(
            {
                "issuer": base,
                "authorization_endpoint": f"{base}/connect/oauth2",
                "token_endpoint": f"{base}/oauth2/v1/tokens/bearer",
                "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
                "revocation_endpoint": f"{base}/oauth2/v1/tokens/revoke",
                "jwks_uri": f"{base}/oauth2/v1/keys",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": [
                    "openid",
                    "email",
                    "profile",
                    "address",
                    "phone",
                    "com.intuit.quickbooks.accounting",
                    "com.intuit.quickbooks.payment",
                ],
                "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
                "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
            }
        )

    def authorize(self, request: Request) -> Response:
        args = request.values
        client_id = args.get("client_id", "")
        redirect_uri = args.get("redirect_uri", "")
        state = args.get("state", "")
        if client_id != self.tokens.client_id or not redirect_uri:
            return Response(
                "<h1>Invalid request</h1><p>Unknown client_id or missing redirect_uri.</p>",
                status=400,
                mimetype="text/html",
            )
        if args.get("response_type", "code") != "code" or "com.intuit.quickbooks.accounting" not in args.get(
            "scope", ""
        ):
            return _redirect(redirect_uri, {"error": "invalid_scope", "state": state})
        if request.method == "POST":
            if args.get("decision") != "allow":
                return _redirect(redirect_uri, {"error": "access_denied", "state": state})
            realm_id = args.get("realm_id", "")
            if realm_id not in self.companies:
                return Response("<h1>Unknown company</h1>", status=400, mimetype="text/html")
            code = self.tokens.issue_code(realm_id, redirect_uri, self.now())
            return _redirect(redirect_uri, {"code": code, "state": state, "realmId": realm_id})
        return Response(inspector.consent_page(self, dict(args)), mimetype="text/html")

    def _client_ok(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                return False
        else:
            client_id, secret = request.form.get("client_id", ""), request.form.get("client_secret", "")
        return client_id == self.tokens.client_id and secret == self.tokens.client_secret

    def token(self, request: Request) -> Response:
        if request.method != "POST":
            return _json({"error": "invalid_request"}, status=405)
        if not self._client_ok(request):
            return _json({"error": "invalid_client"}, status=401)
        grant_type = request.form.get("grant_type")
        try:
            if grant_type == "authorization_code":
                body = self.tokens.exchange_code(
                    request.form.get("code", ""), request.form.get("redirect_uri", ""), self.now()
                )
            elif grant_type == "refresh_token":
                body = self.tokens.refresh(request.form.get("refresh_token", ""), self.now())
            else:
                raise OAuthError("unsupported_grant_type")
        except OAuthError as error:
            return _json({"error": error.error, "error_description": error.description}, status=error.status)
        self._save_tokens()
        return _json(body)

    def revoke(self, request: Request) -> Response:
        if not self._client_ok(request):
            return _json({"error": "invalid_client"}, status=401)
        try:
            token = json.loads(request.get_data(as_text=True) or "{}").get("token", "")
        except ValueError:
            token = request.form.get("token", "")
        if not token or not self.tokens.revoke(token):
            return _json({"error": "invalid_request"}, status=400)
        self._save_tokens()
        return Response(b"", status=200)

    def userinfo(self, request: Request) -> Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        realm_id, why = self.tokens.check_access(token, self.now())
        if realm_id is None:
            return _json({"error": "invalid_token", "error_description": why}, status=401)
        digest = hashlib.sha256(realm_id.encode()).hexdigest()[:12]
        return _json(
            {
                "sub": f"sandbox-user-{digest}",
                "email": "owner@example.com",
                "emailVerified": True,
                "givenName": "Sandbox",
                "familyName": "Owner",
            }
        )

    # ---- the accounting API ------------------------------------------------------------------------

    def api(self, request: Request, realm_id: str, rest: list[str]) -> Response:
        token = request.headers.get("Authorization", "")
        if not token.startswith("Bearer "):
            raise faults.auth_failed("Authorization header missing or not a Bearer token")
        self._expire_when_due(realm_id)
        token_realm, why = self.tokens.check_access(token[7:].strip(), self.now())
        if token_realm is None:
            raise faults.auth_failed(why)
        company = self.companies.get(realm_id)
        if company is None or token_realm != realm_id:
            raise QBOFault(
                "3100",
                "message=AuthorizationFailed; errorCode=003100; statusCode=403",
                "The token does not grant access to this company",
                status=403,
                fault_type="SERVICE",
            )
        self.limits.enter(realm_id, self.now(), batch=rest[0] == "batch")
        try:
            # Injected latency and hangs hold a slot, as slow requests on QBO do.
            self._inject_faults(realm_id)
            return self._api(request, company, rest)
        finally:
            self.limits.leave(realm_id)

    def _inject_faults(self, realm_id: str) -> None:
        outcome = self.fault_plan.draw(realm_id)
        if self.fault_plan.latency:
            self.closing.wait(self.fault_plan.latency)
        if outcome is None:
            return
        if outcome == "storm":
            raise faults.throttled("Injected throttle storm (sandbox control).")
        if outcome == "hang":
            self.closing.wait(self.fault_plan.hang_seconds)
            raise QBOFault(
                faults.UNAVAILABLE,
                "Gateway timeout",
                "The request timed out (sandbox hung request)",
                status=504,
                fault_type="SystemFault",
            )
        status = int(outcome)
        if status == 503:
            raise _Plain(503, "Service Unavailable")
        raise QBOFault(
            faults.INTERNAL,
            "An application error has occurred while processing your request",
            "System Failure Error: sandbox injected failure",
            status=status,
            fault_type="SystemFault",
        )

    def _api(self, request: Request, company: Company, rest: list[str]) -> Response:
        request_id = request.args.get("requestid")
        if request.method == "POST" and request_id:
            if len(request_id) > 50:
                raise QBOFault(
                    faults.INVALID_PROPERTY,
                    "Request has invalid or unsupported property",
                    "requestid must be 50 characters or fewer",
                    element="requestid",
                )
            with company.lock:
                replay = company.request_ids.get(request_id)
                if replay is not None:
                    return Response(replay[1], status=replay[0], mimetype="application/json")
                response = self._handle(request, company, rest)
                if response.status_code == 200:
                    body = response.get_data(as_text=True)
                    company.request_ids[request_id] = (200, body)
                    self.journals[company.realm_id].append({"op": "rid", "k": request_id, "s": 200, "b": body})
                return response
        return self._handle(request, company, rest)

    def _handle(self, request: Request, company: Company, rest: list[str]) -> Response:
        head = rest[0].lower()
        if head == "query":
            text = request.args.get("query") or request.get_data(as_text=True)
            return _json({"QueryResponse": self.run_query(company, text), "time": self.iso_now()})
        if head == "companyinfo":
            return _json({"CompanyInfo": company.company_info(), "time": self.iso_now()})
        if head == "preferences":
            return _json({"Preferences": company.preferences(), "time": self.iso_now()})
        if head == "batch" and request.method == "POST":
            return _json(self.batch(company, self._body(request)))
        if head == "cdc":
            return _json(self.cdc(company, request.args.get("entities", ""), request.args.get("changedSince", "")))
        entity = PATH_NAMES.get(head)
        if entity is None:
            raise QBOFault(
                faults.UNSUPPORTED_OPERATION,
                "Unsupported Operation",
                f"Operation Could not find resource for relative : /{'/'.join(rest)} is not supported.",
            )
        if request.method == "GET" and len(rest) == 2:
            with company.lock:
                return _json({entity: company.get(entity, rest[1]), "time": self.iso_now()})
        if request.method == "POST" and len(rest) == 1:
            payload = self._body(request)
            result = self.write(
                company, entity, payload, request.args.get("operation", ""), request.args.get("include", "")
            )
            return _json({entity: result, "time": self.iso_now()})
        raise QBOFault(
            faults.UNSUPPORTED_OPERATION,
            "Unsupported Operation",
            f"Operation {request.method} /{'/'.join(rest)} is not supported.",
        )

    def _body(self, request: Request) -> dict[str, Any]:
        try:
            payload = loads(request.get_data() or b"{}")
        except ValueError as error:
            raise QBOFault(
                "2000", "Request could not be parsed", f"Invalid JSON in the request body: {error}"
            ) from None
        if not isinstance(payload, dict):
            raise QBOFault("2000", "Request could not be parsed", "The request body must be a JSON object")
        return payload

    def write(self, company: Company, entity: str, payload: dict[str, Any], operation: str, include: str) -> Any:
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

    def run_query(self, company: Company, text: str) -> dict[str, Any]:
        if not text:
            raise QBOFault(faults.QUERY_PARSER, "Error parsing query", "QueryParserError: the query is empty")
        query = parse_query(text, QUERY_NAMES)
        with company.lock:
            if query.entity == "CompanyInfo":
                objects = [company.company_info()]
            elif query.entity == "Preferences":
                objects = [company.preferences()]
            else:
                objects = company.live(query.entity)
            return run_query(query, objects)

    def batch(self, company: Company, payload: dict[str, Any]) -> dict[str, Any]:
        items = payload.get("BatchItemRequest")
        if not isinstance(items, list) or not items:
            raise faults.required("BatchItemRequest")
        if len(items) > self.batch_max_items:
            raise QBOFault(
                faults.BATCH_LIMIT,
                "Batch request size exceeded",
                f"The batch has {len(items)} items; the maximum is {self.batch_max_items}.",
            )
        responses = []
        for item in items:
            bid = item.get("bId")
            try:
                if "Query" in item:
                    responses.append({"bId": bid, "QueryResponse": self.run_query(company, item["Query"])})
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
                result = self.write(
                    company,
                    entity,
                    item[entity],
                    operation if operation in ("delete", "void") else "",
                    str(item.get("optionsData", "")),
                )
                responses.append({"bId": bid, entity: result})
            except QBOFault as fault:
                responses.append({"bId": bid, "Fault": fault.fault()})
        return {"BatchItemResponse": responses, "time": self.iso_now()}

    def cdc(self, company: Company, entities: str, changed_since: str) -> dict[str, Any]:
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
        now = datetime.fromtimestamp(self.now(), UTC)
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
        return {"CDCResponse": [{"QueryResponse": groups}], "time": self.iso_now()}

    # ---- sandbox controls -----------------------------------------------------------------------

    def controls(self, request: Request, parts: list[str]) -> Response:
        if not parts:
            if request.method == "GET":
                return Response(inspector.index_page(self), mimetype="text/html")
        elif parts[0] == "describe":
            return _json(self.describe())
        elif parts[0] == "faults":
            if request.method == "POST":
                values = self._body(request)
                if values.get("reset"):
                    self.fault_plan.reset()
                self.fault_plan.configure(values)
            return _json(self.fault_plan.state())
        elif parts[0] == "clock" and request.method == "POST":
            self.clock_offset += float(self._body(request).get("advance_seconds", 0))
            self._save_tokens()
            return _json({"now": self.iso_now(), "offset_seconds": self.clock_offset})
        elif parts[0] in self.companies:
            return self.company_controls(request, self.companies[parts[0]], parts[1:])
        return Response("Not found", status=404, mimetype="text/plain")

    def company_controls(self, request: Request, company: Company, parts: list[str]) -> Response:
        realm_id = company.realm_id
        if request.method == "POST" and parts:
            action = parts[0]
            if action == "expire-tokens":
                after = self._body(request).get("after_requests")
                if after is not None and (isinstance(after, bool) or not isinstance(after, int) or after < 0):
                    raise QBOFault("2000", "Request could not be parsed", "after_requests must be a whole number >= 0")
                with self.expire_lock:
                    self.expire_after.pop(realm_id, None)
                    if after is None:
                        self.tokens.expire_access(realm_id, self.now())
                    else:
                        self.expire_after[realm_id] = after
            elif action == "revoke":
                self.tokens.revoke_realm(realm_id)
            elif action == "connect":
                self.tokens.connect(realm_id, self.now())
            elif action == "throttle":
                self.fault_plan.configure({"storm": self._body(request).get("requests", 10), "realm": realm_id})
            elif action == "multicurrency":
                company.multicurrency = bool(self._body(request).get("enabled", True))
                self.journals[realm_id].append({"op": "prefs", "multicurrency": company.multicurrency})
            else:
                return Response("Unknown control", status=404, mimetype="text/plain")
            self._save_tokens()
            return _json({"realm_id": realm_id, "done": action, "describe": self.describe()})
        if request.method == "GET":
            with company.lock:
                if not parts:
                    return Response(inspector.company_page(self, company), mimetype="text/html")
                if len(parts) == 2 and parts[0] in ENTITIES:
                    obj = company.objects[parts[0]].get(parts[1])
                    if obj is None:
                        return Response("Not found", status=404, mimetype="text/plain")
                    return Response(inspector.document_page(self, company, parts[0], obj), mimetype="text/html")
        return Response("Not found", status=404, mimetype="text/plain")

    def _expire_when_due(self, realm_id: str) -> None:
        """Count down a scheduled ``expire-tokens``: when it reaches zero, every access
        token of the realm (the app's stored expiry still says fresh) is refused from
        this request on, as QBO does with a token past its hour or revoked on its side."""
        with self.expire_lock:
            left = self.expire_after.get(realm_id)
            if left is None:
                return
            if left > 0:
                self.expire_after[realm_id] = left - 1
                return
            del self.expire_after[realm_id]
            self.tokens.expire_access(realm_id, self.now())
        self._save_tokens()


class _Plain(QBOFault):
    """A gateway answer that is not JSON (as a real 503 often is)."""

    def __init__(self, status: int, text: str):
        super().__init__(faults.UNAVAILABLE, text, text, status=status)
        self.text = text


def _json(body: Any, status: int = 200) -> Response:
    return Response(dumps(body), status=status, mimetype="application/json")


def _redirect(uri: str, params: dict[str, str]) -> Response:
    separator = "&" if "?" in uri else "?"
    response = Response(f'<a href="{html.escape(uri)}">continue</a>', status=302, mimetype="text/html")
    response.headers["Location"] = uri + separator + urlencode(params)
    return response


def _zone(name: str) -> Any:
    try:
        return ZoneInfo(name)
    except Exception:
        return UTC
