from pathlib import Path

import pytest

# whitenoise warns on every request when STATIC_ROOT does not exist yet (before
# collectstatic); the suite never needs collected files.
(Path(__file__).resolve().parent.parent / "staticfiles").mkdir(exist_ok=True)


@pytest.fixture(autouse=True)
def _no_secret_key_cache():
    from accounts import crypto

    crypto.reset_key_cache()
    yield
    crypto.reset_key_cache()


def pytest_sessionfinish(session, exitstatus):
    """Say which threads a test left running: at interpreter exit they print tracebacks
    after pytest's summary (a server still serving a kept-alive connection, say)."""
    import threading

    alive = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if alive:
        print("\nthreads left running by the tests:", ", ".join(t.name for t in alive))
