"""A QuickBooks Online company (or several) behind the v3 REST API and Intuit's OAuth 2, over WSGI.

See sandbox/qbo/README.md for the endpoints, the options and the ``/_sandbox`` controls.
This module routes; the answers come from ``connect`` (OAuth), ``accounting`` (the v3
API) and ``controls`` (the sandbox's own paths), the bookkeeping from ``books``.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from werkzeug.wrappers import Request, Response

from . import accounting, connect, controls, faults, inspector
from .books import Company
from .fault_plan import FaultPlan, PlainFault
from .faults import QBOFault
from .limits import Limits
from .oauth import TokenStore
from .presets import PRESETS
from .responses import json_response, text
from .storage import Journal, replay


class QBOEmulator:
    """WSGI app: ``QBOEmulator(state_dir, seed, companies=["US", "UK"], ...)``.

    Options (all keyword): companies (preset names: US, CA, UK, AU, or "US,UK"; default ["US"]), multicurrency
    (bool, or a list of preset names to turn it on for), requests_per_minute (500),
    requests_per_second (None: off; QBO documents 10), max_concurrent (10),
    batch_per_minute (40), batch_max_items (30), access_token_ttl (3600 s), refresh_token_ttl (100 days),
    rotate_refresh_tokens (False: the same refresh token for a day, the previous one still valid, as
    Intuit documents; True: the strict knob, a new one on every refresh and the old one dead at once), clock (a callable returning epoch seconds, for tests).
    """

    def __init__(
        self,
        state_dir: Path | None = None,
        seed: int = 0,
        *,
        companies: list[str] | tuple[str, ...] | str = ("US",),
        multicurrency: bool | list[str] = False,
        requests_per_minute: int = 500,
        requests_per_second: int | None = None,
        max_concurrent: int = 10,
        batch_per_minute: int = 40,
        batch_max_items: int = 30,
        access_token_ttl: float = 3600,
        refresh_token_ttl: float = 100 * 86400,
        rotate_refresh_tokens: bool = False,
        clock: Callable[[], float] | None = None,
    ):
        self.seed = seed
        self.base_url = ""
        self.state_dir = Path(state_dir) / "qbo" if state_dir is not None else None
        self._clock = clock or time.time
        self.clock_offset = 0.0
        self.batch_max_items = batch_max_items
        self.limits = Limits(requests_per_minute, max_concurrent, batch_per_minute, requests_per_second)
        self.fault_plan = FaultPlan(seed)
        self.closing = threading.Event()
        # realm -> API requests still served before its access tokens expire (expire-tokens control)
        self.expire_after: dict[str, int] = {}
        self.expire_lock = threading.Lock()
        self.tokens = TokenStore(
            seed=f"qbo-tokens-{seed}",
            access_ttl=access_token_ttl,
            refresh_ttl=refresh_token_ttl,
            rotate=rotate_refresh_tokens,
        )
        self.companies: dict[str, Company] = {}
        self.journals: dict[str, Journal] = {}
        if isinstance(companies, str):
            companies = [c.strip() for c in companies.split(",") if c.strip()]
        self._open_companies(companies, multicurrency)
        self._auth_path = self.state_dir / "auth.json" if self.state_dir else None
        if self._auth_path is not None and self._auth_path.exists():
            saved = json.loads(self._auth_path.read_text())
            self.tokens.load(saved)
            # Token expiries are in the emulator's time: a restart keeps its clock.
            self.clock_offset = float(saved.get("clock_offset", 0.0))
        for realm_id in self.companies:
            if self.tokens.current(realm_id) is None and not any(g.realm_id == realm_id for g in self.tokens.grants):
                self.tokens.connect(realm_id, self.now())
        self.save_tokens()
        for realm_id, company in self.companies.items():
            replay(company, self.journals[realm_id].read())

    def _open_companies(self, names: list[str] | tuple[str, ...], multicurrency: bool | list[str]) -> None:
        """One company per preset name (a second of the same preset gets a numbered name), each with its journal."""
        rng = random.Random(f"qbo-{self.seed}")
        counts: dict[str, int] = {}
        for name in names:
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

    def iso_now(self) -> str:
        return datetime.fromtimestamp(self.now(), _zone("America/Los_Angeles")).isoformat(timespec="milliseconds")

    def save_tokens(self) -> None:
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
        if path == "/":
            return Response(inspector.root_page(self), mimetype="text/html")
        if path == "/favicon.ico":
            return Response(status=204)  # no icon; a 404 would be logged on every page a browser opens
        if path == "/.well-known/openid_configuration":
            return connect.discovery(self)
        if path == "/connect/oauth2":
            return connect.authorize(self, request)
        if path == "/oauth2/v1/tokens/bearer":
            return connect.token(self, request)
        if path == "/oauth2/v1/tokens/revoke":
            return connect.revoke(self, request)
        if path == "/v1/openid_connect/userinfo":
            return connect.userinfo(self, request)
        if path == "/oauth2/v1/keys":
            return json_response({"keys": []})
        if parts[:2] == ["_sandbox", "qbo"]:
            return controls.control(self, request, parts[2:])
        if len(parts) >= 4 and parts[:2] == ["v3", "company"]:
            return accounting.api(self, request, parts[2], parts[3:])
        return text("Not found", 404)

    def fault_response(self, fault: QBOFault) -> Response:
        if isinstance(fault, PlainFault):
            return text(fault.text, fault.status)
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
            response = json_response(body, status=401)
            response.headers["WWW-Authenticate"] = 'Bearer realm="Intuit", error="invalid_token"'
            return response
        if fault.code == faults.THROTTLE:
            response = throttle_xml(fault, stamp)
        else:
            response = json_response({"Fault": fault.fault(), "time": stamp}, status=fault.status)
        if fault.status == 429:
            response.headers["Retry-After"] = "60"
        return response


def throttle_xml(fault: QBOFault, stamp: str) -> Response:
    """QBO's gateway answers a throttle in XML whatever the Accept header asked for."""
    body = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<IntuitResponse time="{stamp}" xmlns="http://schema.intuit.com/finance/v3">\n'
        f'    <Fault type="{fault.fault_type}">\n'
        f'        <Error code="{fault.code}">\n'
        f"            <Message>{escape(fault.message)}</Message>\n"
        f"            <Detail>{escape(fault.detail)}</Detail>\n"
        "        </Error>\n"
        "    </Fault>\n"
        "</IntuitResponse>"
    )
    return Response(body, status=fault.status, mimetype="application/xml")


def _zone(name: str) -> Any:
    try:
        return ZoneInfo(name)
    except Exception:
        return UTC
