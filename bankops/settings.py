"""BankOps settings, read from the environment (twelve-factor, django-environ).

The embedded default needs nothing but Python: with no DATABASE_URL the database is a SQLite file in
the project, and with no REDIS_URL Celery runs every task eagerly in the calling process. With both set
(docker-compose, CI) the same code runs on PostgreSQL with real Redis-backed workers.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from lib.converters import CODE_MAX_LENGTH, CODE_REGEX

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
    "bankops.apps.LoginLockoutConfig",  # django-axes
    "csp",
    "bankops",
    "branches",
    "staff",
    "customers",
    "kpi",
    "alerts",
    "plans",
    "ledger",
    "checklists",
    "outreach",
    "notify",
    "meetings",
    "pay",
    "campaigns",
    "complaints",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "bankops.middleware.RefuseNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "bankops.middleware.ApiLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "bankops.middleware.SessionIdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "bankops.middleware.FriendlyNotFoundMiddleware",
    "bankops.middleware.AdminOutOfRangeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it answers a locked-out sign-in with the lockout page.
    "axes.middleware.AxesMiddleware",
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
                "staff.context_processors.menu",
                "alerts.context_processors.alert_badge",
                "meetings.context_processors.overdue_action_items",
            ],
        },
    },
]

# -- database ----------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if not DEBUG else 0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a seed or rollup writes. The background thread's rollup and a
    # request write at the same time: IMMEDIATE transactions queue for the one write lock (up to `timeout`
    # seconds) instead of failing with "database is locked" when a reader turns writer mid-transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        init_command="PRAGMA journal_mode=WAL;", transaction_mode="IMMEDIATE", timeout=30
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "staff.User"
# Django's own backend signs people in and answers model permissions; staff.access answers the named
# "may do" permissions (`user.has_perm("access.may_import")`) for code below the people layer.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: a sign-in for a username locked out from this address is refused before the password
# is checked (bankops/auth.py); then Django's own.
# The lockout first (django-axes refuses a locked-out sign-in before a password is checked); Django's
# own users; staff.access answers has_perm("access.…") for code that may not import it (lib's CSV upload).
AUTHENTICATION_BACKENDS = [
    "bankops.auth.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
    "staff.access.AccessBackend",
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
# The ledger's evidence photos (ledger.evidence): private files, never under a public URL; a view
# streams each after checking the reader's scope. On the server's disk by default, at EVIDENCE_ROOT
# (kept out of the static files and the repository); in an S3-compatible store (MinIO, Ceph, OSS, COS,
# AWS) through django-storages when BANKOPS_S3_BUCKET is set, private, with signed URLs never handed out.
EVIDENCE_ROOT = env.path("EVIDENCE_ROOT", default=BASE_DIR / "private" / "evidence")
LEDGER_PHOTO_MAX_BYTES = env.int("LEDGER_PHOTO_MAX_BYTES", default=5 * 1024 * 1024)


def evidence_storage(source: environ.Env = env) -> dict:
    """The STORAGES entry of the evidence photos, read from the environment."""
    bucket = source.str("BANKOPS_S3_BUCKET", default="")
    if not bucket:
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(EVIDENCE_ROOT), "base_url": None},
        }
    options = {
        "bucket_name": bucket,
        "location": source.str("BANKOPS_S3_PREFIX", default="evidence"),
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,
    }
    for option, variable in (
        ("endpoint_url", "BANKOPS_S3_ENDPOINT_URL"),
        ("region_name", "BANKOPS_S3_REGION"),
        ("access_key", "BANKOPS_S3_ACCESS_KEY"),
        ("secret_key", "BANKOPS_S3_SECRET_KEY"),
    ):
        if value := source.str(variable, default=""):
            options[option] = value
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
    "ledger_evidence": evidence_storage(),
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
# The address of a client behind the TLS proxy is the proxy's last X-Forwarded-For entry (lib.ratelimit).
NUM_PROXIES = 1 if env.bool("BEHIND_TLS_PROXY", default=False) else 0

# A session ends after SESSION_IDLE_MINUTES without a request (a teller's PC left signed in at the counter):
# bankops.middleware.SessionIdleTimeoutMiddleware moves its expiry forward as it is used, at most once a
# minute. (Django's default: 14 days, idle or not.)
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60

# Sign-in lockout (django-axes): LOGIN_FAILURE_LIMIT wrong passwords for one username from one address lock
# that username out from that address for LOGIN_LOCKOUT_MINUTES (each new try while locked starts the
# wait again); a right password before then clears the count. Attempts are rows of the database (SQLite
# or PostgreSQL alike), listed in the admin, where HQ can delete them to unlock someone early
# (`manage.py axes_reset_username <name>` does the same).
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no version banner in every command's output
AXES_CLIENT_IP_CALLABLE = "lib.ratelimit.client_ip"
AXES_LOCKOUT_CALLABLE = "bankops.auth.lockout_response"

# Content-Security-Policy (django-csp): scripts only from this server's static files (no inline script,
# no eval: the pages hand data to their scripts with json_script, a data block a browser never runs),
# nothing from elsewhere, no framing. Styles also allow 'unsafe-inline': ECharts writes its tooltips as
# HTML with style attributes (the series markers) and the API's Swagger UI and Redoc inject <style>
# elements; a style cannot run script, and with img-src and connect-src limited to this server it cannot
# send anything elsewhere either.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

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
# LOG_LEVEL (default INFO) is the level of everything but the line each finished task writes (Celery's
# "Task … succeeded in …: {…}") and the summary of each alert evaluation: without a broker every task
# runs in the process that queued it, so a seed_demo or a page that queues work would print hundreds of
# them. They show from WARNING unless LOG_LEVEL says otherwise, or a worker is started with `-l info`
# (bankops.celery: a worker shows them at its own level). runserver's "Watching for file changes" is
# printed by runserver already; its log line would say it twice.
LOG_LEVEL = env.str("LOG_LEVEL", default="")
TASK_RESULT_LOGGERS = ("celery.app.trace", "alerts.services.evaluation")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL or "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.utils.autoreload": {"level": LOG_LEVEL or "WARNING"},
        **{name: {"level": LOG_LEVEL or "WARNING"} for name in TASK_RESULT_LOGGERS},
    },
}

# -- REST API ----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "staff.api.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated", "staff.api.HasTokenScope"],
    "DEFAULT_FILTER_BACKENDS": [
        "lib.api_filters.FilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "lib.api_schema.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["lib.api.DepthLimitedJSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["lib.api.PrincipalRateThrottle"],
    "EXCEPTION_HANDLER": "lib.api.exception_handler",
    # No OPTIONS introspection: the OpenAPI schema documents every endpoint, and DRF's metadata answer
    # would build the view on a copy of the request without what the view's initial() sets up.
    "DEFAULT_METADATA_CLASS": None,
}
# Requests per token (or signed-in user) and period ("1200/min", "50000/day"); empty: no limit. Counted
# atomically in the cache (lib/ratelimit.py): in Redis when REDIS_URL is set, so every gunicorn worker
# shares the count.
API_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="1200/min") or None
# Wrong API tokens per client address and period; past it the address is refused (429) until the period
# ends, right token or not (staff.api.TokenAuthentication). Empty: no limit.
API_AUTH_FAILURE_RATE = env.str("API_AUTH_FAILURE_RATE", default="20/min") or None
# How long the scorecard list keeps each published scorecard's JSON in the cache (kpi.selectors.scorecard_json:
# a published run never changes, a re-rollup publishes a new one); 0: no cache, every page computed.
API_SCORECARD_CACHE_SECONDS = env.int("API_SCORECARD_CACHE_SECONDS", default=86400)
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
    # A code in a route (`<code:…>`, lib/converters.py) is documented with its grammar, so a client (and
    # schemathesis) knows what a code can be.
    "PATH_CONVERTER_OVERRIDES": {
        "code": {"type": "string", "pattern": f"^{CODE_REGEX}$", "maxLength": CODE_MAX_LENGTH},
    },
    # Patterns for the codes, periods, months, weeks and cursors the API takes (bankops/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "bankops.schema.document_value_grammars",
        "kpi.api.schema.document_scorecard_forms",
    ],
    # One name for the period kinds wherever they appear (query parameters, scorecards, targets).
    "ENUM_NAME_OVERRIDES": {
        "PeriodKindEnum": ["day", "week", "month", "quarter", "year"],
        "LineStatusEnum": "kpi.models.Status",
        "RollupStatusEnum": "kpi.models.RollupRun.Status",
        "InterestEnum": "customers.models.Interest",
        "FindingSeverityEnum": "checklists.models.Severity",
        "OutreachChannelEnum": "outreach.models.Channel",
        "OutreachOutcomeEnum": "outreach.models.Outcome",
        "ComplaintCategoryEnum": "complaints.models.Category",
        "ComplaintChannelEnum": "complaints.models.Channel",
        "ComplaintValidityEnum": "complaints.models.Validity",
    },
}

# -- cache -------------------------------------------------------------------------------------------
# The API's throttling counts requests here: in Redis when there is one, so every gunicorn worker
# shares the count; in the process otherwise (one runserver).
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "lib.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Room for the scorecard list's JSON of a few thousand scorecards (kpi.selectors.scorecard_json, ~12 KB
    # each): at locmem's default of 300 entries a page of 1,000 would push itself out.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 5000}}}

# How much of the scorecard list's JSON each web process also keeps in its own memory, in front of Redis
# (kpi.selectors.scorecard_json.Nearby: a fragment never changes under its key), in MB; 0: none. Without
# Redis the cache is already the process's own.
API_SCORECARD_LOCAL_MB = env.int("API_SCORECARD_LOCAL_MB", default=32 if REDIS_URL else 0)
# How many of the latest day's month scorecards a worker writes into the API's cache once the day is
# published (kpi.selectors.scorecard_json.scorecards_warm), ahead of their first reader: in the list's order
# (by id), ~14 KB of Redis each with 15 lines (20,000: ~280 MB, kept API_SCORECARD_CACHE_SECONDS). Only
# with Redis: the embedded default's in-process cache is not the web process's. 0: none.
API_SCORECARD_WARM_CARDS = env.int("API_SCORECARD_WARM_CARDS", default=20000 if REDIS_URL else 0)

# -- Celery ------------------------------------------------------------------------------------------
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    # No broker: run every task in the calling process, so a newcomer needs nothing but Python. Eager
    # tasks still take a producer from kombu's pool, whose connection warns "No hostname was supplied"
    # for a URL without one: the in-memory transport is named with the host it would default to.
    CELERY_BROKER_URL = "memory://localhost/"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
# Without a broker the heavy tasks (the rollup after a facts POST) run in one background thread of the
# web process instead of in the request (lib.background); the test suite turns it off.
BACKGROUND_THREAD = env.bool("BACKGROUND_THREAD", default=not REDIS_URL)

# -- the push to work chats (notify, issue 17) -------------------------------------------------------
# The address the pushed summaries link to (the bulletin): how the bank's people reach BankOps.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# The key the channels' secrets are sealed under (notify.credentials), derived from SECRET_KEY when
# empty. Set it in production, so a rotated SECRET_KEY leaves the webhooks readable.
BANKOPS_SECRETS_KEY = env.str("BANKOPS_SECRETS_KEY", default="")
# Whether deliveries to WeCom and DingTalk robots leave the machine. Off by default in the embedded
# default (no REDIS_URL: a laptop, the demo), where a webhook delivery is recorded as failed ("network
# unreachable") and never sent; on with a broker (the production shape). E-mail always goes through
# EMAIL_BACKEND (the console while DEBUG).
NOTIFY_WEBHOOKS_ENABLED = env.bool("NOTIFY_WEBHOOKS_ENABLED", default=bool(REDIS_URL))
# The robots' send addresses, for a channel given a bare key (WeCom) or access token (DingTalk) rather
# than a whole webhook address; a bank that goes through an outbound proxy points these at it.
NOTIFY_WECOM_URL = env.str("NOTIFY_WECOM_URL", default="https://qyapi.weixin.qq.com/cgi-bin/webhook/send")
NOTIFY_DINGTALK_URL = env.str("NOTIFY_DINGTALK_URL", default="https://oapi.dingtalk.com/robot/send")
# Seconds a robot has to answer one message.
NOTIFY_TIMEOUT = env.int("NOTIFY_TIMEOUT", default=10)
# A published day older than this many days is not pushed (a backlog rolled up, a rebuilt history).
NOTIFY_MAX_AGE_DAYS = env.int("NOTIFY_MAX_AGE_DAYS", default=3)
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
# How long Redis waits for the acknowledgement of a task it handed out before it gives the task to
# another worker. It must be longer than any task can live, or a rollup still running would be started a
# second time: a task lives at most CELERY_TASK_TIME_LIMIT (60 min, then it is killed), and that includes
# waiting for the rollup lock (named_lock gives up after 60 min too, and the soft limit stops it at 50).
# Twice the hard limit (2 h) leaves a margin for a task that waited in the worker's prefetch. A worker
# killed outright has its task redelivered after this; its run was reaped long before (its heartbeat
# stopped: RUN_STALE_AFTER), and the redelivered task takes the run over.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * CELERY_TASK_TIME_LIMIT)
}
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
# The first business day the rollup computes: facts dated before it are not read and mark nothing stale
# (the rollup also never computes a day after yesterday, whatever dates the facts carry).
ROLLUP_FIRST_DATE = env.str("ROLLUP_FIRST_DATE", default="2000-01-01")
# Yesterday must be published by this time (HH:MM, the bank's time zone), before the 08:30 morning
# meeting; after it, HQ's overview and the logs say it is not (kpi.services.runs.rollup_problems).
ROLLUP_DUE_TIME = env.str("ROLLUP_DUE_TIME", default="07:30")
# A running rollup or tiering run whose heartbeat is older than this (seconds) has lost its worker: the
# reaper marks it failed and a redelivered task takes it over. A live run beats as it reads and computes
# and while it waits for its lock; the longest silence is the publication's transaction (the COPY of a
# province's scorecards, a few minutes at most: bench/rollup.py), so ten minutes is never a slow run.
RUN_STALE_AFTER = env.int("RUN_STALE_AFTER", default=600)
# A fanned-out day's finish (kpi.tasks.rollup_fanout_finish) that finds a part not done yet tries again
# after this many seconds, sending the parts whose worker died meanwhile.
FANOUT_FINISH_RETRY = env.int("FANOUT_FINISH_RETRY", default=30)
# How far back (days) the catch-up jobs look for a published day not yet evaluated against the alert
# rules (a day published again is evaluated again).
ALERTS_CATCH_UP_DAYS = env.int("ALERTS_CATCH_UP_DAYS", default=14)
# Facts are taken up to today plus this many days (0: up to today). A fact dated in the future would
# hold the pending rollup on days that have not happened; a source that reports the next business day
# ahead (a forecast) may need 1.
FACTS_FUTURE_DAYS = env.int("FACTS_FUTURE_DAYS", default=0)
# Pace is not judged below this time progress (a fraction: 0.10 = 10 %): on 2 December a month is 2/31
# gone, and "513.5 % of pace" is noise. Below it the scorecard leads with the previous period's final
# result and every page shows the pace status muted ("too early to judge") instead of red or amber; the
# stored status is unchanged (kpi.models.too_early_to_judge).
EARLY_PERIOD_BELOW = env.float("EARLY_PERIOD_BELOW", default=0.10)
if not 0 <= EARLY_PERIOD_BELOW < 1:
    raise ImproperlyConfigured("EARLY_PERIOD_BELOW is a time progress from 0 (never early) to below 1, e.g. 0.10.")

CELERY_BEAT_SCHEDULE = {
    # Early warning (issue 8). Each day the rollup publishes is evaluated (alerts listens to
    # kpi.signals.day_published); the facts of yesterday are checked against the missing-data rules
    # every quarter of an hour, each rule once its cut-off (09:00 by default) has passed, so a late
    # batch clears the alert at the next check.
    "alerts-missing-data": {
        "task": "alerts.tasks.check_missing_data",
        "schedule": crontab(minute="*/15"),
    },
    # Every day an hour after the morning rollup: the review items (周例会) of every week not yet
    # reviewed, up to last week (Monday's run, an hour after the morning rollup has published Sunday,
    # makes last week's before the Monday meeting; a Monday missed is made up on Tuesday).
    "alerts-weekly-reviews": {
        "task": "alerts.tasks.weekly_reviews",
        "schedule": crontab(hour=(ROLLUP_HOUR + 1) % 24, minute=ROLLUP_MINUTE),
    },
    # Every hour at :40: each published day of the last ALERTS_CATCH_UP_DAYS not yet evaluated against
    # the alert rules (the rollup queues the evaluation of a day it publishes; this makes up one lost).
    "alerts-evaluate-pending": {
        "task": "alerts.tasks.evaluate_pending",
        "schedule": crontab(minute=40),
    },
    # Every day at 07:30, after the morning rollup and its evaluation: each owner's digest, read before
    # the 08:30 morning meeting (晨会).
    "alerts-digests-daily": {
        "task": "alerts.tasks.send_digests",
        "schedule": crontab(hour=7, minute=30),
    },
    # Every ten minutes: each daily summary still waiting for its day's data (notify) is sent once every
    # outlet expected that day has reported or HQ's cut-off (kpi.ReportingCutoff, 08:00 by default) has
    # passed; a late batch's rollup sends it at once, this catches the cut-off.
    "notify-release-waiting": {
        "task": "notify.tasks.release_waiting",
        "schedule": crontab(minute="*/10"),
    },
    # Every hour at :50: the action items of meetings whose linked alert closed without the announcement
    # reaching meetings (lib.links.objects_closed, sent when the alert closes, closes them at once).
    "meetings-reconcile-action-items": {
        "task": "meetings.tasks.reconcile_action_items",
        "schedule": crontab(minute=50),
    },
    # Patrols (checklists): every quarter of an hour the rounds whose time is over without a sheet become
    # missed, so the outlet head sees them the same day; at 00:20 the patrol facts (items checked, in order,
    # rounds missed) of the last 7 days (a night missed is made up) go in through facts_ingest, before the
    # morning rollup reads them.
    "checklists-mark-missed-patrols": {
        "task": "checklists.tasks.mark_missed_patrols",
        "schedule": crontab(minute="*/15"),
    },
    "checklists-patrol-facts": {
        "task": "checklists.tasks.write_patrol_facts",
        "schedule": crontab(hour=0, minute=20),
    },
    # Nightly at 04:30, before the morning rollup: the complaints register's counts of every open day as
    # `complaints` facts (a review writes its day at once; this repairs anything a lost task left).
    "complaints-feed-facts": {
        "task": "complaints.tasks.feed_facts",
        "schedule": crontab(hour=4, minute=30),
    },
    # Every morning at 08:00 (before the 晨会) and again at 14:00: overdue complaint replies raise their
    # outlet's alert, and a reply given clears it.
    "complaints-check-overdue": {
        "task": "complaints.tasks.check_overdue",
        "schedule": crontab(hour="8,14", minute=0),
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
    # Every night at 04:00, tier the customers of every ended month not yet tiered (DOMAIN.md §6): on the
    # 1st the month just ended, whose month-end AUM snapshots the CRM lands overnight; the tier counts it
    # writes as facts on the month's last day must be in before the morning rollup (ROLLUP_HOUR) scores
    # that day. A month whose snapshots are not in yet is skipped and tiered the night they are.
    "customers-tiering-nightly": {
        "task": "customers.tasks.tiering_pending",
        "schedule": crontab(hour=4, minute=0),
    },
    # Every night at 04:30, after the tiering and before the morning rollup: the referrals of the last week
    # (转介 and 成交 recorded yesterday, outcomes recorded late) as facts (customers.services.referrals).
    "customers-referral-facts-nightly": {
        "task": "customers.tasks.referral_facts",
        "schedule": crontab(hour=4, minute=30),
    },
    # Every night at 04:30, the outreach facts (coverage, contact success, conversion, visits) of the last
    # week added up again (outreach.tasks): each contact already queues its day, this catches a late write-up
    # or a reassignment, before the morning rollup (ROLLUP_HOUR) scores yesterday.
    "outreach-facts-nightly": {
        "task": "outreach.tasks.outreach_facts_nightly",
        "schedule": crontab(hour=4, minute=30),
    },
    # Every five minutes: rollup and tiering runs whose worker stopped (no heartbeat for RUN_STALE_AFTER)
    # are marked failed, and the operations problems (yesterday not published by ROLLUP_DUE_TIME, a stuck
    # run) are logged as errors.
    "runs-reap": {
        "task": "kpi.tasks.runs_reap",
        "schedule": crontab(minute="*/5"),
    },
    "tiering-runs-reap": {
        "task": "customers.tasks.tiering_runs_reap",
        "schedule": crontab(minute="*/5"),
    },
    # Every night at 03:30 (kpi.retention): the scorecards of days past SCORECARD_RETENTION_DAYS that end no
    # week, month, quarter or year go, each day's lines by dropping its partition (PostgreSQL); then the
    # running totals past ROLLUP_STATE_DAYS (mirror ones past a week: kpi.services.rollup.states_prune).
    "scorecards-prune-nightly": {
        "task": "kpi.tasks.scorecards_prune",
        "schedule": crontab(hour=3, minute=30),
    },
}
