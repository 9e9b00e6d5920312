"""Custos settings, driven by environment variables (see docs/configuration.md, "Environment variables").

Two runtime profiles share this one module:

* embedded (default): SQLite and a SQLAlchemy-on-SQLite Celery broker under
  ``var/``, development keys generated there on first run;
* services (``DATABASE_URL``, ``CELERY_BROKER_URL``): PostgreSQL and Redis or
  RabbitMQ. With ``DJANGO_ENV=production`` start-up refuses to run without its
  secrets and hosts.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from compliance import devkeys

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be 'development' or 'production', not {DJANGO_ENV!r}.")
PRODUCTION = DJANGO_ENV == "production"

VAR_DIR = Path(env.str("CUSTOS_VAR_DIR", default=str(BASE_DIR / "var")))

if PRODUCTION:
    # Fail closed: a production process never invents its own secrets.
    _required = ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "SIGNING_KEY", "ALLOWED_HOSTS", "DATABASE_URL"]
    _missing = [name for name in _required if not env.str(name, default="").strip()]
    if _missing:
        raise ImproperlyConfigured(
            "DJANGO_ENV=production needs these environment variables: " + ", ".join(_missing) + "."
        )
    _dev_keys = {}
else:
    _dev_keys = devkeys.load_or_create(VAR_DIR)
    _dev_keys["SIGNING_KEY"] = devkeys.load_or_create_signing_key(VAR_DIR)

SECRET_KEY = env.str("SECRET_KEY", default=_dev_keys.get("SECRET_KEY", ""))
FIELD_ENCRYPTION_KEYS = [
    key.strip()
    for key in env.str("FIELD_ENCRYPTION_KEYS", default=_dev_keys.get("FIELD_ENCRYPTION_KEYS", "")).split(",")
    if key.strip()
]
# The integrity key (compliance/crypto/signing.py): URL-safe base64 of a 32-byte Ed25519
# seed that signs audit reports and checkpoints. After a rotation, list the old public
# keys in SIGNING_PUBLIC_KEYS_EXTRA so what they signed still verifies.
SIGNING_KEY = env.str("SIGNING_KEY", default=_dev_keys.get("SIGNING_KEY", ""))
SIGNING_PUBLIC_KEYS_EXTRA = env.list("SIGNING_PUBLIC_KEYS_EXTRA", default=[])
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    "axes",
    "guardian",
    "django_otp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Custos. The project package is an app too: shell pages, health, demo data.
    "compliance.apps.ComplianceConfig",
    "compliance.accounts",
    "compliance.audit",
    "compliance.crypto",
    "datasets",
    "consent",
    "consent.erasure",
    "compliance.controls",
    "compliance.staff_training",
    "compliance.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "compliance.accounts.middleware.SessionLifetimeMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "compliance.accounts.middleware.MFARequiredMiddleware",
    # After MFA: warns or refuses DPOs, stewards and ML engineers overdue on training (TRAINING_GATE).
    "compliance.staff_training.gate.TrainingGateMiddleware",
    "compliance.accounts.middleware.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Axes last, as its documentation requires, so it sees the final response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "compliance.urls"
WSGI_APPLICATION = "compliance.wsgi.application"
ASGI_APPLICATION = "compliance.asgi.application"

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
                "compliance.context_processors.navigation",
                "compliance.staff_training.gate.training_gate",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'custos.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the Celery worker write at once: WAL lets readers go on
    # while one writer works, IMMEDIATE takes the write lock at BEGIN so two writers
    # queue on the busy timeout instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------
# Shared by every process of one deployment, because API throttling counts live
# here: a per-process cache would multiply the limit by the number of workers.
CACHES = {"default": env.cache("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}

# --- Accounts, passwords, sessions -------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses locked-out username/IP pairs before any password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_IDLE_TIMEOUT = timedelta(minutes=env.int("SESSION_IDLE_MINUTES", default=30))
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=env.int("SESSION_ABSOLUTE_HOURS", default=12))
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION

# django-otp: TOTP with a one-step tolerance for clock drift.
OTP_TOTP_ISSUER = env.str("OTP_ISSUER", default="Custos")
MFA_TOTP_TOLERANCE = 1
MFA_BACKUP_CODE_COUNT = 10

# django-axes: lock a username from one IP after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0)
AXES_VERBOSE = False

GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; anonymous visitors see nothing

# --- REST API (/api/v1/, see compliance/api/) ----------------------------------
REST_FRAMEWORK = {
    # A Bearer key first, so its 401 challenge is the one clients see; then the
    # browser session, once past MFA (and CSRF-checked for writes).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "compliance.api.authentication.ApiKeyAuthentication",
        "compliance.api.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only, in every environment: the browsable API's pages need inline
    # styles the CSP forbids; /api/v1/docs/ is the page for people.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": ["compliance.api.throttling.ApiKeyRateThrottle"],
    "EXCEPTION_HANDLER": "compliance.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
API_KEY_RATE = env.str("API_KEY_RATE", default="600/min")
SPECTACULAR_SETTINGS = {
    "TITLE": "Custos API",
    "DESCRIPTION": (
        "Registry, consent and erasure for pipelines and product back ends. Authenticate with "
        "`Authorization: Bearer <API key>`; each write names the scope it needs. Errors are JSON: "
        '`{"detail": "...", "code": "..."}`, with `errors` (field → messages) on 400.'
    ),
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI from drf-spectacular-sidecar's static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets whose field name ("status") other choice sets share get a name of their own.
    "ENUM_NAME_OVERRIDES": {
        "DatasetStatusEnum": "datasets.models.Dataset.Status",
        "TrainingRunStatusEnum": "datasets.models.RunStatus",
        "ErasureRequestStatusEnum": "consent.erasure.models.RequestStatus",
        "ErasureStepStatusEnum": "consent.erasure.models.StepStatus",
        "AccessRequestStatusEnum": "consent.erasure.access_models.AccessStatus",
        "AccessResultStatusEnum": "consent.erasure.access_models.AccessResultStatus",
        "ConsentImportStatusEnum": "consent.models.ConsentImport.Status",
        "ConsentImportFormatEnum": "consent.models.ConsentImport.Format",
        "LawfulBasisEnum": "datasets.models.LawfulBasis",
        "RegimeEnum": "consent.jurisdictions.Regime",
        "AuditReportStatusEnum": "compliance.reports.models.AuditReport.Status",
    },
}

# --- Security headers ---------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
if PRODUCTION:
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)  # a year; the floor is six months
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # On by default so `check --deploy` passes unsilenced (security.W021). The
    # header alone submits nothing: joining the browsers' preload list is a separate
    # request, but once there, dropping HTTPS for any subdomain takes months to undo.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# Everything the pages need is served from here: no inline script or style, no CDN.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Encryption ---------------------------------------------------------------
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: set at least one key (manage.py generate_encryption_key).")
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="") or None

# --- Registry -----------------------------------------------------------------
# Filesystem and SQLite storage locations must lie under one of these directories
# (symlinks and ".." resolved), so a registered location cannot point Custos's
# connectors at arbitrary files on the host.
CONNECTOR_FILESYSTEM_ROOTS = env.list("CONNECTOR_FILESYSTEM_ROOTS", default=[str(VAR_DIR / "stores")])

# --- Consent receipts ----------------------------------------------------------
# Who the data controller is and how a person withdraws, as consent receipts
# (ISO/IEC TS 27560, Kantara v1.1) tell them.
CUSTOS_CONTROLLER_NAME = env.str("CUSTOS_CONTROLLER_NAME", default="Custos demo organisation")
CUSTOS_CONTROLLER_CONTACT = env.str("CUSTOS_CONTROLLER_CONTACT", default="privacy@example.org")
CUSTOS_CONTROLLER_ADDRESS = env.str("CUSTOS_CONTROLLER_ADDRESS", default="")
# The data protection officer's contact, as the record of processing (GDPR Art. 30(1)(a)) names it.
CUSTOS_DPO_CONTACT = env.str("CUSTOS_DPO_CONTACT", default="dpo@example.org")
CUSTOS_PRIVACY_POLICY_URL = env.str("CUSTOS_PRIVACY_POLICY_URL", default="")
CUSTOS_WITHDRAWAL_METHOD = env.str(
    "CUSTOS_WITHDRAWAL_METHOD",
    default="Write to the contact above, or use the privacy settings of the product where you gave consent.",
)

# --- Consent imports (consent/imports/) -------------------------------------------
# Uploads are stored under MEDIA_ROOT/imports/ (shared by web and workers) and read as streams.
CONSENT_IMPORT_MAX_BYTES = env.int("CONSENT_IMPORT_MAX_BYTES", default=1024**3)
CONSENT_IMPORT_BATCH_ROWS = env.int("CONSENT_IMPORT_BATCH_ROWS", default=10_000)
# A task works this long, then hands the rest of the file to a new task: well below the time limits.
CONSENT_IMPORT_TASK_SECONDS = env.int("CONSENT_IMPORT_TASK_SECONDS", default=120)
CONSENT_IMPORT_QUEUE = env.str("CONSENT_IMPORT_QUEUE", default="") or None

# --- Erasure -------------------------------------------------------------------
# Requests under the internal policy (subjects outside GDPR and CCPA) are due this
# many days after receipt; a request counts as due soon this many days ahead.
ERASURE_POLICY_DAYS = env.int("ERASURE_POLICY_DAYS", default=30)
ERASURE_DUE_SOON_DAYS = env.int("ERASURE_DUE_SOON_DAYS", default=7)
# The execution engine (consent/erasure/execution.py). A claimed step is leased this
# long: more than the tasks' hard time limit, so the sweeper never re-enqueues a
# step whose worker is still allowed to run. A step is tried at most this many
# times (transient errors and lost workers together) before it fails.
ERASURE_STEP_LEASE_SECONDS = env.int("ERASURE_STEP_LEASE_SECONDS", default=600)
ERASURE_MAX_ATTEMPTS = env.int("ERASURE_MAX_ATTEMPTS", default=6)
# Transient errors wait base × 2^(attempt-1) seconds, capped, with jitter.
ERASURE_RETRY_BACKOFF_SECONDS = env.int("ERASURE_RETRY_BACKOFF_SECONDS", default=10)
ERASURE_RETRY_BACKOFF_MAX_SECONDS = env.int("ERASURE_RETRY_BACKOFF_MAX_SECONDS", default=300)
ERASURE_QUEUE = env.str("ERASURE_QUEUE", default="") or None
# Certificates render on this queue when set (low priority), else on ERASURE_QUEUE.
ERASURE_CERTIFICATE_QUEUE = env.str("ERASURE_CERTIFICATE_QUEUE", default="") or None
# Access requests (consent/erasure/access_*.py): archives are stored here, encrypted,
# outside the web root, and deleted this many hours after they are generated.
ACCESS_EXPORT_ROOT = Path(env.str("ACCESS_EXPORT_ROOT", default=str(VAR_DIR / "access-exports")))
ACCESS_EXPORT_TTL_HOURS = env.int("ACCESS_EXPORT_TTL_HOURS", default=72)

# --- Staff training (compliance/staff_training/, docs/training.md) ----------------
# An open assignment is "due soon" this many days before its due date; a recurring
# course's renewal is assigned this many days before the completion lapses.
TRAINING_DUE_SOON_DAYS = env.int("TRAINING_DUE_SOON_DAYS", default=14)
TRAINING_RENEWAL_NOTICE_DAYS = env.int("TRAINING_RENEWAL_NOTICE_DAYS", default=30)
# The check training.staff_current fails below this share of in-scope employees current.
TRAINING_CURRENT_THRESHOLD = env.float("TRAINING_CURRENT_THRESHOLD", default=0.95)
# "warn": a banner on every page for a DPO, data steward or ML engineer (the roles holding
# staff_training.gated_by_training) overdue on training;
# "block": also refuse them the personal-data pages below (403 page naming the course; audited).
TRAINING_GATE = env.str("TRAINING_GATE", default="warn")
# URL names ("namespace:name") or whole namespaces ("namespace") the block mode refuses.
TRAINING_GATE_PROTECTED_VIEWS = env.list(
    "TRAINING_GATE_PROTECTED_VIEWS",
    default=[
        "consent:subject_search",
        "consent:subject_detail",
        "consent:subject_reveal",
        "consent:subject_receipt",
        "consent:record",
        "consent:withdraw",
        "consent:event_receipt",
        "consent:import_errors",
        "erasure",
        # Register exports (CSV / JSON of records, some of them about people).
        "reports:export",
    ],
)
if TRAINING_GATE not in ("warn", "block"):
    raise ImproperlyConfigured(f"TRAINING_GATE must be 'warn' or 'block', not {TRAINING_GATE!r}.")

# --- Compliance controls (compliance/controls/) --------------------------------
# Evidence files are stored here encrypted, under generated names: outside the web
# root (never under STATIC_ROOT or MEDIA_ROOT), shared by the web servers.
EVIDENCE_ROOT = Path(env.str("EVIDENCE_ROOT", default=str(VAR_DIR / "evidence")))
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=20 * 1024**2)

# --- Audit reports (compliance/reports/) -----------------------------------------
# Rendered PDFs are stored here under generated names, outside the web root like evidence.
REPORTS_ROOT = Path(env.str("REPORTS_ROOT", default=str(VAR_DIR / "reports")))
# The report task's limits: below the broker's visibility timeout, so a long report is never delivered twice.
REPORT_TASK_SOFT_TIME_LIMIT = env.int("REPORT_TASK_SOFT_TIME_LIMIT", default=1500)
REPORT_TASK_TIME_LIMIT = env.int("REPORT_TASK_TIME_LIMIT", default=1560)
REPORTS_QUEUE = env.str("REPORTS_QUEUE", default="") or None

# --- Internationalisation and time ---------------------------------------------
LANGUAGE_CODE = "en-gb"
# Statutory deadlines are computed in the organisation's time zone.
TIME_ZONE = env.str("ORGANISATION_TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    # Development serves from the finders and leaves STATIC_ROOT empty, but WhiteNoise
    # warns at every start when the directory is missing.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

# --- Mail ---------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="custos@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery -------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# The database is the source of truth for every job; no result backend is needed.
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
# On Redis (and SQS) a message not acknowledged within this many seconds is
# redelivered; it must exceed every task's hard time limit or a slow task would run
# twice at once. kombu's SQLAlchemy transport has no such timeout (a lost worker's
# messages go back to the queue when it stops) and hands unknown transport options
# to SQLAlchemy's create_engine, which rejects them: it gets none.
BROKER_VISIBILITY_TIMEOUT_SECONDS = 3600
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {} if CELERY_BROKER_URL.startswith("sqla+") else {"visibility_timeout": BROKER_VISIBILITY_TIMEOUT_SECONDS}
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "compliance.tasks.record_worker_heartbeat", "schedule": 15.0},
    "audit-verify-and-checkpoint": {"task": "compliance.audit.tasks.verify_and_checkpoint", "schedule": 3600.0},
    "consent-lapse-expired": {"task": "consent.tasks.lapse_expired_consents", "schedule": 3600.0},
    # Idempotent (one mail per threshold and due date), so hourly costs nothing and catches a missed run.
    "erasure-reminders": {"task": "consent.erasure.tasks.send_erasure_reminders", "schedule": 3600.0},
    # Steps whose worker died (lease expired) or whose message was lost are found here.
    "erasure-sweep-expired-leases": {"task": "consent.erasure.sweep_expired_leases", "schedule": 60.0},
    # The automated checks (compliance/controls/checks/): results kept per run, mapped controls turn red or green.
    "controls-run-checks": {"task": "controls.run_checks", "schedule": 3600.0},
    # Today's score of every assessment, one row per day updated in place: hourly catches a missed run (12-month trends).
    "controls-snapshot-scores": {"task": "controls.snapshot_scores", "schedule": 3600.0},
    # The manager dashboard's figures (compliance.reports), shown with their age.
    "reports-refresh-dashboard": {"task": "reports.refresh_dashboard", "schedule": 600.0},
    # Access exports: re-send lost location reads, delete archives past ACCESS_EXPORT_TTL_HOURS.
    "access-sweep": {"task": "consent.erasure.sweep_access_requests", "schedule": 60.0},
    # Staff training: the rules nightly (statuses, renewals, new policy versions), then reminders
    # (once per threshold, so a daily run suffices), and the managers' digest on Monday mornings.
    "training-sync-assignments": {"task": "staff_training.sync_assignments", "schedule": crontab(hour=1, minute=30)},
    "training-reminders": {"task": "staff_training.send_reminders", "schedule": crontab(hour=7, minute=0)},
    "training-manager-digests": {
        "task": "staff_training.send_manager_digests",
        "schedule": crontab(hour=7, minute=30, day_of_week="mon"),
    },
}
WORKER_HEARTBEAT_MAX_AGE = timedelta(seconds=60)

# --- Logging ------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint logs every rendering step at INFO; its warnings (a missing font, say) still show.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
