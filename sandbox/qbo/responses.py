"""Plain HTTP for the QBO emulator: JSON request bodies, and JSON, redirect and text answers."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from .faults import QBOFault
from .jsonutil import dumps, loads


def json_response(body: Any, status: int = 200) -> Response:
    return Response(dumps(body), status=status, mimetype="application/json")


def redirect(uri: str, params: dict[str, str]) -> Response:
    separator = "&" if "?" in uri else "?"
    response = Response(f'<a href="{html.escape(uri)}">continue</a>', status=302, mimetype="text/html")
    response.headers["Location"] = uri + separator + urlencode(params)
    return response


def text(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/plain")


def request_body(request: Request) -> dict[str, Any]:
    """The request's JSON object (QBO's 2000 fault when it is not one)."""
    try:
        payload = loads(request.get_data() or b"{}")
    except ValueError as error:
        raise QBOFault("2000", "Request could not be parsed", f"Invalid JSON in the request body: {error}") from None
    if not isinstance(payload, dict):
        raise QBOFault("2000", "Request could not be parsed", "The request body must be a JSON object")
    return payload
