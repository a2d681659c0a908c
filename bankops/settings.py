"""BankOps settings, read from the environment (twelve-factor, django-environ).

The embedded default needs nothing but Python: with no DATABASE_URL the database is a SQLite file in
the project, and with no REDIS_URL Celery runs every task eagerly in the calling process. With both set
(docker-compose, CI) the same code runs on PostgreSQL with real Redis-backed workers.
"""

from __future__ import annotations

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

# A development key is only acceptable while DEBUG is on: production must bring its own.
_DEV_SECRET_KEY = "django-insecure-bankops-development-only-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (export SECRET_KEY=… or DEBUG=true).")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

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
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "bankops",
    "branches",
    "staff",
    "customers",
    "kpi",
    "alerts",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "bankops.middleware.ApiLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "bankops.urls"
WSGI_APPLICATION = "bankops.wsgi.application"

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
                "alerts.context_processors.alert_badge",
            ],
        },
    },
]

# -- database ----------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if not DEBUG else 0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a seed or rollup writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "staff.User"
# Django's own backend signs people in and answers model permissions; staff.access answers the named
# "may do" permissions (`user.has_perm("access.may_import")`) for code below the people layer.
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend", "staff.access.AccessBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# -- language and time -------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The language switch sticks for a year on this browser, across sign-outs and restarts.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# -- static files ------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# -- security (production) ---------------------------------------------------------------------------
# Secure by default once DEBUG is off; a deployment behind a TLS-terminating proxy sets
# SECURE_PROXY_SSL_HEADER so Django knows the original request was HTTPS.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# The container healthcheck calls plain HTTP inside the host.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# -- e-mail ------------------------------------------------------------------------------------------
# The daily alert digests (alerts.services.digest): printed on the console in development, sent through
# the bank's SMTP relay otherwise.
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="bankops@localhost")

# -- logging -----------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# -- REST API ----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "staff.api.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated", "staff.api.HasTokenScope"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["lib.api.PrincipalRateThrottle"],
    "EXCEPTION_HANDLER": "lib.api.exception_handler",
    # No OPTIONS introspection: the OpenAPI schema documents every endpoint, and DRF's metadata answer
    # would build the view on a copy of the request without what the view's initial() sets up.
    "DEFAULT_METADATA_CLASS": None,
}
# Requests per token (or signed-in user) and period ("1200/min", "50000/day"); empty: no limit.
API_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="1200/min") or None
SPECTACULAR_SETTINGS = {
    "TITLE": "BankOps API",
    "DESCRIPTION": "Branch-performance facts, targets, scorecards and rankings.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its documentation hold no data: a developer can read them before holding a token.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name for the period kinds wherever they appear (query parameters, scorecards, targets).
    "ENUM_NAME_OVERRIDES": {
        "PeriodKindEnum": ["day", "week", "month", "quarter", "year"],
        "LineStatusEnum": "kpi.models.Status",
        "RollupStatusEnum": "kpi.models.RollupRun.Status",
    },
}

# -- cache -------------------------------------------------------------------------------------------
# The API's throttling counts requests here: in Redis when there is one, so every gunicorn worker
# shares the count; in the process otherwise (one runserver).
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# -- Celery ------------------------------------------------------------------------------------------
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    # No broker: run every task in the calling process, so a newcomer needs nothing but Python.
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 60 * 60 * 24
# A task that overruns gets SoftTimeLimitExceeded first (time to roll back), then is killed.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60 * 50)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=60 * 60)
# Acknowledge after the work is done: a worker that dies mid-task leaves the message for another.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True

# The morning rollup: the core-banking extracts land by about 05:00; scorecards must be ready for
# the 08:30 morning meeting (晨会). Hour and minute are configurable per deployment.
ROLLUP_HOUR = env.int("ROLLUP_HOUR", default=6)
ROLLUP_MINUTE = env.int("ROLLUP_MINUTE", default=0)
# Daily scorecards older than this keep only their period-end days (week, month, quarter, year ends);
# running totals older than ROLLUP_STATE_DAYS are dropped (a correction further back rebuilds them).
SCORECARD_RETENTION_DAYS = env.int("SCORECARD_RETENTION_DAYS", default=62)
ROLLUP_STATE_DAYS = env.int("ROLLUP_STATE_DAYS", default=45)
# Facts are taken up to today plus this many days (0: up to today). A fact dated in the future would
# hold the pending rollup on days that have not happened; a source that reports the next business day
# ahead (a forecast) may need 1.
FACTS_FUTURE_DAYS = env.int("FACTS_FUTURE_DAYS", default=0)

CELERY_BEAT_SCHEDULE = {
    # Early warning (issue 8). Each day the rollup publishes is evaluated (alerts listens to
    # kpi.signals.day_published); the facts of yesterday are checked against the missing-data rules
    # every quarter of an hour, each rule once its cut-off (09:00 by default) has passed, so a late
    # batch clears the alert at the next check.
    "alerts-missing-data": {
        "task": "alerts.tasks.check_missing_data",
        "schedule": crontab(minute="*/15"),
    },
    # Monday, an hour after the morning rollup has published Sunday (the end of last week): the review
    # items (周例会) of the outlets that missed last week's weekly targets, before the Monday meeting.
    "alerts-weekly-reviews": {
        "task": "alerts.tasks.weekly_reviews",
        "schedule": crontab(day_of_week="mon", hour=(ROLLUP_HOUR + 1) % 24, minute=ROLLUP_MINUTE),
    },
    # Every day at 07:30, after the morning rollup and its evaluation: each owner's digest, read before
    # the 08:30 morning meeting (晨会).
    "alerts-digests-daily": {
        "task": "alerts.tasks.send_digests",
        "schedule": crontab(hour=7, minute=30),
    },
    # The morning rollup of yesterday and of every day a late fact made stale.
    "rollup-morning": {
        "task": "kpi.tasks.rollup_morning",
        "schedule": crontab(hour=ROLLUP_HOUR, minute=ROLLUP_MINUTE),
    },
    # Rebuild the default peer groups nightly (before the rollup ranks in them), so outlets that
    # opened, closed or moved yesterday are ranked with their new peers.
    "peer-groups-nightly": {
        "task": "branches.tasks.peer_groups_rebuild",
        "schedule": crontab(hour=5, minute=30),
    },
    # On the 1st of every month at 04:00, tier the customers of the month just ended (DOMAIN.md §6): the
    # CRM's month-end AUM snapshots land overnight, and the tier counts it writes as facts on the month's
    # last day must be in before the morning rollup (ROLLUP_HOUR) scores that day. A month without
    # snapshots is skipped; `tier_customers --month` runs it once they are in.
    "customers-tiering-monthly": {
        "task": "customers.tasks.tiering_last_month",
        "schedule": crontab(day_of_month=1, hour=4, minute=0),
    },
}
