"""What the QBO emulator keeps on disk: one append-only journal of changed objects per realm."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

from .books import Company
from .jsonutil import dumps, loads


class Journal:
    """Append-only JSON lines per realm: each changed object is one line; the last line wins on load."""

    def __init__(self, path: Path | None):
        self.path = path
        self.lock = threading.Lock()
        self.file = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    def read(self) -> list[dict[str, Any]]:
        if self.path is None or not self.path.exists():
            return []
        entries = []
        with self.path.open("r", encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    try:
                        entries.append(loads(line))
                    except ValueError:
                        break  # a torn last line after a crash
        return entries

    def append(self, entry: dict[str, Any]) -> None:
        if self.path is None:
            return
        with self.lock:
            if self.file is None:
                self.file = self.path.open("a", encoding="utf-8")
            self.file.write(dumps(entry) + "\n")
            self.file.flush()

    def close(self) -> None:
        with self.lock:
            if self.file is not None:
                self.file.close()
                self.file = None


def replay(company: Company, entries: list[dict[str, Any]]) -> None:
    """Loads a journal into a fresh company: objects (the last version wins), request ids, preferences."""
    for entry in entries:
        if entry["op"] == "put":
            entity, obj = entry["e"], entry["o"]
            company.objects[entity][obj["Id"]] = obj
            company.version += 1
            if obj["Id"].isdigit():
                company.counters[entity] = max(company.counters[entity], int(obj["Id"]))
        elif entry["op"] == "rid":
            company.request_ids[entry["k"]] = (entry["s"], entry["b"])
        elif entry["op"] == "rate":
            company.rate_table.setdefault(entry["c"], {})[entry["d"]] = Decimal(entry["r"])
        elif entry["op"] == "prefs":
            company.multicurrency = entry["multicurrency"]
        elif entry["op"] == "preferences":
            company.prefs = entry["o"]
            company.multicurrency = entry["multicurrency"]
