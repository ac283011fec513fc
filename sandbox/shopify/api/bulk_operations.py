"""Bulk operations: currentBulkOperation, bulkOperationRunQuery and bulkOperationCancel."""

from __future__ import annotations

from typing import Any

from sandbox.shopify import bulk
from sandbox.shopify.api.common import ctx
from sandbox.shopify.executor import Request
from sandbox.shopify.model import gid, parse_gid


def q_current_bulk(_root: Any, args: dict[str, Any], req: Request) -> Any:
    c = ctx(req)
    ops = [o for o in c.shop.tables["BulkOperation"].values() if o.type == (args.get("type") or "QUERY")]
    return bulk.view(c.emulator, max(ops, key=lambda o: o.id)) if ops else None


def m_bulk_run(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    running = [o for o in c.shop.tables["BulkOperation"].values() if o.status in ("CREATED", "RUNNING", "CANCELING")]
    if running:
        message = f"A bulk query operation for this app and shop is already in progress: {gid('BulkOperation', running[0].id)}."
        return {
            "bulkOperation": None,
            "userErrors": [{"field": ["query"], "message": message, "code": "OPERATION_IN_PROGRESS"}],
        }
    problem = bulk.check_query(c.emulator, args["query"])
    if problem:
        return {"bulkOperation": None, "userErrors": [{"field": ["query"], "message": problem, "code": "INVALID"}]}
    op = bulk.start(c.emulator, c.shop, args["query"], version=c.version, scopes=c.scopes)
    return {"bulkOperation": bulk.view(c.emulator, op), "userErrors": []}


def m_bulk_cancel(_root: Any, args: dict[str, Any], req: Request) -> dict[str, Any]:
    c = ctx(req)
    op = c.shop.tables["BulkOperation"].get(parse_gid(args["id"], "BulkOperation"))
    if op is None:
        return {"bulkOperation": None, "userErrors": [{"field": ["id"], "message": "Bulk operation does not exist"}]}
    if op.status not in ("CREATED", "RUNNING"):
        return {
            "bulkOperation": bulk.view(c.emulator, op),
            "userErrors": [
                {"field": None, "message": f"A bulk operation cannot be canceled when it is {op.status.lower()}"}
            ],
        }
    op.status = "CANCELING"
    c.store.put(op)
    return {"bulkOperation": bulk.view(c.emulator, op), "userErrors": []}


RESOLVERS = {
    ("QueryRoot", "currentBulkOperation"): q_current_bulk,
    ("Mutation", "bulkOperationRunQuery"): m_bulk_run,
    ("Mutation", "bulkOperationCancel"): m_bulk_cancel,
}
SCOPES: dict[tuple[str, str], str] = {}
