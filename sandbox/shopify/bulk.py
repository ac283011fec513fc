"""Bulk operations: run a query over every record and serve the result as JSONL.

Like Shopify: the query has one top-level connection, at most five connections
in all and at most two levels of them; pagination arguments are ignored; each
node is a line, and the nodes of nested connections are lines of their own with
``__parentId`` (the parent's ``id``, which must be selected). Up to API 2025-10
children follow their parent (``groupObjects: true`` was the default); from
2026-01 the output is ungrouped, so here every parent line comes first and the
children after all of them. Status goes CREATED -> RUNNING -> COMPLETED (or
CANCELED / FAILED) in a background thread, and ``bulk_operations/finish`` is
sent at the end.

Reference: https://shopify.dev/docs/api/usage/bulk-operations/queries#operation-restrictions
Reference: https://shopify.dev/changelog/bulk-operations-group-objects-default-changed-to-false
"""

from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)

from sandbox.shopify import model
from sandbox.shopify.store import ShopData

MAX_CONNECTIONS = 5
MAX_DEPTH = 2
UNGROUPED_FROM = "2026-01"  # first API version where groupObjects defaults to false

if TYPE_CHECKING:
    from sandbox.shopify.emulator import ShopifyEmulator


def check_query(emulator: ShopifyEmulator, query: str) -> str | None:
    """None if ``query`` can run as a bulk query, else the user error message."""
    doc, errors = emulator.executor.document(query)
    if doc is None or errors:
        return "Invalid bulk query: " + "; ".join(e["message"] for e in errors)
    ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
    if len(ops) != 1 or ops[0].operation.value != "query":
        return "Bulk queries must contain exactly one query operation."
    roots = [s for s in ops[0].selection_set.selections if isinstance(s, FieldNode)]
    schema = emulator.executor.schema
    conns = [r for r in roots if str(schema.query_type.fields[r.name.value].type).rstrip("!").endswith("Connection")]
    if len(conns) != 1 or len(roots) != 1:
        return "Bulk queries must contain exactly one top-level connection field."
    fragments = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
    found: list[tuple[str, int]] = []
    missing_id: list[str] = []
    _walk(schema, fragments, ops[0].selection_set, schema.query_type.name, 0, found, missing_id)
    if len(found) > MAX_CONNECTIONS:
        return f"Bulk queries cannot contain more than {MAX_CONNECTIONS} connections."
    if max(depth for _name, depth in found) > MAX_DEPTH:
        return f"Bulk queries cannot contain connections nested more than {MAX_DEPTH} levels deep."
    if missing_id:
        return (
            "The parent 'node' field for a nested connection must select the 'id' field without an alias."
            f" Connection fields without 'id': {', '.join(missing_id)}."
        )
    return None


def _fields(fragments: dict[str, FragmentDefinitionNode], selection_set: SelectionSetNode | None) -> list[FieldNode]:
    """The fields of a selection set with its fragments spread out."""
    out: list[FieldNode] = []
    for sel in selection_set.selections if selection_set else ():
        if isinstance(sel, FieldNode):
            out.append(sel)
        elif isinstance(sel, InlineFragmentNode):
            out.extend(_fields(fragments, sel.selection_set))
        elif isinstance(sel, FragmentSpreadNode) and sel.name.value in fragments:
            out.extend(_fields(fragments, fragments[sel.name.value].selection_set))
    return out


def _walk(
    schema: GraphQLSchema,
    fragments: dict[str, FragmentDefinitionNode],
    selection_set: SelectionSetNode | None,
    type_name: str,
    depth: int,
    found: list[tuple[str, int]],
    missing_id: list[str],
) -> None:
    """Collect (connection, nesting level) pairs and nested connections whose parent node lacks ``id``."""
    fields = _fields(fragments, selection_set)
    parent_type = schema.get_type(type_name)
    has_id = any(f.name.value == "id" and f.alias is None for f in fields)
    for f in fields:
        defn = getattr(parent_type, "fields", {}).get(f.name.value)
        if defn is None:
            continue
        target = get_named_type(defn.type)
        if target.name.endswith("Connection"):
            found.append((f.name.value, depth + 1))
            if depth > 0 and not has_id:
                missing_id.append(f.name.value)
            node = get_named_type(target.fields["nodes"].type).name
            inner = _fields(fragments, f.selection_set)
            nodes = [n for n in inner if n.name.value == "nodes"]
            nodes += [n for e in inner if e.name.value == "edges" for n in _fields(fragments, e.selection_set)]
            for n in nodes:
                if n.name.value in ("nodes", "node"):
                    _walk(schema, fragments, n.selection_set, node, depth + 1, found, missing_id)
        elif f.selection_set is not None:
            _walk(schema, fragments, f.selection_set, target.name, depth, found, missing_id)


