"""ShopQB settings: one module, read from the environment through django-environ.

Every variable is documented in docs/configuration.md. The defaults need no
service at all: a SQLite file, django-q2 on the ORM broker, DEBUG off.
"""

from pathlib import Path
from typing import Any

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG: bool = env.bool("DEBUG", default=False)
SECRET_KEY: str = env.str("SECRET_KEY", default="insecure-development-key-change-me-" + "x" * 20)
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The public https URL of the app (Shopify "application_url"); used for redirects
# and webhook subscriptions.
APP_URL: str = env.str("APP_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_q",
    "accounts",
    "mappings",
    "syncing",
    "operations",
    "sandbox",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "shopqb_app.middleware.EmbeddedFrameMiddleware",
]

ROOT_URLCONF = "shopqb_app.urls"
WSGI_APPLICATION = "shopqb_app.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Workers and the web process share one file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
# Dates and times as merchants read them, the zone shown (shopqb_app/formats); the shop's own
# time zone is activated per request (accounts.auth).
FORMAT_MODULE_PATH = ["shopqb_app.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}

# --- HTTPS / security (production sets SECURE_SSL_REDIRECT and friends) ---
SECURE_SSL_REDIRECT: bool = env.bool("SECURE_SSL_REDIRECT", default=False)
# Load balancers check health over plain http on the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# Behind a proxy: trust its X-Forwarded-Proto, and the last X-Forwarded-For entry (the
# address that connected to it) as the client's address.
BEHIND_PROXY: bool = env.bool("BEHIND_PROXY", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_HSTS_SECONDS: int = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD: bool = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE: bool = env.bool("SESSION_COOKIE_SECURE", default=SECURE_SSL_REDIRECT)
CSRF_COOKIE_SECURE: bool = env.bool("CSRF_COOKIE_SECURE", default=SECURE_SSL_REDIRECT)
# The app is framed by the Shopify admin; frame-ancestors (CSP, per shop) replaces
# X-Frame-Options, see shopqb_app.middleware.
X_FRAME_OPTIONS = "SAMEORIGIN"
# Django's X-Frame-Options check assumes a page nobody frames; ours are framed by
# the Shopify admin and protected by the per-shop frame-ancestors CSP instead.
SILENCED_SYSTEM_CHECKS = ["security.W002"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"

# --- Shopify ---
SHOPIFY_API_KEY: str = env.str("SHOPIFY_API_KEY", default="")
SHOPIFY_API_SECRET: str = env.str("SHOPIFY_API_SECRET", default="")
SHOPIFY_API_VERSION: str = env.str("SHOPIFY_API_VERSION", default="2025-04")
SHOPIFY_SCOPES: list[str] = env.list(
    "SHOPIFY_SCOPES",
    default=[
        "read_orders",
        "read_all_orders",
        "read_products",
        "read_inventory",
        "read_shopify_payments_payouts",
        "read_customers",  # the order's customer (protected customer data: name and email)
        "read_gift_cards",  # the gift card liability's reconciliation
    ],
)
# Where the Admin API lives. Production: https://{shop}; the sandbox serves each
# shop under its own path, so this is a template with {shop}.
SHOPIFY_ADMIN_BASE: str = env.str("SHOPIFY_ADMIN_BASE", default="https://{shop}")
SHOPIFY_HTTP_TIMEOUT: float = env.float("SHOPIFY_HTTP_TIMEOUT", default=30.0)

# --- QuickBooks Online ---
QBO_CLIENT_ID: str = env.str("QBO_CLIENT_ID", default="")
QBO_CLIENT_SECRET: str = env.str("QBO_CLIENT_SECRET", default="")
# "production", "sandbox" (Intuit's development companies) or a discovery URL
# (our local emulator).
QBO_ENVIRONMENT: str = env.str("QBO_ENVIRONMENT", default="production")
QBO_API_BASE: str = env.str("QBO_API_BASE", default="https://quickbooks.api.intuit.com/v3")
QBO_REDIRECT_URI: str = env.str("QBO_REDIRECT_URI", default=APP_URL.rstrip("/") + "/qbo/callback")
QBO_MINOR_VERSION: int = env.int("QBO_MINOR_VERSION", default=75)
QBO_HTTP_TIMEOUT: float = env.float("QBO_HTTP_TIMEOUT", default=60.0)
# Where the Orders page opens a document in the merchant's company: {page} is the QuickBooks
# web app's name for the form (salesreceipt, invoice, recvpayment, refundreceipt, deposit),
# {entity} the API's (SalesReceipt...), {txn_id} its Id, {realm_id} the company. QuickBooks
# opens the company the merchant is signed in to; Intuit's development companies live on
# app.sandbox.qbo.intuit.com, and the local emulator (a discovery URL above) shows documents
# in its inspector.
if QBO_ENVIRONMENT.startswith(("http://", "https://")):
    _QBO_DOCUMENT_URL = QBO_API_BASE.removesuffix("/v3") + "/_sandbox/qbo/{realm_id}/{entity}/{txn_id}"
else:
    _QBO_DOCUMENT_URL = (
        "https://app.sandbox.qbo.intuit.com" if QBO_ENVIRONMENT == "sandbox" else "https://app.qbo.intuit.com"
    ) + "/app/{page}?txnId={txn_id}"
QBO_DOCUMENT_URL: str = env.str("QBO_DOCUMENT_URL", default=_QBO_DOCUMENT_URL)

# --- django-q2 ---
Q_CLUSTER: dict[str, Any] = {
    # Deployments that share one Redis each need their own name (it keys the queue and signs tasks).
    "name": env.str("Q_NAME", default="shopqb"),
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TIMEOUT", default=300),
    "retry": env.int("Q_RETRY", default=360),
    "max_attempts": env.int("Q_MAX_ATTEMPTS", default=5),
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 1000,
    "orm": "default",
    "sync": env.bool("Q_SYNC", default=False),
}
# REDIS_URL (Q_REDIS_URL is its older name): Redis is the broker, for workers on many hosts.
# It has no receipts: a task a dead worker held is lost, not redelivered; the PendingSync rows,
# the drain marker's lease and the scheduled sweep pick its work up again (docs/deployment.md).
# Reference: https://django-q2.readthedocs.io/en/master/brokers.html
REDIS_URL: str = env.str("REDIS_URL", default="") or env.str("Q_REDIS_URL", default="")
if REDIS_URL:
    Q_CLUSTER.pop("orm")
    Q_CLUSTER["redis"] = REDIS_URL
# A claim on a record or a queued order outlives any task (so an expired claim means
# a dead worker) and expires before the broker runs the task again (so the rerun
# finishes the work instead of finding it busy): Q_TIMEOUT < lease < Q_RETRY.
SYNC_CLAIM_LEASE_SECONDS: int = env.int("SYNC_CLAIM_LEASE_SECONDS", default=Q_CLUSTER["timeout"] + 30)

# --- Request budget per QuickBooks company and Shopify shop (shopqb_app/integrations/budget.py) ---
# Shared by every process on every host: in Redis when REQUEST_BUDGET_REDIS_URL is set, otherwise
# in the database; "off" sends requests unbudgeted. The limits are QuickBooks' own per company.
REQUEST_BUDGET_REDIS_URL: str = env.str("REQUEST_BUDGET_REDIS_URL", default="")
REQUEST_BUDGET: str = env.str("REQUEST_BUDGET", default="redis" if REQUEST_BUDGET_REDIS_URL else "database")
QBO_REQUESTS_PER_MINUTE: int = env.int("QBO_REQUESTS_PER_MINUTE", default=500)
QBO_REQUESTS_PER_SECOND: int = env.int("QBO_REQUESTS_PER_SECOND", default=10)
QBO_CONCURRENT_REQUESTS: int = env.int("QBO_CONCURRENT_REQUESTS", default=10)
QBO_BATCHES_PER_MINUTE: int = env.int("QBO_BATCHES_PER_MINUTE", default=40)
# The share of each rate a backfill or sweep may use: the rest is kept for live orders.
REQUEST_BUDGET_BULK_SHARE: float = env.float("REQUEST_BUDGET_BULK_SHARE", default=0.8)
# Seconds a request waits for budget before its work is retried later.
REQUEST_BUDGET_MAX_WAIT: float = env.float("REQUEST_BUDGET_MAX_WAIT", default=30.0)
# Fairness between shops: sweeps and backfills go to this django-q2 queue when set (run a worker
# for it with Q_CLUSTER_NAME=<name> manage.py qcluster); live orders keep the main queue. Either
# way at most SYNC_BULK_TASKS sweeps run at once per host, so live work always finds a worker.
SYNC_BULK_CLUSTER: str = env.str("SYNC_BULK_CLUSTER", default="")
Q_CLUSTER["ALT_CLUSTERS"] = {SYNC_BULK_CLUSTER: {}} if SYNC_BULK_CLUSTER else {}
SYNC_BULK_TASKS: int = env.int("SYNC_BULK_TASKS", default=max(1, Q_CLUSTER["workers"] - 1))

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
    },
}

# --- Secrets at rest ---
# Comma-separated Fernet keys (urlsafe base64, 32 bytes). The first encrypts, all
# decrypt: prepend a new key and run `manage.py rotate_encryption_keys` to rotate.
# Empty: a key derived from SECRET_KEY (development only; check --deploy warns).
FIELD_ENCRYPTION_KEYS: list[str] = env.list("FIELD_ENCRYPTION_KEYS", default=[])

# --- Cache: the install rate limit's counters ---
# The default (memory) is per process: with several gunicorn workers or hosts each
# counts on its own. Production sets a shared one: dbcache://shopqb_cache (after
# `manage.py createcachetable`) or redis://host:6379/1.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# --- Embedded app: install, session tokens (accounts/), webhooks (syncing/webhooks.py) ---
# /auth/install requests allowed per client address and per shop in 10 minutes;
# each writes an OAuth state row.
INSTALL_RATE_LIMIT_PER_IP: int = env.int("INSTALL_RATE_LIMIT_PER_IP", default=30)
INSTALL_RATE_LIMIT_PER_SHOP: int = env.int("INSTALL_RATE_LIMIT_PER_SHOP", default=10)
# App Bridge; Shopify requires the CDN copy. The sandbox serves a local stand-in.
SHOPIFY_APP_BRIDGE_URL: str = env.str(
    "SHOPIFY_APP_BRIDGE_URL", default="https://cdn.shopify.com/shopifycloud/app-bridge.js"
)
# Where a shop's admin shows the app (after OAuth we send the merchant there).
SHOPIFY_ADMIN_APP_URL: str = env.str("SHOPIFY_ADMIN_APP_URL", default=SHOPIFY_ADMIN_BASE + "/admin/apps/{api_key}")
# An order's page in the shop's admin ({shop}: the myshopify domain, {handle}: its first
# label, {order_id}: the order's numeric id); the Orders page opens it in the top frame.
SHOPIFY_ADMIN_ORDER_URL: str = env.str(
    "SHOPIFY_ADMIN_ORDER_URL",
    default="https://admin.shopify.com/store/{handle}/orders/{order_id}"
    if SHOPIFY_ADMIN_BASE == "https://{shop}"
    else SHOPIFY_ADMIN_BASE + "/admin/orders/{order_id}",
)
# Webhook bodies larger than this are refused (413) before anything is parsed.
SHOPIFY_WEBHOOK_MAX_BYTES: int = env.int("SHOPIFY_WEBHOOK_MAX_BYTES", default=2 * 1024 * 1024)
# Webhooks whose X-Shopify-Triggered-At is older than this are refused (400). Shopify
# retries a failed delivery with its original timestamp for 4 hours (48 under its
# older schedule) and a delivery can be a day late: 48 hours lets all of those in.
SHOPIFY_WEBHOOK_MAX_AGE_SECONDS: int = env.int("SHOPIFY_WEBHOOK_MAX_AGE_SECONDS", default=48 * 60 * 60)
# Access tokens are refreshed this many seconds before they expire.
TOKEN_REFRESH_MARGIN_SECONDS: int = env.int("TOKEN_REFRESH_MARGIN_SECONDS", default=300)
# requests-oauthlib and oauthlib log tokens, headers and request bodies at DEBUG:
# they stay at WARNING whatever LOG_LEVEL says (a test greps the logs for tokens).
for _noisy in ("requests_oauthlib", "oauthlib"):
    LOGGING["loggers"].setdefault(_noisy, {"level": "WARNING"})

# --- Email: alerts to merchants and to the operators (operations/) ---
# EMAIL_URL as django-environ reads it (smtp+tls://user:password@host:587, smtp+ssl://...:465,
# consolemail://), or EMAIL_HOST and friends. Neither: the console backend, which writes each
# message to the process's output (a fresh checkout and the demo send nothing).
_email_host: str = env.str("EMAIL_HOST", default="")
if _email_host and not env.str("EMAIL_URL", default=""):
    _email: dict[str, Any] = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": _email_host,
        "EMAIL_PORT": env.int("EMAIL_PORT", default=587),
        "EMAIL_HOST_USER": env.str("EMAIL_HOST_USER", default=""),
        "EMAIL_HOST_PASSWORD": env.str("EMAIL_HOST_PASSWORD", default=""),
        "EMAIL_USE_TLS": env.bool("EMAIL_USE_TLS", default=True),
        "EMAIL_USE_SSL": env.bool("EMAIL_USE_SSL", default=False),
    }
