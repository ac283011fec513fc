"""Settings for ``python -m sandbox.bench.webhook_ingest`` only: production settings plus a bare view to compare with."""

from shopqb_app.settings import *  # noqa: F403

ROOT_URLCONF = "sandbox.bench.urls"
