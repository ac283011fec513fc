"""Intuit's OAuth 2 server, emulated: app credentials, codes, access and rotating refresh tokens.

Reference: https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0
Access tokens live an hour. A refresh answers the same refresh token for about a day
(ROTATE_AFTER), then a new one; the previous one keeps working until the next rotation,
as Intuit documents (an app must still store whatever comes back). ``rotate=True`` is the
strict knob: every refresh rotates and the token used is dead at once (``invalid_grant``).
Revoking a token ends the whole connection (grant) of that realm.
Reference: https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/faq
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

ROTATE_AFTER = 24 * 3600  # seconds a refresh token is answered again before a new one


@dataclass
class Grant:
    realm_id: str
    refresh_token: str  # the current one
    refresh_expires_at: float
    superseded: list[str] = field(default_factory=list)
    access: dict[str, float] = field(default_factory=dict)  # access token -> expires at
    revoked: bool = False
    refresh_issued_at: float = 0.0


@dataclass
class Code:
    realm_id: str
    redirect_uri: str
    expires_at: float


class OAuthError(Exception):
    def __init__(self, error: str, status: int = 400, description: str = ""):
        super().__init__(error)
        self.error = error
        self.status = status
        self.description = description


class TokenStore:
    def __init__(self, *, seed: str, access_ttl: float, refresh_ttl: float, rotate: bool = False):
        self.seed = seed
        self.issued = 0  # persisted: tokens made after a restart never repeat earlier ones
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.rotate = rotate
        self.lock = threading.RLock()
        self.client_id = "AB" + self._token(48)
        self.client_secret = self._token(40)
        self.grants: list[Grant] = []
        self.codes: dict[str, Code] = {}

    def _token(self, n: int) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        self.issued += 1
        rng = random.Random(f"{self.seed}-{self.issued}")
        return "".join(rng.choice(alphabet) for _ in range(n))

    # ---- state ----------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "issued": self.issued,
            "grants": [asdict(g) for g in self.grants],
        }

    def load(self, data: dict[str, Any]) -> None:
        self.client_id = data["client_id"]
        self.client_secret = data["client_secret"]
        self.issued = data["issued"]
        self.grants = [Grant(**g) for g in data["grants"]]

    # ---- issuing --------------------------------------------------------------------------------

    def connect(self, realm_id: str, now: float) -> tuple[str, str]:
        """A new grant for the realm (consent given): returns (access token, refresh token)."""
        with self.lock:
            grant = Grant(
                realm_id=realm_id,
                refresh_token="RT1-" + self._token(40),
                refresh_expires_at=now + self.refresh_ttl,
                refresh_issued_at=now,
            )
            access = "eyJsYW5kYm94Ijoi" + self._token(60)
            grant.access[access] = now + self.access_ttl
            self.grants.append(grant)
            return access, grant.refresh_token

    def current(self, realm_id: str) -> Grant | None:
        for grant in reversed(self.grants):
            if grant.realm_id == realm_id and not grant.revoked:
                return grant
        return None

    def issue_code(self, realm_id: str, redirect_uri: str, now: float) -> str:
        with self.lock:
            code = "AB" + self._token(40)
            self.codes[code] = Code(realm_id, redirect_uri, now + 600)
            return code

    def exchange_code(self, code: str, redirect_uri: str, now: float) -> dict[str, Any]:
        with self.lock:
            found = self.codes.pop(code, None)
            if found is None or found.expires_at < now:
                raise OAuthError("invalid_grant", description="authorization code is invalid, used or expired")
            if found.redirect_uri != redirect_uri:
                raise OAuthError("invalid_grant", description="redirect_uri does not match the authorize request")
            access, refresh = self.connect(found.realm_id, now)
            return self._token_response(access, refresh, self.current(found.realm_id), now)

    def refresh(self, refresh_token: str, now: float) -> dict[str, Any]:
        with self.lock:
            for grant in self.grants:
                if refresh_token == grant.refresh_token:
                    break
                # The previous token still works unless every refresh must rotate (strict knob).
                if not self.rotate and grant.superseded and refresh_token == grant.superseded[-1]:
                    break
                if refresh_token in grant.superseded:
                    raise OAuthError("invalid_grant", description="refresh token was already used (superseded)")
            else:
                raise OAuthError("invalid_grant", description="unknown refresh token")
            if grant.revoked:
                raise OAuthError("invalid_grant", description="the connection was revoked")
            if grant.refresh_expires_at < now:
                raise OAuthError("invalid_grant", description="refresh token expired")
            if self.rotate or now - grant.refresh_issued_at >= ROTATE_AFTER:
                grant.superseded.append(grant.refresh_token)
                grant.refresh_token = "RT1-" + self._token(40)
                grant.refresh_issued_at = now
            grant.refresh_expires_at = now + self.refresh_ttl
            access = "eyJsYW5kYm94Ijoi" + self._token(60)
            grant.access = {t: exp for t, exp in grant.access.items() if exp > now}
            grant.access[access] = now + self.access_ttl
            return self._token_response(access, grant.refresh_token, grant, now)

    def _token_response(self, access: str, refresh: str, grant: Grant | None, now: float) -> dict[str, Any]:
        return {
            "token_type": "bearer",
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": int(self.access_ttl),
            "x_refresh_token_expires_in": int((grant.refresh_expires_at if grant else now) - now),
        }

    def revoke(self, token: str) -> bool:
        with self.lock:
            for grant in self.grants:
                if token == grant.refresh_token or token in grant.access or token in grant.superseded:
                    grant.revoked = True
                    return True
            return False

    def revoke_realm(self, realm_id: str) -> None:
        with self.lock:
            for grant in self.grants:
                if grant.realm_id == realm_id:
                    grant.revoked = True

    def expire_access(self, realm_id: str, now: float) -> None:
        with self.lock:
            for grant in self.grants:
                if grant.realm_id == realm_id:
                    grant.access = dict.fromkeys(grant.access, now - 1)

    # ---- checking -------------------------------------------------------------------------------

    def check_access(self, token: str, now: float) -> tuple[str | None, str]:
        """Returns (realm id, "") for a good token, or (None, why) for a bad one."""
        if len(token) < 20:
            return None, "Malformed bearer token: too short or too long"
        for grant in self.grants:
            if token in grant.access:
                if grant.revoked:
                    return None, "Token revoked"
                if grant.access[token] < now:
                    return None, "Token expired: " + token[:8] + "..."
                return grant.realm_id, ""
        return None, "Token invalid"
