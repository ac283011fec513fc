"""Browsers ask every origin for /favicon.ico: the app answers 204, not a 404 in the logs."""

import pytest


@pytest.mark.django_db
def test_favicon_is_no_content(client):
    assert client.get("/favicon.ico").status_code == 204
