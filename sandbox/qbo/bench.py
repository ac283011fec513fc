"""Throughput of the QBO emulator over real HTTP: ``python -m sandbox.qbo.bench [N]``.

Creates N two-line sales receipts (one inventory line, with a requestid each) in a
US company persisted to a temporary state directory, then times a query and a
restart (reloading the journal). Results go in BENCHMARKS.md.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path

import requests

from sandbox.qbo.emulator import QBOEmulator
from sandbox.runner import serve_in_thread


def main(count: int) -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    state = Path(tempfile.mkdtemp())
    emulator = QBOEmulator(state, 0, requests_per_minute=10**9)
    server = serve_in_thread(emulator)
    emulator.set_base_url(server.base_url)
    company = emulator.describe()["companies"][0]
    api = f"{server.base_url}/v3/company/{company['realm_id']}"
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {company['access_token']}"
    body = {
        "Line": [
            {
                "Amount": 25,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": "4"},
                    "Qty": 1,
                    "UnitPrice": 25,
                    "TaxCodeRef": {"value": "TAX"},
                },
            },
            {
                "Amount": 5,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": "3"},
                    "Qty": 1,
                    "UnitPrice": 5,
                    "TaxCodeRef": {"value": "NON"},
                },
            },
        ]
    }
    started = time.perf_counter()
    for n in range(count):
        response = session.post(
            f"{api}/salesreceipt",
            json={**body, "DocNumber": f"B{n}"},
            params={"requestid": f"r{n}", "minorversion": 75},
            timeout=10,
        )
        response.raise_for_status()
    elapsed = time.perf_counter() - started
    started = time.perf_counter()
    session.get(f"{api}/query", params={"query": "select * from SalesReceipt where DocNumber = 'B10'"}, timeout=10)
    query_ms = (time.perf_counter() - started) * 1000
    emulator.close()
    server.stop()
    size = sum(p.stat().st_size for p in (state / "qbo").iterdir())
    started = time.perf_counter()
    QBOEmulator(state, 0).close()
    restart_ms = (time.perf_counter() - started) * 1000
    print(
        f"{count} creates: {elapsed:.2f} s ({elapsed / count * 1000:.2f} ms each); query by DocNumber "
        f"{query_ms:.1f} ms; restart {restart_ms:.0f} ms; state {size / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
