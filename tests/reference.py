"""Where the tests find the published vendor files they check the emulators against.

Shopify's Admin GraphQL schema and REST samples, Intuit's QBO XSDs and python-quickbooks'
integration tests are not ours to ship, so they stay out of the repository; ./bin/fetch-reference
downloads them (pinned, sha256-checked) into .reference/. The first of these that is set or
exists is the reference directory, with the same layout in each:

1. $SHOPQB_REFERENCE_DIR (when set, the only place looked at);
2. .reference/ in the repository;
3. ../shared/reference beside the repository (a copy shared by several checkouts).

Tests that need a file skip when it is missing, naming it and the command that fetches it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ENV = "SHOPQB_REFERENCE_DIR"
ROOT = Path(__file__).resolve().parents[1]
FETCH = "./bin/fetch-reference"


def candidates() -> list[Path]:
    if os.environ.get(ENV):
        return [Path(os.environ[ENV])]
    return [ROOT / ".reference", ROOT.parent / "shared" / "reference"]


def reference_dir() -> Path | None:
    return next((path for path in candidates() if path.is_dir()), None)


def path(relative: str) -> Path:
    """The file's place in the reference directory (a place that does not exist when there is none)."""
    return (reference_dir() or candidates()[0]) / relative


def missing_reason(*relatives: str) -> str | None:
    """Why the given reference files cannot be read, or None when they all can."""
    base = reference_dir()
    if base is None:
        looked = ", ".join(str(p) for p in candidates())
        return f"reference file {_names(relatives)} missing: no reference directory ({looked}); run {FETCH}"
    absent = [rel for rel in relatives if not (base / rel).is_file()]
    if absent:
        return f"reference file {_names(absent)} missing in {base}; run {FETCH}"
    return None


def _names(relatives: list[str] | tuple[str, ...]) -> str:
    shown = ", ".join(relatives[:3])
    return shown if len(relatives) <= 3 else f"{shown} and {len(relatives) - 3} more"


def require(*relatives: str) -> list[Path]:
    """The reference files' paths; skips the calling test when one is missing."""
    reason = missing_reason(*relatives)
    if reason is not None:
        pytest.skip(reason)
    return [path(rel) for rel in relatives]
