"""Settings, read from the environment (django-environ). Every variable is in docs/configuration.md.

With nothing set and DEBUG on, the console runs on embedded defaults: SQLite, a filesystem
Celery broker and e-mails written as files, all under var/. Outside DEBUG, SECRET_KEY and
FIELD_ENCRYPTION_KEYS must be given. Importing this module reads the environment (and, in
DEBUG, the development keys `make run` wrote under var/) and writes nothing. Mall endpoints
and OAuth providers are not here: each connector holds its own defaults, and a setting or
environment variable of the name it documents overrides them (connectors.conf).
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local, uncommitted .env (made from .env.example by `make run`) may set variables for
# development. Real environment variables win over it.
if (BASE_DIR / ".env").is_file() and not env.bool("IGNORE_DOTENV", default=False):
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

# Development keys: `make run` (scripts/dev_keys.py) writes them under var/ once; DEBUG runs
# read them, so a checkout needs no configuration. Production must set the variables.
DEV_KEY_FILES = {
    "SECRET_KEY": "dev-secret-key",
    "FIELD_ENCRYPTION_KEYS": "dev-field-encryption-keys",
}
# manage.py sets this for commands that neither serve nor touch stored data (check,
# makemigrations, makemessages, ...): they get a throw-away value that is never written.
OFFLINE_COMMAND = env.bool("TEMPOSTAR_OFFLINE_COMMAND", default=False)


def _required(name: str) -> str:
    value = env.str(name, default="")
    if value:
        return value
    if DEBUG:
        path = VAR_DIR / DEV_KEY_FILES[name]
        if path.is_file():
            return path.read_text().strip()
    if OFFLINE_COMMAND:
        return _throwaway(name)
    raise ImproperlyConfigured(
        f"{name} is not set. Outside DEBUG it is required (see docs/configuration.md). "
        "For local development run `make run` once: it writes .env and development keys "
        "under var/ (or run `python scripts/dev_keys.py`)."
    )


def _throwaway(name: str) -> str:
    if name == "FIELD_ENCRYPTION_KEYS":
        from cryptography.fernet import Fernet

        return Fernet.generate_key().decode()
    from django.core.management.utils import get_random_secret_key

    return get_random_secret_key()


SECRET_KEY = _required("SECRET_KEY")
# Comma-separated Fernet keys; the first encrypts, all decrypt (see tempostar.crypto).
FIELD_ENCRYPTION_KEYS = [
    k.strip() for k in _required("FIELD_ENCRYPTION_KEYS").split(",") if k.strip()
]

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "django_htmx",
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "tempostar",
    "connectors",
    "shops",
    "orders",
    "monitoring",
    "api",
    "twofactor",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "tempostar.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tempostar.middleware.JapaneseByDefaultMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads the body: the API's uploads are limited while they stream.
    "tempostar.uploads.ApiUploadLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # user.is_verified(): whether this session passed a second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    "tempostar.middleware.IdleSessionMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: refuses logins for locked-out usernames (see "Login protection" below).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tempostar.urls"
WSGI_APPLICATION = "tempostar.wsgi.application"
ASGI_APPLICATION = "tempostar.asgi.application"

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
                "tempostar.security.csp_nonce",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
# Keep database connections open between requests and tasks (a new PostgreSQL connection per
# task costs more than the task's own queries); broken ones are replaced before use.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded database is shared by the web server and worker threads: WAL lets readers
    # run beside the writer, IMMEDIATE transactions take the write lock up front, and a
    # writer waits up to 20 s for its turn instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # Checks the lockout before any password is compared (django-axes).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "shops:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Tokyo")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
# Static files are served by the app itself (whitenoise) under gunicorn; with DEBUG off they
# come from `collectstatic` with hashed, compressed names that browsers may cache for ever.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.bool("STATIC_MANIFEST", default=not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# E-mail: files under var/mail by default; smtp://user:pass@host:587 (or smtp+tls://) in prod.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="tempostar@localhost")

# Per-shop order-mail forwarding addresses are generated on this domain.
ORDER_MAIL_DOMAIN = env.str("ORDER_MAIL_DOMAIN", default="orders.example.com")

# Celery: a broker that needs no server by default (kombu's filesystem transport under var/).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Folders under var/, created when the app starts (tempostar.apps), never at import.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(VAR_DIR / "celery" / "queue"),
        "data_folder_out": str(VAR_DIR / "celery" / "queue"),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
        "polling_interval": 0.2,  # seconds between looks at the queue folder (default 1)
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE

# ---- work that always finishes (docs/reliability.md) ---------------------------------------
# A message is acknowledged only after its task ran, and handed back to the queue when the
# process running it dies; each worker process holds one message at a time, so a killed
# worker strands as few as possible. Checks and imports claim their row (tempostar.work), so
# a message delivered twice runs once.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The worker waits for a broker that is down (at start-up too) instead of exiting; tasks
# running when the broker connection drops finish (their rows record the result).
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_BROKER_CONNECTION_TIMEOUT = 2  # seconds; a web request learns fast that it is down
# Redis hands an unacknowledged message to another worker after the visibility timeout. It
# must outlast the longest task (a watch lane: 3,120 s hard limit) plus the longest countdown
# a task waits for (300 s), or a running task would be delivered twice.
BROKER_VISIBILITY_TIMEOUT = env.int("BROKER_VISIBILITY_TIMEOUT", default=3600)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
        "socket_connect_timeout": 2,
        "socket_timeout": 10,
    }
# Beat's own file only remembers when each entry last ran. Every periodic task here repeats
# within minutes and catches up from the database by itself, so a fresh disk (or a beat
# that was down) loses at most one interval: see docs/reliability.md.
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The recovery job (tempostar.tasks.recover_work) runs every WORK_RECOVERY_EVERY seconds. A
# check or import job still waiting WORK_PENDING_LIMIT seconds after its message was sent is
# sent again, at most WORK_MAX_REQUEUES times, then failed with the reason.
WORK_RECOVERY_EVERY = env.int("WORK_RECOVERY_EVERY", default=120)
WORK_PENDING_LIMIT = env.int("WORK_PENDING_LIMIT", default=300)
WORK_MAX_REQUEUES = env.int("WORK_MAX_REQUEUES", default=2)

# Expiry reminders: thresholds in days before expiry (0: the day it expires, -1: the day
# after), sent to the shop's recipients and the staff list. The run repeats every
# REMINDER_EVERY_MINUTES from REMINDER_TIME (TIME_ZONE) to the end of the day: claims keep
# each e-mail unique, so the repeats only retry what failed (after REMINDER_RETRY_AFTER) and
# pick up a run beat could not start.
REMINDER_THRESHOLDS = [
    int(d) for d in env.list("REMINDER_THRESHOLDS", default=["30", "14", "7", "3", "1", "0", "-1"])
]
REMINDER_TIME = env.str("REMINDER_TIME", default="09:00")
REMINDER_EVERY_MINUTES = env.int("REMINDER_EVERY_MINUTES", default=10)
REMINDER_STAFF_EMAILS = env.list("REMINDER_STAFF_EMAILS", default=[])
# A run sends REMINDER_CHUNK_SIZE e-mails per SMTP connection and starts no new e-mail after
# REMINDER_RUN_SECONDS (a follow-up run goes on at once), so its time limit never cuts a mail.
# SMTP commands time out after REMINDER_SMTP_TIMEOUT seconds; the reply to the end of a
# message is awaited REMINDER_SMTP_DATA_TIMEOUT seconds (RFC 5321 4.5.3.2.6 suggests 10
# minutes: giving up early is what turns a slow server into duplicates).
REMINDER_CHUNK_SIZE = env.int("REMINDER_CHUNK_SIZE", default=50)
REMINDER_RUN_SECONDS = env.int("REMINDER_RUN_SECONDS", default=240)
REMINDER_SMTP_TIMEOUT = env.float("REMINDER_SMTP_TIMEOUT", default=30.0)
REMINDER_SMTP_DATA_TIMEOUT = env.float("REMINDER_SMTP_DATA_TIMEOUT", default=180.0)
# A failed reminder is retried after REMINDER_RETRY_AFTER seconds, doubling, at most an hour.
REMINDER_RETRY_AFTER = env.int("REMINDER_RETRY_AFTER", default=300)
# Absolute address of the console, for links in e-mails and the OAuth redirect URI.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "tempostar.tasks.heartbeat", "schedule": 60.0},
    "expiry-reminders": {
        "task": "shops.send_expiry_reminders",
        "schedule": crontab(minute=f"*/{REMINDER_EVERY_MINUTES}"),
    },
    "refresh-access-tokens": {"task": "shops.refresh_access_tokens", "schedule": 600.0},
    "recover-work": {
        "task": "tempostar.tasks.recover_work",
        "schedule": float(WORK_RECOVERY_EVERY),
    },
}

SHOPS_PER_PAGE = env.int("SHOPS_PER_PAGE", default=50)

# Cache (the API's rate limit counts requests here): per process by default; with several
# web processes set CACHE_URL to a shared cache, e.g. redis://127.0.0.1:6379/1.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# REST API (/api/v1/): requests per token and period ("120/min", "1000/hour").
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="120/min")
NINJA_NUM_PROXIES = env.int("TRUSTED_PROXY_COUNT", default=0)

# Two-factor sign-in (django-otp): administrators (staff, or whoever may change credentials)
# must sign in with a second factor when MFA_REQUIRED is on (default: on outside DEBUG).
MFA_REQUIRED = env.bool("MFA_REQUIRED", default=not DEBUG)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="TEMPOSTAR")
MFA_RECOVERY_CODES = 10
# Passkeys (WebAuthn, django-otp-webauthn) as a second factor, never instead of the password.
# The relying party is the console's host name (an IP address cannot be one: then localhost);
# the browser's origin must be one of WEBAUTHN_ORIGINS (https://, or http://localhost).
from urllib.parse import urlsplit  # noqa: E402

_site = urlsplit(SITE_URL)
_site_is_ip = bool(_site.hostname) and _site.hostname.replace(".", "").isdigit()
OTP_WEBAUTHN_RP_ID = env.str(
    "WEBAUTHN_RP_ID", default="localhost" if _site_is_ip else (_site.hostname or "localhost")
)
OTP_WEBAUTHN_RP_NAME = env.str("WEBAUTHN_RP_NAME", default="TEMPOSTAR")
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list(
    "WEBAUTHN_ORIGINS",
    default=[
        f"http://localhost:{_site.port or 80}"
        if _site_is_ip
        else f"{_site.scheme}://{_site.netloc}"
    ],
)
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False

# Bulk shop registration (import_shops, /shops/import/): at most this many shops per file.
SHOP_IMPORT_MAX_ROWS = env.int("SHOP_IMPORT_MAX_ROWS", default=5000)
# A bulk shop file larger than this is refused before it is read (5,000 shops fit in ~5 MB).
SHOP_IMPORT_MAX_BYTES = env.int("SHOP_IMPORT_MAX_BYTES", default=10 * 1024 * 1024)

# Order / stock CSV imports: refused above these limits; files larger than
# IMPORT_INLINE_MAX_BYTES run in the worker with a progress bar.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=100 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=300_000)
IMPORT_INLINE_MAX_BYTES = env.int("IMPORT_INLINE_MAX_BYTES", default=256 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Connection checks (接続確認). The guard refuses internal addresses for user-entered hosts
# (loopback is allowed only by the test settings).
CONNECTION_CHECK_TIMEOUT = env.float("CONNECTION_CHECK_TIMEOUT", default=10.0)
CONNECTION_GUARD_ALLOW_LOOPBACK = False
CONNECTION_CHECK_RETRIES = env.int("CONNECTION_CHECK_RETRIES", default=2)
# Each mall's API endpoints and OAuth provider live in its connector (connectors/malls/),
# with the provider's documented URLs as defaults; a Django setting or environment variable
# of the name the connector documents (docs/malls.md) overrides one.

# Every log line and error e-mail goes through a formatter that masks the secret values
# decrypted in the current request or task (tempostar.security).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "redacting": {
            "()": "tempostar.security.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
        },
    },
    "filters": {
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        "client_errors_short": {"()": "tempostar.security.ClientErrorsWithoutTraceback"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "redacting",
            "filters": ["client_errors_short"],
        },
        "mail_admins": {
            "level": "ERROR",
            "filters": ["require_debug_false"],
            "class": "tempostar.security.RedactingAdminEmailHandler",
        },
    },
    "loggers": {
        "django": {"handlers": ["console", "mail_admins"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
# The worker logs through the same handlers instead of replacing them with its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# ---- security ------------------------------------------------------------------------------
# Login protection (django-axes): after LOGIN_FAILURE_LIMIT failed logins for one username, or
# from one client address, that username or address is locked for LOGIN_LOCKOUT_MINUTES (an
# admin can unlock it earlier). Behind a proxy set TRUSTED_PROXY_COUNT, or every user would
# share the proxy's address.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "tempostar.security.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "tempostar.security.client_ip"
AXES_SENSITIVE_PARAMETERS = ["password"]
# Behind N reverse proxies that append to X-Forwarded-For, the client is the Nth from the end.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Sessions end after SESSION_IDLE_MINUTES without a request (tempostar.middleware.
# IdleSessionMiddleware pushes the expiry forward), and when the browser closes.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# HTTPS: on by default outside DEBUG. Behind a TLS-terminating proxy set
# SECURE_PROXY_SSL_HEADER=true so the X-Forwarded-Proto header it sets is trusted.
_https = env.bool("HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = _https
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _https
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if _https else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz(/deep)?$"]  # load balancers probe over plain HTTP
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts only from this site or with the request's
# nonce, no inline style, no framing. The page that starts an OAuth sign-in adds the
# provider's origin to form-action (shops.views), since browsers apply it to the redirect.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# Error reports (ADMINS e-mails, the DEBUG page) mask secrets: see tempostar.security.
DEFAULT_EXCEPTION_REPORTER_FILTER = "tempostar.security.SecretMaskingFilter"
DEFAULT_EXCEPTION_REPORTER = "tempostar.security.SecretMaskingReporter"
ADMINS = [("", a) for a in env.list("ADMINS", default=[])]
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)

# Connection tests: a user may start CHECK_RATE_PER_USER tests a minute; one shop (and
# section) is tested at most once every CHECK_SHOP_INTERVAL seconds.
CHECK_RATE_PER_USER = env.int("CHECK_RATE_PER_USER", default=20)
CHECK_SHOP_INTERVAL = env.int("CHECK_SHOP_INTERVAL", default=30)

# ---- the nightly watch and alerts (monitoring/, docs/watch.md) ------------------------------
# Every testable section of every shop is tested daily at HEALTH_WATCH_TIME (TIME_ZONE); at
# most WATCH_HOST_CONCURRENCY calls go to one host at a time, in at most WATCH_LANES lanes
# (run them with as many worker threads or greenlets).
HEALTH_WATCH_TIME = env.str("HEALTH_WATCH_TIME", default="03:00")
WATCH_HOST_CONCURRENCY = env.int("WATCH_HOST_CONCURRENCY", default=4)
WATCH_LANES = env.int("WATCH_LANES", default=100)
# Apprise URLs (comma-separated) that receive every alert and reminder (Slack, Discord, ...).
NOTIFY_URLS = [u.strip() for u in env.str("NOTIFY_URLS", default="").split(",") if u.strip()]
CELERY_BEAT_SCHEDULE.update(
    {
        # Asked every 10 minutes; it starts the day's watch once HEALTH_WATCH_TIME has passed
        # (one per day however often it is asked), so a missed beat catches up within minutes.
        "watch-connections": {"task": "monitoring.watch_connections", "schedule": 600.0},
        "deliver-due-alerts": {"task": "monitoring.deliver_due_alerts", "schedule": 300.0},
    }
)