else:
    _email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND: str = _email["EMAIL_BACKEND"]
EMAIL_HOST: str = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT: int = int(_email.get("EMAIL_PORT") or 25)
EMAIL_HOST_USER: str = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD: str = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS: bool = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL: bool = bool(_email.get("EMAIL_USE_SSL"))
EMAIL_TIMEOUT: int = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL: str = env.str("DEFAULT_FROM_EMAIL", default="ShopQB <shopqb@localhost>")
SERVER_EMAIL: str = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_SUBJECT_PREFIX: str = env.str("EMAIL_SUBJECT_PREFIX", default="[ShopQB] ")
# The operators: "Name <address>" or bare addresses, comma-separated. They get every alert, and
# Django's own reports of server errors.
ADMINS: list[tuple[str, str]] = [
    (name.strip(), address.rstrip(">").strip())
    for name, _, address in (value.rpartition("<") for value in env.list("ADMINS", default=[]))
]

# --- Alerts, readiness and metrics (operations/) ---
# An alert is raised when no sync pass of a live shop has completed for this long.
ALERT_SWEEP_STALE_MINUTES: int = env.int("ALERT_SWEEP_STALE_MINUTES", default=60)
# ... when a shop's orders have waited this long in the queue to be written.
ALERT_BACKLOG_MINUTES: int = env.int("ALERT_BACKLOG_MINUTES", default=30)
# ... (to the operators) when the task queue holds at least this many tasks and holds more than it
# did ALERT_QUEUE_WINDOW_MINUTES ago.
ALERT_QUEUE_DEPTH: int = env.int("ALERT_QUEUE_DEPTH", default=200)
ALERT_QUEUE_WINDOW_MINUTES: int = env.int("ALERT_QUEUE_WINDOW_MINUTES", default=15)
# ... when a shop has issues open for longer than this.
ALERT_ISSUE_AGE_HOURS: int = env.int("ALERT_ISSUE_AGE_HOURS", default=24)
# Email alerts to the shop's owner too (Shopify's shop email), not only to ADMINS.
ALERT_EMAIL_MERCHANTS: bool = env.bool("ALERT_EMAIL_MERCHANTS", default=True)
# /readyz fails when no worker has written its heartbeat (every minute) for this long.
WORKER_HEARTBEAT_MAX_AGE_SECONDS: int = env.int("WORKER_HEARTBEAT_MAX_AGE_SECONDS", default=180)
# /metrics answers only with "Authorization: Bearer <METRICS_TOKEN>"; empty: /metrics is off (404).
METRICS_TOKEN: str = env.str("METRICS_TOKEN", default="")
