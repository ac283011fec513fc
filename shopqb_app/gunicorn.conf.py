"""gunicorn settings for ShopQB: ``gunicorn -c shopqb_app/gunicorn.conf.py shopqb_app.wsgi``.

Query strings carry secrets here: the session token on the first page load
(``?id_token=``), the OAuth ``code``, ``state`` and ``hmac`` on the install and
QuickBooks callbacks. gunicorn logs the full request line and the Referer (which
repeats the page's query), so this logger writes paths only, and never the
Authorization or Cookie headers, whatever ``access_log_format`` asks for.
"""

import re
from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger

# Atoms that hold nothing but a query string or a credential.
_HIDDEN_ATOMS = frozenset(
    {"q", "{query_string}e", "{authorization}i", "{http_authorization}e", "{cookie}i", "{http_cookie}e"}
)
# Atoms that hold a URL: only its path is kept.
_URL_ATOMS = frozenset({"f", "{raw_uri}e", "{referer}i", "{http_referer}e"})
_QUERY = re.compile(r"\?\S*")


def _path_only(url: str) -> str:
    return url.split("?", 1)[0].split("#", 1)[0]


def _scrub(value: object) -> object:
    return _QUERY.sub("", value) if isinstance(value, str) else value


# gunicorn ships no type hints: its Logger is Any to mypy.
class PathOnlyLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger without query strings or credentials."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for key in _HIDDEN_ATOMS & atoms.keys():
            atoms[key] = "-"
        for key in _URL_ATOMS & atoms.keys():
            atoms[key] = _path_only(str(atoms[key]))
        method, protocol = environ.get("REQUEST_METHOD", "-"), environ.get("SERVER_PROTOCOL", "-")
        atoms["r"] = f"{method} {_path_only(environ.get('RAW_URI', '-'))} {protocol}"
        return atoms

    # The error log names the request too ("Error handling request GET /?id_token=...").
    def warning(self, msg: object, *args: object, **kwargs: Any) -> None:
        super().warning(_scrub(msg), *map(_scrub, args), **kwargs)

    def exception(self, msg: object, *args: object, **kwargs: Any) -> None:
        super().exception(_scrub(msg), *map(_scrub, args), **kwargs)


logger_class = PathOnlyLogger
