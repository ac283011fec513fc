"""Settings for ``python -m accounts.bench`` only: production settings plus a bare view to compare with."""

from shopqb_app.settings import *  # noqa: F403

ROOT_URLCONF = "accounts.bench_urls"
