"""JSON text of GraphQL responses whose subtrees may already be rendered (``RawJSON``, from the render cache)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["RawJSON", "dumps", "encode"]


class RawJSON(str):
    """A subtree already rendered as JSON (from the render cache), with its actual query cost."""

    __slots__ = ("cost",)


def encode(value: Any) -> str:
    """JSON text of a response that may contain RawJSON subtrees (compact, like Shopify)."""
    parts: list[str] = []
    _encode(value, parts.append)
    return "".join(parts)


def _encode(value: Any, write: Callable[[str], Any]) -> None:
    cls = value.__class__
    if cls is RawJSON:
        write(value)
    elif cls is dict:
        write("{")
        first = True
        for k, v in value.items():
            if not first:
                write(",")
            first = False
            write(dumps(k))
            write(":")
            _encode(v, write)
        write("}")
    elif cls is list:
        write("[")
        for i, v in enumerate(value):
            if i:
                write(",")
            _encode(v, write)
        write("]")
    else:
        write(dumps(value))


ENCODER = json.JSONEncoder(separators=(",", ":"), check_circular=False)
dumps: Callable[[Any], str] = ENCODER.encode
try:
    # orjson renders a 250-order page about 30% faster than the standard library (see
    # BENCHMARKS.md); the output is the same compact JSON (UTF-8 rather than \u escapes).
    import orjson

    def dumps(value: Any) -> str:
        return orjson.dumps(value).decode()

except ImportError:  # pragma: no cover - the pinned requirements install it
    pass
