"""python-quickbooks' own integration tests, run against the QuickBooks sandbox.

The suite (``tests/integration/`` of the python-quickbooks release the project pins) normally
runs against Intuit's sandbox company: its ``test_base.py`` builds an intuit-oauth ``AuthClient``
for the ``sandbox`` environment and a ``QuickBooks`` client with ``sandbox = True`` from the
environment variables CLIENT_ID, CLIENT_SECRET, COMPANY_ID and REFRESH_TOKEN. This pytest plugin
(``-p sandbox.qbo.pqsuite.plugin``) starts the emulator, points both libraries' sandbox URLs at it
and sets those variables to one emulated company, so the tests run unchanged. The suite stays
where it was fetched (``./bin/fetch-reference``); it is never copied into the project.

``python -m sandbox.qbo.pqsuite`` runs it (see ``__main__.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

ENV = "SHOPQB_REFERENCE_DIR"
ROOT = Path(__file__).resolve().parents[3]
SUITE = Path("python-quickbooks") / "tests" / "integration"


def reference_dir() -> Path | None:
    """The reference directory, looked up as the project's tests look it up: $SHOPQB_REFERENCE_DIR
    (the only place when set), else .reference/ in the repository, else ../shared/reference."""
    if os.environ.get(ENV):
        candidates = [Path(os.environ[ENV])]
    else:
        candidates = [ROOT / ".reference", ROOT.parent / "shared" / "reference"]
    return next((path for path in candidates if path.is_dir()), None)


def suite_dir() -> Path | None:
    """python-quickbooks' integration tests, or None when the reference directory lacks them."""
    base = reference_dir()
    if base is None or not (base / SUITE / "test_base.py").is_file():
        return None
    return base / SUITE
