"""Bulk operations: run a query over every record and serve the result as JSONL.

Like Shopify: the query has one top-level connection; pagination arguments are
ignored; each node is a line, and the nodes of nested connections are lines of
their own with ``__parentId`` (the parent's ``id``, which must be selected).
Status goes CREATED -> RUNNING -> COMPLETED (or CANCELED / FAILED) in a
background thread, and ``bulk_operations/finish`` is sent at the end.
"""

from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING, Any

from graphql import FieldNode, OperationDefinitionNode

from sandbox.shopify import model
from sandbox.shopify.store import ShopData

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
    return None


def _is_connection(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and set(value) <= {"edges", "nodes", "pageInfo"}


def _nodes(conn: dict[str, Any]) -> list[Any]:
    if "nodes" in conn and conn["nodes"] is not None:
        return conn["nodes"]  # type: ignore[no-any-return]
    return [e.get("node") for e in conn.get("edges") or [] if isinstance(e, dict)]


def to_jsonl(data: dict[str, Any]) -> tuple[list[str], int]:
    """Flatten the result into JSONL lines; returns (lines, root object count)."""
    lines: list[str] = []
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
        lines.append(json.dumps(flat, separators=(",", ":")))
        for conn in children:
            for child in _nodes(conn):
                if child is not None:
                    emit(child, node.get("id"))

    for node in roots:
        if node is not None:
            emit(node, None)
    return lines, len(roots)


def start(emulator: ShopifyEmulator, shop: ShopData, query: str) -> model.BulkOperation:
    store = emulator.store
    op = model.BulkOperation(
        shop=shop.domain, id=store.next_id("BulkOperation"), query=query, status="CREATED", created_at=store.now()
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
        result = emulator.execute(shop, op.query, bulk=True)
        if result.get("errors") or not result.get("data"):
            op.status = "FAILED"
            op.error_code = "INTERNAL_SERVER_ERROR"
        else:
            lines, roots = to_jsonl(result["data"])
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
