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
    return _Parser(tokens, fields, tz, now, text).parse_or()


class _Parser:
    """Recursive descent over the tokens: OR binds loosest, then (implicit) AND, then NOT."""

    def __init__(
        self, tokens: list[str], fields: Fields, tz: ZoneInfo, now: datetime, text: Callable[[Any], str]
    ) -> None:
        self.tokens = tokens
        self.pos = 0
        self.fields = fields
        self.tz = tz
        self.now = now
        self.text = text

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def parse_or(self) -> Predicate:
        parts = [self.parse_and()]
        while self.peek() == "OR":
            self.pos += 1
            parts.append(self.parse_and())
        return parts[0] if len(parts) == 1 else (lambda o, ps=parts: any(p(o) for p in ps))

    def parse_and(self) -> Predicate:
        parts = []
        while True:
            tok = self.peek()
            if tok is None or tok in (")", "OR"):
                break
            if tok == "AND":
                self.pos += 1
                continue
            parts.append(self.parse_not())
        if not parts:
            return lambda _o: True
        return parts[0] if len(parts) == 1 else (lambda o, ps=parts: all(p(o) for p in ps))

    def parse_not(self) -> Predicate:
        tok = self.peek()
        if tok == "NOT":
            self.pos += 1
            inner = self.parse_not()
            return lambda o: not inner(o)
        if tok == "(":
            self.pos += 1
            inner = self.parse_or()
            if self.peek() == ")":
                self.pos += 1
            return inner
        self.pos += 1
        return self.term(tok or "")

    def term(self, tok: str) -> Predicate:
        m = TERM.match(tok)
        if not m:
            word = _unquote(tok.lstrip("-")).lower()
            negate = tok.startswith("-") and len(tok) > 1
            text = self.text
            pred = lambda o: word in text(o).lower()  # noqa: E731
            return (lambda o: not pred(o)) if negate else pred
        name = m.group("field").lower()
        op = m.group("op") or "="
        raw = _unquote(m.group("value"))
        if name == "name":
            raw = raw.lstrip("#")  # Shopify matches an order name with or without its "#"
        negate = bool(m.group("neg"))
        spec = self.fields.get(name)
        if spec is None:
            return lambda _o: True
        getter, kind = spec
        pred = _comparison(getter, kind, op, raw, self.tz, self.now)
        return (lambda o: not pred(o)) if negate else pred


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
