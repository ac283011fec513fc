"""Intuit's OAuth 2 endpoints on the QBO emulator: discovery, consent, tokens, revocation, userinfo.

The grants themselves live in ``oauth.TokenStore``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from . import inspector
from .oauth import OAuthError
from .responses import json_response, redirect

if TYPE_CHECKING:
    from .emulator import QBOEmulator


def discovery(emulator: QBOEmulator) -> Response:
    base = emulator.base_url
    return json_response(
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


def authorize(emulator: QBOEmulator, request: Request) -> Response:
    args = request.values
    client_id = args.get("client_id", "")
    redirect_uri = args.get("redirect_uri", "")
    state = args.get("state", "")
    if client_id != emulator.tokens.client_id or not redirect_uri:
        return Response(
            "<h1>Invalid request</h1><p>Unknown client_id or missing redirect_uri.</p>",
            status=400,
            mimetype="text/html",
        )
    if args.get("response_type", "code") != "code" or "com.intuit.quickbooks.accounting" not in args.get("scope", ""):
        return redirect(redirect_uri, {"error": "invalid_scope", "state": state})
    if request.method == "POST":
        if args.get("decision") != "allow":
            return redirect(redirect_uri, {"error": "access_denied", "state": state})
        realm_id = args.get("realm_id", "")
        if realm_id not in emulator.companies:
            return Response("<h1>Unknown company</h1>", status=400, mimetype="text/html")
        code = emulator.tokens.issue_code(realm_id, redirect_uri, emulator.now())
        return redirect(redirect_uri, {"code": code, "state": state, "realmId": realm_id})
    return Response(inspector.consent_page(emulator, dict(args)), mimetype="text/html")


def _client_ok(emulator: QBOEmulator, request: Request) -> bool:
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
    else:
        client_id, secret = request.form.get("client_id", ""), request.form.get("client_secret", "")
    return client_id == emulator.tokens.client_id and secret == emulator.tokens.client_secret


def token(emulator: QBOEmulator, request: Request) -> Response:
    if request.method != "POST":
        return json_response({"error": "invalid_request"}, status=405)
    if not _client_ok(emulator, request):
        return json_response({"error": "invalid_client"}, status=401)
    grant_type = request.form.get("grant_type")
    try:
        if grant_type == "authorization_code":
            body = emulator.tokens.exchange_code(
                request.form.get("code", ""), request.form.get("redirect_uri", ""), emulator.now()
            )
        elif grant_type == "refresh_token":
            body = emulator.tokens.refresh(request.form.get("refresh_token", ""), emulator.now())
        else:
            raise OAuthError("unsupported_grant_type")
    except OAuthError as error:
        return json_response({"error": error.error, "error_description": error.description}, status=error.status)
    emulator.save_tokens()
    return json_response(body)


def revoke(emulator: QBOEmulator, request: Request) -> Response:
    if not _client_ok(emulator, request):
        return json_response({"error": "invalid_client"}, status=401)
    try:
        token = json.loads(request.get_data(as_text=True) or "{}").get("token", "")
    except ValueError:
        token = request.form.get("token", "")
    if not token or not emulator.tokens.revoke(token):
        return json_response({"error": "invalid_request"}, status=400)
    emulator.save_tokens()
    return Response(b"", status=200)


def userinfo(emulator: QBOEmulator, request: Request) -> Response:
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    realm_id, why = emulator.tokens.check_access(token, emulator.now())
    if realm_id is None:
        return json_response({"error": "invalid_token", "error_description": why}, status=401)
    digest = hashlib.sha256(realm_id.encode()).hexdigest()[:12]
    return json_response(
        {
            "sub": f"sandbox-user-{digest}",
            "email": "owner@example.com",
            "emailVerified": True,
            "givenName": "Sandbox",
            "familyName": "Owner",
        }
    )
