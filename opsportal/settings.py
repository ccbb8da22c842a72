"""Settings, read from the environment (and `.env` if present) through django-environ.

With nothing set, the portal runs embedded: SQLite (WAL) in var/, a local Redis, emails written
to files in var/mail/. Production sets SECRET_KEY, DATABASE_URL, REDIS_URL, EMAIL_URL, DEBUG=off
and ALLOWED_HOSTS, and passes `manage.py check --deploy`. `.env.example` lists every variable.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from opsportal.beat import collect_schedule

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- core -------------------------------------------------------------------------------------

# The embedded default (nothing set) is a local demo: DEBUG on, a fixed development key.
# Production sets DEBUG=off and its own SECRET_KEY; the development key is refused there.
DEBUG = env.bool("DEBUG", default=True)
_EMBEDDED_SECRET_KEY = "django-insecure-embedded-default-set-SECRET_KEY-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=_EMBEDDED_SECRET_KEY)
if not DEBUG and SECRET_KEY == _EMBEDDED_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
ROOT_URLCONF = "opsportal.urls"
WSGI_APPLICATION = "opsportal.wsgi.application"
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- database ---------------------------------------------------------------------------------

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and one writer work together; IMMEDIATE takes the write lock at BEGIN so
    # two transactions never both read and then fail to upgrade (the SQLite "database is locked").
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    # A new PostgreSQL connection costs ~4.5 ms (PERFORMANCE.md): keep them.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's, with the health check skipped for a connection that just worked.
        DATABASES["default"]["ENGINE"] = "opsportal.postgresql"
# The hot path's fixed statements stay prepared on their connection (opsportal.db); turn off
# behind a pooler in transaction mode that does not track prepared statements.
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
if DATABASE_PREPARED_STATEMENTS and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Plan them once: left to choose, PostgreSQL plans some anew on every run (~0.15 ms each).
    # Only those statements are prepared (Django's own bind on the client), so only they and
    # the foreign-key checks (simple key lookups) see this.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c plan_cache_mode=force_generic_plan"

# --- apps -------------------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
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
    "template_partials",
    "simple_history",
    "axes",
    "opsportal",
    "inventory",
    "vendors",
    "orders",
    "quality",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last: it sees the resolved view and refuses any that declares no access rule.
    "opsportal.roles.AccessRuleMiddleware",
]

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
                "opsportal.navigation.navigation",
            ],
        },
    },
]

# --- auth -------------------------------------------------------------------------------------

AUTH_USER_MODEL = "opsportal.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 12)

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)

# --- static / media ---------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
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
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Signed vendor contracts: PDF only, at most this many bytes (checked by content, never public).
VENDORS_CONTRACT_DOCUMENT_MAX_BYTES = env.int(
    "VENDORS_CONTRACT_DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024
)
# Seconds a process keeps carrier rate cards for quoting (changes in-process drop them at once).
VENDORS_RATE_CACHE_SECONDS = env.int("VENDORS_RATE_CACHE_SECONDS", default=60)
# Seconds a process keeps products by SKU and active warehouses for order intake (0 = off);
# another process's change shows within this time; stock itself is always read under lock.
ORDERS_INTAKE_CACHE_SECONDS = env.int("ORDERS_INTAKE_CACHE_SECONDS", default=5)
# Where links in emails point (contract reminders, NCRs): the portal as people reach it.
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

# --- email ------------------------------------------------------------------------------------

vars().update(env.email_url("EMAIL_URL", default=f"filemail://{VAR_DIR / 'mail'}"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="opsportal <ops@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# First retry delay of an outbox email after a transient SMTP error; doubles each time (max 1 h).
EMAIL_RETRY_BASE_SECONDS = env.int("EMAIL_RETRY_BASE_SECONDS", default=30)
# Customer emails queued in this many seconds are sent by one drain task (orders.notifications).
CUSTOMER_EMAIL_DRAIN_DELAY = env.float("CUSTOMER_EMAIL_DRAIN_DELAY", default=0.25)

# Carrier tracking webhooks (orders): an HMAC-SHA256 secret per carrier code, e.g.
# "ACME=s3cret,FASTSHIP=other", else the shared one; with neither, every call is refused.
CARRIER_WEBHOOK_SECRETS = env.dict("CARRIER_WEBHOOK_SECRETS", default={})
CARRIER_WEBHOOK_SECRET = env.str("CARRIER_WEBHOOK_SECRET", default="")

# --- Celery -----------------------------------------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
# A message not acknowledged within this time is delivered again; longer than any task may run.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
# Gathered from each app's beat.py (opsportal/beat.py explains).
CELERY_BEAT_SCHEDULE = collect_schedule()
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Seconds a worker heartbeat stays valid in Redis; /healthz/ wants a fresh one.
WORKER_HEARTBEAT_TTL = env.int("WORKER_HEARTBEAT_TTL", default=30)

# --- DRF --------------------------------------------------------------------------------------

# A token that worked is remembered per process this long (opsportal.authentication): a revoked
# token or a removed role still works on other processes for at most this many seconds.
API_TOKEN_CACHE_SECONDS = env.float("API_TOKEN_CACHE_SECONDS", default=2.0)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "opsportal.authentication.TokenAuthentication",
    ],
    # Deny by default: a view that declares no roles refuses everyone but superusers.
    "DEFAULT_PERMISSION_CLASSES": ["opsportal.roles.HasRole"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "opsportal API",
    "DESCRIPTION": "Orders, inventory, vendors and quality for an operations team.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Many models have a Status or Kind: name each enum after its model so none collide.
    "ENUM_NAME_OVERRIDES": {
        "TransferStatusEnum": "inventory.models.Transfer.Status",
        "StockMovementReasonEnum": "inventory.models.StockMovement.Reason",
        "DocumentJobKindEnum": "opsportal.models.DocumentJob.Kind",
        "DocumentJobStatusEnum": "opsportal.models.DocumentJob.Status",
        "ProductUnitEnum": "inventory.models.Product.Unit",
        "ProductAbcClassEnum": "inventory.models.Product.AbcClass",
        "StockMovementKindEnum": "inventory.models.StockMovement.Kind",
        "InventoryCheckStatusEnum": "inventory.models.InventoryCheck.Status",
        "InventoryCheckKindEnum": "inventory.models.InventoryCheck.Kind",
        "VendorKindEnum": "vendors.models.Vendor.Kind",
        "VendorStatusEnum": "vendors.models.Vendor.Status",
        "VendorContractStatusEnum": "vendors.models.VendorContract.Status",
        "CarrierServiceSpeedEnum": "vendors.models.CarrierService.Speed",
        "PurchaseOrderStatusEnum": "vendors.models.PurchaseOrder.Status",
        "OrderChannelEnum": "orders.models.Order.Channel",
        "OrderServiceLevelEnum": "orders.models.Order.ServiceLevel",
        "OrderStatusEnum": "orders.models.Order.Status",
        "OrderPaymentStatusEnum": "orders.models.Order.PaymentStatus",
        "OrderHoldKindEnum": "orders.models.Order.HoldKind",
        "ShipmentStatusEnum": "orders.models.Shipment.Status",
        "OrderEventKindEnum": "orders.models.OrderEvent.Kind",
        "CustomerEmailKindEnum": "orders.models.CustomerEmail.Kind",
        "CustomerEmailStatusEnum": "orders.models.CustomerEmail.Status",
        "ReturnRequestStatusEnum": "orders.models.ReturnRequest.Status",
        "ReturnRequestDispositionEnum": "orders.models.ReturnRequest.Disposition",
        "ReturnRequestRefundStatusEnum": "orders.models.ReturnRequest.RefundStatus",
        "ReturnLineReceiptDispositionEnum": "orders.returns.LINE_DISPOSITION_CHOICES",
        "LabelFormatEnum": "orders.labels.FORMAT_CHOICES",
        "InspectionPlanTriggerEnum": "quality.models.InspectionPlan.Trigger",
        "InspectionPlanSamplingEnum": "quality.models.InspectionPlan.Sampling",
        "InspectionStatusEnum": "quality.models.Inspection.Status",
        "NonConformanceOriginEnum": "quality.models.NonConformance.Origin",
        "NonConformanceSeverityEnum": "quality.models.NonConformance.Severity",
        "NonConformanceDispositionEnum": "quality.models.NonConformance.Disposition",
        "NonConformanceStatusEnum": "quality.models.NonConformance.Status",
        "CorrectiveActionKindEnum": "quality.models.CorrectiveAction.Kind",
        "CorrectiveActionStatusEnum": "quality.models.CorrectiveAction.Status",
        "ComplianceRequirementStatusEnum": "quality.models.ComplianceRequirement.Status",
        "SafetyIncidentKindEnum": "quality.models.SafetyIncident.Kind",
        "SafetyIncidentSeverityEnum": "quality.models.SafetyIncident.Severity",
        "SOPDocumentAreaEnum": "quality.models.SOPDocument.Area",
        "SOPVersionStatusEnum": "quality.models.SOPVersion.Status",
    },
}

# --- logging ----------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        # WeasyPrint logs every layout step of every page at INFO (100 lines per label batch).
        "weasyprint.progress": {"level": "WARNING"},
    },
}
