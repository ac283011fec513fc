"""A person opening the QuickBooks sandbox's address in a browser gets an index, not a 404."""

from __future__ import annotations

import requests


def test_root_lists_each_company_with_its_inspector_and_the_controls(sandbox):
    page = requests.get(f"{sandbox.url}/", timeout=10)

    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    html = page.text
    assert "QuickBooks Online sandbox" in html
    for company in sandbox.info["companies"]:
        inspector = f"{sandbox.url}/_sandbox/qbo/{company['realm_id']}/"
        assert f"href='{inspector}'" in html
        assert requests.get(inspector, timeout=10).status_code == 200
    for control in ("/_sandbox/qbo/faults", "/_sandbox/qbo/clock", "/_sandbox/qbo/{realm}/revoke"):
        assert control in html


def test_favicon_answers_no_content(sandbox):
    response = requests.get(f"{sandbox.url}/favicon.ico", timeout=10)
    assert response.status_code == 204
    assert response.content == b""


def test_unknown_paths_still_404(sandbox):
    assert requests.get(f"{sandbox.url}/nothing-here", timeout=10).status_code == 404