def _is_connection(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and set(value) <= {"edges", "nodes", "pageInfo"}


def _nodes(conn: dict[str, Any]) -> list[Any]:
    if "nodes" in conn and conn["nodes"] is not None:
        return conn["nodes"]  # type: ignore[no-any-return]
    return [e.get("node") for e in conn.get("edges") or [] if isinstance(e, dict)]


def grouped_by_default(version: str) -> bool:
    """``groupObjects`` defaulted to true before 2026-01 (and the 2025-04 schema has no such argument)."""
    return version != "unstable" and version < UNGROUPED_FROM


def to_jsonl(data: dict[str, Any], *, grouped: bool = True) -> tuple[list[str], int]:
    """Flatten the result into JSONL lines; returns (lines, root object count).

    Grouped: each node's children right after it. Ungrouped: Shopify promises no
    order, so all parents come first and their children after them.
    """
    lines: list[str] = []
    later: list[str] = []
    root = next(iter(data.values()))
    roots = _nodes(root) if _is_connection(root) else []

    def emit(node: dict[str, Any], parent: str | None) -> None:
        flat = {}
        children = []
        for key, value in node.items():
            if _is_connection(value):
                children.append(value)
            else:
                flat[key] = value
        if parent is not None:
            flat["__parentId"] = parent
        (lines if grouped or parent is None else later).append(json.dumps(flat, separators=(",", ":")))
        for conn in children:
            for child in _nodes(conn):
                if child is not None:
                    emit(child, node.get("id"))

    for node in roots:
        if node is not None:
            emit(node, None)
    return lines + later, len(roots)


def start(
    emulator: ShopifyEmulator, shop: ShopData, query: str, *, version: str, scopes: frozenset[str]
) -> model.BulkOperation:
    """A bulk query run in the background with the starting token's scopes: a field the token may not
    read fails the operation with ACCESS_DENIED, as Shopify's BulkOperationErrorCode says."""
    # Reference: https://shopify.dev/docs/api/admin-graphql/2025-04/enums/BulkOperationErrorCode
    store = emulator.store
    op = model.BulkOperation(
        shop=shop.domain,
        id=store.next_id("BulkOperation"),
        query=query,
        status="CREATED",
        created_at=store.now(),
        grouped=grouped_by_default(version),
        scopes=",".join(sorted(scopes)),
    )
    store.put(op)
    thread = threading.Thread(target=_run, args=(emulator, shop, op.id), name=f"bulk-{op.id}", daemon=True)
    thread.start()
    return op


def _run(emulator: ShopifyEmulator, shop: ShopData, op_id: int) -> None:
    store = emulator.store
    with store.lock:
        op = shop.tables["BulkOperation"][op_id]
        op.status = "RUNNING"
        store.put(op)
        store.flush()
    time.sleep(emulator.bulk_delay)
    with store.lock:
        op = shop.tables["BulkOperation"][op_id]
        if op.status == "CANCELING":
            op.status = "CANCELED"
            op.completed_at = store.now()
            store.put(op)
            store.flush()
            return
        token = {"scopes": op.scopes} if op.scopes else None
        result = emulator.execute(shop, op.query, token=token, bulk=True)
        errors = result.get("errors") or []
        if errors or not result.get("data"):
            op.status = "FAILED"
            denied = any((e.get("extensions") or {}).get("code") == "ACCESS_DENIED" for e in errors)
            op.error_code = "ACCESS_DENIED" if denied else "INTERNAL_SERVER_ERROR"
        else:
            lines, roots = to_jsonl(result["data"], grouped=op.grouped)
            text = "\n".join(lines) + ("\n" if lines else "")
            op.file_name = f"{op.id}.jsonl" if lines else None
            if lines:
                emulator.save_bulk_file(op.file_name, text.encode())
            op.object_count = len(lines)
            op.root_object_count = roots
            op.file_size = len(text.encode()) if lines else None
            op.status = "COMPLETED"
        op.completed_at = store.now()
        store.put(op)
        emulator.emit(shop, "bulk_operations/finish", op)
        store.flush()


def view(emulator: ShopifyEmulator, op: model.BulkOperation) -> dict[str, Any]:
    url = f"{emulator.base_url}/_sandbox/bulk/{op.file_name}" if op.file_name else None
    return {
        "__typename": "BulkOperation",
        "id": model.gid("BulkOperation", op.id),
        "status": op.status,
        "errorCode": op.error_code,
        "createdAt": model.iso(op.created_at),
        "completedAt": model.iso(op.completed_at),
        "objectCount": str(op.object_count),
        "rootObjectCount": str(op.root_object_count),
        "fileSize": str(op.file_size) if op.file_size is not None else None,
        "url": url,
        "partialDataUrl": None,
        "query": op.query,
        "type": op.type,
    }
