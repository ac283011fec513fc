"""Shopify's search syntax for the ``query:`` argument.

Supported: ``field:value``, comparisons ``field:>value`` ``:>=`` ``:<`` ``:<=``,
single- or double-quoted values, implicit AND, ``AND``, ``OR``, ``NOT`` / ``-``
negation, parentheses, and bare words (free text). Unknown fields match
everything, as on Shopify (which only adds a search warning).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.shopify.store import parse_time

TOKEN = re.compile(
    r"""\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<term>-?[A-Za-z_][\w.]*:(?:>=|<=|>|<|=)?(?:'[^']*'|"[^"]*"|[^\s()]+)"""
    r"""|'[^']*'|"[^"]*"|[^\s()]+))"""
)
TERM = re.compile(r"""^(?P<neg>-)?(?P<field>[A-Za-z_][\w.]*):(?P<op>>=|<=|>|<|=)?(?P<value>.*)$""")

Predicate = Callable[[Any], bool]
# field -> (getter(obj) -> comparable or list of strings, kind)
Fields = dict[str, tuple[Callable[[Any], Any], str]]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _time_value(value: str, tz: ZoneInfo, now: datetime) -> datetime | None:
    value = value.strip()
    lowered = value.lower()
    if lowered == "now":
        return now
    if lowered in ("today", "yesterday"):
        local = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
        return local - timedelta(days=1 if lowered == "yesterday" else 0)
    m = re.fullmatch(r"-(\d+)(?:d|days?)", lowered)
    if m:
        return now - timedelta(days=int(m.group(1)))
    return parse_time(value, tz)


def compile_query(
    query: str | None, fields: Fields, tz: ZoneInfo, now: datetime, text: Callable[[Any], str]
) -> Predicate:
    if not query or not query.strip():
        return lambda _obj: True
    tokens = []
    for m in TOKEN.finditer(query):
        if m.group("lp"):
            tokens.append("(")
        elif m.group("rp"):
            tokens.append(")")
        elif m.group("term"):
            tokens.append(m.group("term"))
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def parse_or() -> Predicate:
        nonlocal pos
        parts = [parse_and()]
        while peek() == "OR":
            pos += 1
            parts.append(parse_and())
        return parts[0] if len(parts) == 1 else (lambda o, ps=parts: any(p(o) for p in ps))

    def parse_and() -> Predicate:
        nonlocal pos
        parts = []
        while True:
            tok = peek()
            if tok is None or tok in (")", "OR"):
                break
            if tok == "AND":
                pos += 1
                continue
            parts.append(parse_not())
        if not parts:
            return lambda _o: True
        return parts[0] if len(parts) == 1 else (lambda o, ps=parts: all(p(o) for p in ps))

    def parse_not() -> Predicate:
        nonlocal pos
        tok = peek()
        if tok == "NOT":
            pos += 1
            inner = parse_not()
            return lambda o: not inner(o)
        if tok == "(":
            pos += 1
            inner = parse_or()
            if peek() == ")":
                pos += 1
            return inner
        pos += 1
        return term(tok or "")

    def term(tok: str) -> Predicate:
        m = TERM.match(tok)
        if not m:
            word = _unquote(tok.lstrip("-")).lower()
            negate = tok.startswith("-") and len(tok) > 1
            pred = lambda o: word in text(o).lower()  # noqa: E731
            return (lambda o: not pred(o)) if negate else pred
        name = m.group("field").lower()
        op = m.group("op") or "="
        raw = _unquote(m.group("value"))
        if name == "name":
            raw = raw.lstrip("#")  # Shopify matches an order name with or without its "#"
        negate = bool(m.group("neg"))
        spec = fields.get(name)
        if spec is None:
            return lambda _o: True
        getter, kind = spec
        pred = _comparison(getter, kind, op, raw, tz, now)
        return (lambda o: not pred(o)) if negate else pred

    predicate = parse_or()
    return predicate


def _comparison(getter: Callable[[Any], Any], kind: str, op: str, raw: str, tz: ZoneInfo, now: datetime) -> Predicate:
    if kind == "time":
        target = _time_value(raw, tz, now)
        if target is None:
            return lambda _o: False
        if op == "=" and len(raw.strip()) == 10:  # a date: the whole day in the shop's time zone
            end = target + timedelta(days=1)
            return lambda o: (v := getter(o)) is not None and target <= v < end
    elif kind == "number":
        try:
            target = float(raw)
        except ValueError:
            return lambda _o: False
    elif kind == "bool":
        wanted = raw.lower() == "true"
        return lambda o: bool(getter(o)) == wanted
    elif kind == "list":
        wanted_text = raw.lower()
        return lambda o: any(str(x).lower() == wanted_text for x in getter(o) or [])
    else:
        target = raw.lower()

    def compare(o: Any) -> bool:
        v = getter(o)
        if v is None:
            return False
        if kind == "text":
            v = str(v).lower()
        if op == "=":
            return v == target
        if op == ">":
            return v > target
        if op == ">=":
            return v >= target
        if op == "<":
            return v < target
        return v <= target

    return compare
