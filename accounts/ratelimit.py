"""Fixed-window request counters in Django's cache (``CACHE_URL``).

Used where an anonymous request writes a row (``/auth/install``). With the
default in-memory cache every process counts on its own; a shared cache (database
or Redis) makes the limit hold across gunicorn workers and hosts.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from accounts.oauth_state import OAUTH_STATE_TTL


def client_address(request: HttpRequest) -> str:
    """Who is asking: the peer, or behind a proxy the address that connected to it.

    Only the last ``X-Forwarded-For`` entry is the proxy's own; earlier ones are
    whatever the client sent. IPv6 clients count per /64 (one subscriber's block).
    """
    candidates = [request.META.get("REMOTE_ADDR", "")]
    if settings.BEHIND_PROXY:
        candidates.insert(0, request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip())
    for candidate in candidates:
        try:
            address = ipaddress.ip_address(candidate)
        except ValueError:
            continue
        if address.version == 6:
            return str(ipaddress.ip_network(f"{address}/64", strict=False))
        return str(address)
    return "unknown"


def rate_limit_hit(*, scope: str, key: str, limit: int, window: int) -> int:
    """Count one request; 0 if within ``limit`` per ``window`` seconds, else seconds to wait."""
    now = time.time()
    slot = int(now // window)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]  # any key is a valid cache key
    cache_key = f"ratelimit:{scope}:{digest}:{slot}"
    cache.add(cache_key, 0, timeout=window)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # evicted between add and incr
        cache.set(cache_key, 1, timeout=window)
        count = 1
    if count <= limit:
        return 0
    return max(1, math.ceil((slot + 1) * window - now))


def install_rate_limit_hit(*, client: str, shop_domain: str | None) -> int:
    """``/auth/install``: per client address, then per shop; 0 or the seconds to wait.

    The window is a state's lifetime: a client writes at most ``limit`` state rows per lifetime
    (twice that across a window boundary).
    """
    window = int(OAUTH_STATE_TTL.total_seconds())
    wait = rate_limit_hit(scope="install-ip", key=client, limit=settings.INSTALL_RATE_LIMIT_PER_IP, window=window)
    if not wait and shop_domain is not None:
        limit = settings.INSTALL_RATE_LIMIT_PER_SHOP
        wait = rate_limit_hit(scope="install-shop", key=shop_domain, limit=limit, window=window)
    return wait
