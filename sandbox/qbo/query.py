"""The subset of QBO's query language python-quickbooks and the app send.

``select * | count(*) | *, Sku | Id, Name from Entity [where a = 'x' and b in ('1','2') and c like '%x%'
and Metadata.LastUpdatedTime > '2026-01-01T00:00:00-08:00'] [orderby f [asc|desc], ...]
[startposition n] [maxresults n]``. No ``or`` (QBO has none either).

Reference: https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .faults import QUERY_INVALID, QUERY_PARSER, QBOFault
from .filterable import queryable

MAX_RESULTS = 1000
DEFAULT_RESULTS = 100

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op><=|>=|!=|<>|=|<|>)"
    r"|(?P<punct>[(),*])|(?P<word>[A-Za-z_][\w.]*))"
)


@dataclass
class Condition:
    path: str
    op: str
    values: list[Any]


@dataclass
class Query:
    entity: str
    fields: list[str] | None  # None: all
    count: bool = False
    named: list[str] = field(default_factory=list)  # every field named in the select list, after * too
    conditions: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (path, descending)
    start: int = 1
    max_results: int = DEFAULT_RESULTS


def _parser_error(detail: str) -> QBOFault:
    return QBOFault(QUERY_PARSER, "Error parsing query", f"QueryParserError: {detail}")


def _validation_error(detail: str) -> QBOFault:
    return QBOFault(QUERY_INVALID, "Invalid query", f"QueryValidationError: {detail}")


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise _parser_error(f'Encountered "{text[pos : pos + 20]}" at column {pos + 1}.')
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


def parse(text: str, entities: dict[str, str]) -> Query:
    """``entities`` maps lower-case names to canonical ones."""
    tokens = tokenize(text)
    i = 0

    def peek(offset: int = 0) -> tuple[str, str]:
        return tokens[i + offset] if i + offset < len(tokens) else ("eof", "")

    def take() -> tuple[str, str]:
        nonlocal i
        token = peek()
        if token[0] == "eof":
            raise _parser_error('Encountered "<EOF>" unexpectedly.')
        i += 1
        return token

    def keyword(word: str) -> bool:
        kind, value = peek()
        return kind == "word" and value.lower() == word

    def expect_keyword(word: str) -> None:
        if not keyword(word):
            raise _parser_error(f'Encountered "{peek()[1]}"; was expecting "{word}".')
        take()

    expect_keyword("select")
    fields: list[str] | None = []
    named: list[str] = []
    count = False
    if keyword("count"):
        take()
        if take() != ("punct", "(") or take() != ("punct", "*") or take() != ("punct", ")"):
            raise _parser_error("count must be written count(*).")
        count = True
    else:
        while True:
            kind, value = take()
            if (kind, value) == ("punct", "*"):
                fields = None
            elif kind == "word":
                named.append(value)
                if fields is not None:
                    fields.append(value)
            else:
                raise _parser_error(f'Encountered "{value}" in the select list.')
            if peek() == ("punct", ","):
                take()
                continue
            break
    expect_keyword("from")
    kind, name = take()
    canonical = entities.get(name.lower())
    if kind != "word" or canonical is None:
        raise _validation_error(f"Invalid entity: {name}")
    query = Query(entity=canonical, fields=fields, count=count, named=named)

    if keyword("where"):
        take()
        while True:
            kind, path = take()
            if kind != "word":
                raise _parser_error(f'Encountered "{path}"; was expecting a property name.')
            if keyword("in"):
                take()
                if take() != ("punct", "("):
                    raise _parser_error("Expected ( after in.")
                values = []
                while True:
                    values.append(_literal(take()))
                    sep = take()
                    if sep == ("punct", ")"):
                        break
                    if sep != ("punct", ","):
                        raise _parser_error(f'Encountered "{sep[1]}" in an in list.')
                query.conditions.append(Condition(path, "in", values))
            elif keyword("like"):
                take()
                query.conditions.append(Condition(path, "like", [_literal(take())]))
            else:
                kind, op = take()
                if kind != "op":
                    raise _parser_error(f'Encountered "{op}"; was expecting an operator.')
                query.conditions.append(Condition(path, "!=" if op == "<>" else op, [_literal(take())]))
            if keyword("and"):
                take()
                continue
            if keyword("or"):
                raise _parser_error('Encountered "or": QBO queries support only and.')
            break
        _check_filterable(query)

    while peek()[0] != "eof":
        if keyword("orderby") or (keyword("order") and peek(1)[1].lower() == "by"):
            if take()[1].lower() == "order":
                take()
            while True:
                kind, path = take()
                descending = False
                if keyword("desc") or keyword("asc"):
                    descending = take()[1].lower() == "desc"
                query.order.append((path, descending))
                if peek() == ("punct", ","):
                    take()
                    continue
                break
        elif keyword("startposition"):
            take()
            query.start = _int(take(), "startposition")
            if query.start < 1:
                raise _validation_error("startposition must be 1 or more")
        elif keyword("maxresults"):
            take()
            query.max_results = _int(take(), "maxresults")
            if not 0 < query.max_results <= MAX_RESULTS:
                raise _validation_error(f"maxresults must be between 1 and {MAX_RESULTS}")
        else:
            raise _parser_error(f'Encountered "{peek()[1]}" at the end of the query.')
    return query


def _check_filterable(query: Query) -> None:
    """QBO refuses a condition on a property its reference does not mark filterable, rather than
    filtering it anyway (ruckus/quickbooks-ruby#403: 4001 "Invalid query")."""
    for condition in query.conditions:
        if not queryable(query.entity, condition.path):
            raise _validation_error(f"property '{condition.path}' is not queryable")


def _literal(token: tuple[str, str]) -> Any:
    kind, value = token
    if kind == "str":
        return value[1:-1].replace("\\'", "'").replace("''", "'")
    if kind == "num":
        return Decimal(value)
    if kind == "word" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _parser_error(f'Encountered "{value}"; was expecting a value.')


def _int(token: tuple[str, str], what: str) -> int:
    kind, value = token
    if kind != "num" or "." in value:
        raise _parser_error(f"{what} needs a whole number, got {value}")
    return int(value)


def lookup(obj: dict[str, Any], path: str) -> Any:
    """Case-insensitive dotted lookup; a reference compares by its value."""
    current: Any = obj
    for part in path.split("."):
        if not isinstance(current, dict):
            return None
        key = next((k for k in current if k.lower() == part.lower()), None)
        if key is None:
            return None
        current = current[key]
    if isinstance(current, dict) and "value" in current:
        current = current["value"]
    elif isinstance(current, dict) and ("Address" in current or "FreeFormNumber" in current):
        # An email address or a phone number compares by its text: ``where PrimaryEmailAddr = 'a@b.c'``.
        current = current.get("Address", current.get("FreeFormNumber"))
    return current


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    if isinstance(right, bool) or isinstance(left, bool):
        return str(left).lower(), str(right).lower()
    if isinstance(left, str) and isinstance(right, str) and "T" in right and _looks_datetime(right):
        try:
            return _parse_dt(left, right)
        except ValueError:
            pass
    if isinstance(right, Decimal) or isinstance(left, Decimal | int):
        try:
            return Decimal(str(left)), Decimal(str(right))
        except InvalidOperation:
            pass
    return str(left), str(right)


def _looks_datetime(text: str) -> bool:
    return bool(re.match(r"\d{4}-\d{2}-\d{2}T", text))


def _parse_dt(left: str, right: str) -> tuple[datetime, datetime]:
    a = datetime.fromisoformat(left.replace("Z", "+00:00"))
    b = datetime.fromisoformat(right.replace("Z", "+00:00"))
    if (a.tzinfo is None) != (b.tzinfo is None):
        a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
    return a, b


def matches(obj: dict[str, Any], condition: Condition) -> bool:
    actual = lookup(obj, condition.path)
    if condition.op == "in":
        return any(_equal(actual, value) for value in condition.values)
    if actual is None:
        return condition.op == "!="
    value = condition.values[0]
    if condition.op == "like":
        pattern = "^" + ".*".join(re.escape(p) for p in str(value).split("%")) + "$"
        return re.match(pattern, str(actual), re.IGNORECASE | re.DOTALL) is not None
    if condition.op == "=":
        return _equal(actual, value)
    if condition.op == "!=":
        return not _equal(actual, value)
    a, b = _comparable(actual, value)
    return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[condition.op]


def _equal(actual: Any, value: Any) -> bool:
    if actual is None:
        return False
    a, b = _comparable(actual, value)
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    return a == b


# Fields a query returns only when the select list names them (python-quickbooks asks for "*, Sku").
OPTIONAL_FIELDS = {"Item": {"Sku"}}


def run(query: Query, objects: list[dict[str, Any]]) -> dict[str, Any]:
    conditions = list(query.conditions)
    if not any(c.path.lower() == "active" for c in conditions):
        # Name lists answer only active records unless the query asks about Active.
        conditions.append(Condition("Active", "!=", [False]))
    found = [o for o in objects if all(matches(o, c) for c in conditions)]
    if query.count:
        return {"totalCount": len(found)}
    for path, descending in reversed(query.order or [("Id", False)]):
        found.sort(key=lambda o, p=path: _sort_key(lookup(o, p)), reverse=descending)
    page = found[query.start - 1 : query.start - 1 + query.max_results]
    if not page:
        return {}
    if query.fields is not None and query.fields:
        wanted = {f.lower() for f in query.fields} | {"id", "synctoken", "domain", "sparse", "metadata"}
        page = [{k: v for k, v in o.items() if k.lower() in wanted} for o in page]
    hidden = {f for f in OPTIONAL_FIELDS.get(query.entity, set()) if f.lower() not in {n.lower() for n in query.named}}
    if hidden:
        page = [{k: v for k, v in o.items() if k not in hidden} for o in page]
    return {query.entity: page, "startPosition": query.start, "maxResults": len(page)}


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    try:
        return (1, Decimal(str(value)))
    except InvalidOperation:
        return (2, str(value).lower())
