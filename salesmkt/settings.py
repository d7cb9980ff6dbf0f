"""Settings for salesmkt, read from the environment in this one place.

Without any environment the app runs on a bare machine: an embedded SQLite file and Celery tasks
run eagerly in-process. Production sets DATABASE_URL (PostgreSQL), CELERY_BROKER_URL (Redis),
SECRET_KEY, DEBUG=0 and ALLOWED_HOSTS.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
# Only for development: with DEBUG off the app refuses to start on it (core/checks.py).
DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-key-set-SECRET_KEY-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY") or DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "salesmkt.core.otp_apps.SignInAdminConfig",  # django.contrib.admin behind the sign-in limit
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "salesmkt.core",
    "salesmkt.finance",
    "crm",
    "inventory",
    "agreements",
    "orders",
    "invoicing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "salesmkt.core.request_errors.ApiErrorMiddleware",
    "salesmkt.core.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "salesmkt.core.otp.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "salesmkt.core.database_outage.DatabaseOutageMiddleware",
]

ROOT_URLCONF = "salesmkt.urls"
WSGI_APPLICATION = "salesmkt.wsgi.application"
ASGI_APPLICATION = "salesmkt.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "salesmkt.core.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite has no row locks: IMMEDIATE transactions serialise writers instead of failing them.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compiling pays off for long analytical scans, not for a page's queries: on the
    # backorders-by-item page (100,000 lines) it spent 580 ms compiling a 370 ms query.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ---------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
# One sign-in limit for every door (clerk page, admin, API token): the model backend, refusing a
# locked-out username before the password is checked (core/login_throttle.py).
AUTHENTICATION_BACKENDS = ["salesmkt.core.login_throttle.SignInLimitBackend"]
# Failed sign-ins per username and address before the pair is refused (429) for the window, and
# per username from any addresses (an attacker rotating addresses). Counted in the database.
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "10"))
LOGIN_FAILURE_LIMIT_PER_USERNAME = int(os.environ.get("LOGIN_FAILURE_LIMIT_PER_USERNAME", "50"))
LOGIN_FAILURE_WINDOW = timedelta(minutes=int(os.environ.get("LOGIN_FAILURE_WINDOW_MINUTES", "15")))
# Who must sign in with a code from an authenticator app as well: "none", "superusers" or "staff"
# (staff and superusers).
OTP_REQUIRED_FOR = os.environ.get("OTP_REQUIRED_FOR", "none" if DEBUG else "superusers")
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "salesmkt")

# --- Cache (sign-in failure counters, API throttling) ------------------------------------------
# With several web processes the counters must be shared: CACHE_URL names a Redis database
# (redis://host:6379/1). Without it each process counts on its own in memory. When Redis is down
# the counters are skipped (a warning is logged), never the request: see core/cache.py.
CACHE_URL = os.environ.get("CACHE_URL", "")
# After a cache call failed, the process answers from an empty cache for this long.
CACHE_BACKOFF_SECONDS = float(os.environ.get("CACHE_BACKOFF_SECONDS", "10"))
CACHES = {
    "default": (
        {
            "BACKEND": "salesmkt.core.cache.ResilientRedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("nb", _("Norwegian Bokmål")),
    ("nl", _("Dutch")),
    ("sv", _("Swedish")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Oslo")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"

# --- Security (production values when DEBUG is off) ---------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies in front of the app append to X-Forwarded-For. The client's address
# for throttling and sign-in limits is the one the outermost of them saw; with 0 the header is
# ignored (a client writes it as it likes) and the connection's address counts.
NUM_PROXIES = int(os.environ.get("NUM_PROXIES", "0"))
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# The load balancer's and compose's health probe speaks plain HTTP to the app itself.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Everything is served from this origin (vendored htmx, Bootstrap, Chart.js, Swagger UI): no inline
# script anywhere. Inline styles stay allowed for the style="" attributes of the templates and the
# <style> htmx and Swagger UI insert. Bootstrap draws some icons as data: SVG.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# --- Email --------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "salesmkt <sales@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# The address the app is reached at, for links in emails (unsubscribe, payment links).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Campaign mail: messages per batch a worker claims and sends over one SMTP connection.
CAMPAIGN_SEND_BATCH_SIZE = int(os.environ.get("CAMPAIGN_SEND_BATCH_SIZE", "200"))
# A worker's claim on a batch is a lease it renews as it mails; a batch whose lease ran out
# belonged to a worker that died and is recovered by the sweep (its last unconfirmed mail is never
# resent). Longer than one message takes to hand to the SMTP server.
CAMPAIGN_SEND_STALE_AFTER = timedelta(
    seconds=float(os.environ.get("CAMPAIGN_SEND_LEASE_SECONDS", "60"))
)

# The seller: these only seed the company profile (finance.CompanyProfile) on a fresh database;
# from then on it is edited in the app.
COMPANY_NAME = os.environ.get("COMPANY_NAME", "Nordlys Engros AS")
COMPANY_ADDRESS = os.environ.get("COMPANY_ADDRESS", "Alnabru 10, 0668 Oslo, Norway")
COMPANY_VAT_NUMBER = os.environ.get("COMPANY_VAT_NUMBER", "NO999888771MVA")
# The seller on e-invoices (EN 16931 BG-4): structured address, legal registration, the
# electronic address (Peppol EAS scheme and id) and the bank account payments go to.
COMPANY_STREET = os.environ.get("COMPANY_STREET", "Alnabru 10")
COMPANY_POSTAL_CODE = os.environ.get("COMPANY_POSTAL_CODE", "0668")
COMPANY_CITY = os.environ.get("COMPANY_CITY", "Oslo")
COMPANY_COUNTRY = os.environ.get("COMPANY_COUNTRY", "NO")
COMPANY_REGISTRATION = os.environ.get("COMPANY_REGISTRATION", "999888771")
# ISO 6523 ICD of the registration: 0192 is the Norwegian organization number (Enhetsregisteret).
COMPANY_REGISTRATION_SCHEME = os.environ.get("COMPANY_REGISTRATION_SCHEME", "0192")
COMPANY_ENDPOINT_SCHEME = os.environ.get("COMPANY_ENDPOINT_SCHEME", "0192")
COMPANY_ENDPOINT_ID = os.environ.get("COMPANY_ENDPOINT_ID", "999888771")
COMPANY_IBAN = os.environ.get("COMPANY_IBAN", "NO9386011117947")
# An 8-character BIC: the bank's head office.
COMPANY_BIC = os.environ.get("COMPANY_BIC", "DNBANOKK")

# A payment link in invoice mails and PDFs; {number}, {amount} and {currency} are filled in.
# Example: https://www.paypal.com/paypalme/nordlys/{amount}{currency}
PAYMENT_LINK_TEMPLATE = os.environ.get("PAYMENT_LINK_TEMPLATE", "")

# The ledger account customer payments arrive on.
PAYMENT_BANK_ACCOUNT = os.environ.get("PAYMENT_BANK_ACCOUNT", "1920")

# --- Celery -------------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "")
# Without a broker, tasks run eagerly in-process so the app works on a bare machine.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A frozen Redis accepts connections (the kernel does) and never answers, so every broker socket
# has a read timeout too. Workers and beat wait up to these; a request waits less (below).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 10}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_REDIS_SOCKET_TIMEOUT = 10
# A request never retries a publish: the work is already recorded in PostgreSQL and the sweeps
# queue it later (core/queueing.py). One try, bounded by CELERY_PUBLISH_TIMEOUT seconds for the
# connect and for each answer; after a failure the process skips the broker for
# CELERY_PUBLISH_BACKOFF seconds, so the requests after it do not wait at all.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 0}
CELERY_PUBLISH_TIMEOUT = float(os.environ.get("CELERY_PUBLISH_TIMEOUT_SECONDS", "0.5"))
CELERY_PUBLISH_BACKOFF = float(os.environ.get("CELERY_PUBLISH_BACKOFF_SECONDS", "10"))
# The sweeps that find work a lost message or a dead worker left: every SWEEP_INTERVAL. A pending
# document is the sweep's once older than DOCUMENT_SWEEP_AFTER (before that its own task is on
# the way); a render or mail claimed by a worker is a lease of DOCUMENT_LEASE that the worker
# holds while it works, and a mail whose worker died is marked interrupted, never resent.
SWEEP_INTERVAL = timedelta(seconds=float(os.environ.get("SWEEP_INTERVAL_SECONDS", "60")))
DOCUMENT_SWEEP_AFTER = timedelta(
    seconds=float(os.environ.get("DOCUMENT_SWEEP_AFTER_SECONDS", "30"))
)
DOCUMENT_LEASE = timedelta(seconds=float(os.environ.get("DOCUMENT_LEASE_SECONDS", "60")))
# Without a broker a document is rendered (and mailed) by a thread of the process after the
# response that asked for it, or when first downloaded; DOCUMENT_RENDER_IN_REQUEST renders it in
# that request once its transaction committed, as before (the tests that read the PDF at once).
DOCUMENT_RENDER_IN_REQUEST = env_bool("DOCUMENT_RENDER_IN_REQUEST", False)
# A document of more lines than this renders its lines table this many lines at a time (its
# memory stays that of one chunk, whatever the document's size); 0 renders it in one piece.
DOCUMENT_CHUNK_LINES = int(os.environ.get("DOCUMENT_CHUNK_LINES", "500"))
# An invoice run's row is claimed by a row lock in the transaction that posts it; a worker that
# stops answering inside it is cut off by PostgreSQL after this long and the row is free again.
INVOICE_RUN_ROW_LEASE = timedelta(
    seconds=float(os.environ.get("INVOICE_RUN_ROW_LEASE_SECONDS", "60"))
)
CELERY_BEAT_SCHEDULE = {
    "resume-pending-documents": {
        "task": "salesmkt.core.tasks.resume_pending_documents",
        "schedule": SWEEP_INTERVAL,
    },
    "close-expired-sales-agreements": {
        "task": "agreements.tasks.close_expired_sales_agreements",
        "schedule": timedelta(hours=1),
    },
    "resume-campaign-sends": {
        "task": "crm.tasks.resume_campaign_sends",
        "schedule": SWEEP_INTERVAL,
    },
    "resume-invoice-runs": {
        "task": "invoicing.tasks.resume_invoice_runs",
        "schedule": SWEEP_INTERVAL,
    },
    "purge-expired-idempotency-keys": {
        "task": "salesmkt.core.tasks.purge_expired_idempotency_keys",
        "schedule": timedelta(hours=1),
    },
    "purge-old-sign-in-failures": {
        "task": "salesmkt.core.tasks.purge_old_sign_in_failures",
        "schedule": timedelta(minutes=30),
    },
}

# --- REST API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "salesmkt.core.api.permissions.ModelPermissions",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "salesmkt.core.api.parsers.JSONParser",
        "salesmkt.core.api.parsers.FormParser",
        "salesmkt.core.api.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "salesmkt.core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "salesmkt.core.api.filters.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "salesmkt.core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "salesmkt.core.api.exceptions.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    # Per user (and per address for anonymous requests); counted in the cache above.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "60/minute"),
        "user": os.environ.get("API_THROTTLE_USER", "2000/minute"),
    },
    "NUM_PROXIES": NUM_PROXIES,  # never None: DRF would then trust any X-Forwarded-For
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "salesmkt API",
    "DESCRIPTION": (
        "The sales and marketing module of an ERP. Errors carry a stable `code`: 400 with field "
        "errors for bad input, 401/403, 404, 409 for a transition the status does not allow. "
        "POSTs honour an `Idempotency-Key` header."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RelationshipSourceEnum": "crm.models.relationships.Source",
        "TargetSourceEnum": "crm.models.campaigns.TARGET_SOURCES",
        "CallOutcomeEnum": "crm.models.campaigns.CALL_OUTCOMES",
        "PurchaseOrderStatusEnum": "inventory.models.PurchaseOrder.Status",
        "SalesOrderLineStatusEnum": "orders.models.SalesOrderLine.Status",
    },
}

# The most lines one document (order, quotation, packing slip, invoice, agreement, purchase) may
# have in the API; a longer list is a 400 naming `lines`. 5,000 lines post in about 12 s on
# SQLite; more is a data load, not an order.
MAX_DOCUMENT_LINES = int(os.environ.get("MAX_DOCUMENT_LINES", "5000"))

# The dates a document or payment may carry (`salesmkt.core.dates`): none before the earliest
# (ISO date; older records are a data migration, not an entry) nor more than so many years ahead
# (long agreements and promised dates fit; 9999-12-31 does not).
EARLIEST_DOCUMENT_DATE = os.environ.get("EARLIEST_DOCUMENT_DATE", "2000-01-01")
MAX_DOCUMENT_YEARS_AHEAD = int(os.environ.get("MAX_DOCUMENT_YEARS_AHEAD", "10"))
# An invoice or credit note is posted dated at most this many days after today: numbers ascend
# with dates in a series, so one far ahead would block every posting until its date.
INVOICE_MAX_DAYS_AHEAD = int(os.environ.get("INVOICE_MAX_DAYS_AHEAD", "31"))

# How long an Idempotency-Key and its first response are kept, per user.
IDEMPOTENCY_KEY_TTL = timedelta(hours=int(os.environ.get("IDEMPOTENCY_KEY_TTL_HOURS", "24")))
# A request with a key runs in one transaction with the key's record, so a process that dies
# gives the key up with its transaction. A retry while the first is still running waits up to
# IDEMPOTENCY_WAIT for it (then replays its answer), else answers 409; a claim that was committed
# unfinished is taken over once IDEMPOTENCY_LEASE has passed, and PostgreSQL ends a transaction
# left idle that long (a frozen process).
IDEMPOTENCY_WAIT = timedelta(seconds=float(os.environ.get("IDEMPOTENCY_WAIT_SECONDS", "5")))
IDEMPOTENCY_LEASE = timedelta(seconds=float(os.environ.get("IDEMPOTENCY_LEASE_SECONDS", "60")))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint and fontTools log every rendering step at INFO.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
    },
}
