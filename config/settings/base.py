"""Settings shared by every environment, read from the environment via django-environ.

Every variable is listed with a comment in ``.env.example``. Environment modules
(``local``, ``test``, ``production``) only change what differs.
"""

from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# --- Applications -------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "axes",
    "django_filters",
    "django_htmx",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Ours, in their dependency order (docs/architecture.md): each imports only those before it.
    "core",
    "buddy",
    "enrollments",
    "matching",
    "concerns",
    "webhooks",
    "privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # POST /webhooks/buddy-events goes from here straight to its view: it needs none of
    # the middleware below (webhooks/middleware.py; issue 23)
    "webhooks.middleware.ReceiverFastPath",
    # /api/: the connection's health check by its socket, not a SELECT 1 per request
    # (buddy/api/middleware.py: what API requests do differently, decided there)
    "buddy.api.middleware.ApiConnectionCheck",
    # static files from the web process itself (gunicorn under `make serve`): no other server
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language of a page: the user's choice (cookie set by /i18n/setlang/), else the
    # browser's, else LANGUAGE_CODE.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",  # request.htmx: partial answers to htmx requests
    # Last, as django-axes asks: it turns a locked-out login into its lock-out answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "buddy.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "enrollments:dashboard"
LOGOUT_REDIRECT_URL = "login"

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
                "buddy.context_processors.access",
                "buddy.context_processors.layout",
                "webhooks.context_processors.subscribers",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
# Default: a SQLite file in the project folder, so `make run` needs no services.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=0))
# A persistent connection is checked before a request reuses it, so one the database
# dropped (a restart, a failover) is replaced instead of answering 500s until it ages out.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side binding with prepared statements: psycopg prepares a statement once it
    # has run DATABASE_PREPARE_THRESHOLD times on a connection, so PostgreSQL parses and
    # plans the webhook path's fixed statements once, not per event (a third less database
    # CPU per event: bench/README.md). Needs a session-holding connection (no PgBouncer in
    # transaction mode: set DATABASE_PREPARE_THRESHOLD=-1 there).
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["server_side_binding"] = env.bool("DATABASE_SERVER_SIDE_BINDING", default=True)
    if (_threshold := env.int("DATABASE_PREPARE_THRESHOLD", default=5)) >= 0:
        _options["prepare_threshold"] = _threshold
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache --------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "core.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth ---------------------------------------------------------------------------------
# django-axes first: it refuses a locked-out login before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login lock-out (django-axes): after this many failures for one username from one address
# the login is refused for the cool-off time. Attempts are stored (admin → Axes) and logged
# with the username and address, never the password.
AXES_FAILURE_LIMIT = env.int("BUDDY_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("BUDDY_LOGIN_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env.int("BUDDY_PROXY_COUNT", default=0)
# Personal API tokens (django-rest-knox): stored as SHA-512 digests with a short prefix for
# look-up; no expiry unless the token is created with one.
KNOX_TOKEN_MODEL = "buddy.ApiToken"  # noqa: S105 - a model name, not a secret
# knox's own migrations create its default token table even when the model is swapped for
# ours (that table would hold nothing and block flushing the users table): skip them.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_TTL": None,
    "TOKEN_PREFIX": "bpm_",
    "AUTH_HEADER_PREFIX": "Token",
}
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- I18N / time --------------------------------------------------------------------------
LANGUAGE_CODE = "en"
# The coordinator UI ships in these languages (locale/<code>/LC_MESSAGES, .po and .mo).
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static -------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
# Production: collectstatic writes hashed, compressed copies (whitenoise's storage) that
# the web process serves with a year's cache; elsewhere files come straight from the apps.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Security (safe by default; local settings relax them for http://127.0.0.1) ------------
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- REST framework -----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "buddy.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Every endpoint reads or changes program data unless it says otherwise
    # (buddy.api.permissions): a view nobody decided about is closed to company users
    # and to logins without a role.
    "DEFAULT_PERMISSION_CLASSES": ["buddy.api.permissions.ProgramData"],
    # Token clients are throttled (429 with Retry-After); browser sessions are not.
    "DEFAULT_THROTTLE_CLASSES": ["buddy.api.throttling.TokenClientThrottle"],
    # 6000/min: a client running 20 requests at once at ~50 ms each (about 400 requests/s
    # at its peak) is counted, not refused, over a few seconds (README, API tokens).
    "DEFAULT_THROTTLE_RATES": {"token": env.str("BUDDY_API_TOKEN_RATE", default="6000/min")},
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Limit/offset with a maximum page size (API_MAX_PAGE_SIZE), documented in the schema.
    "DEFAULT_PAGINATION_CLASS": "buddy.api.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    # JSON with a nesting cap and no NUL / lone surrogates (buddy.json_input), then forms.
    "DEFAULT_PARSER_CLASSES": [
        "buddy.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # drf-spectacular's, adding the one error body to every operation (core.api.schema).
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "buddy.api.exception_handlers.api_exception_handler",
}
# The largest page any API list serves (?limit= above it gets this many).
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=500)
SPECTACULAR_SETTINGS = {
    "TITLE": "Buddy program manager API",
    "DESCRIPTION": "People, matches, activity and impact figures of 1-on-1 buddy programs.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI assets from the drf-spectacular-sidecar package: pages load nothing
    # from another host.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.error_components_hook",
    ],
    # one schema name per choice set, however many fields use it
    "ENUM_NAME_OVERRIDES": {
        "MatchStatusEnum": "buddy.models.choices.MatchStatus",
        "DataSourceEnum": "buddy.models.choices.DataSource",
        "EnrollmentStatusEnum": "buddy.models.EnrollmentStatus",
        "ImportStatusEnum": "buddy.models.imports.ImportStatus",
        "EventStatusEnum": "webhooks.models.EventStatus",
        "DeliveryStatusEnum": "webhooks.models.DeliveryStatus",
        # issue 18: every choice set the API shows, named once
        "RoleEnum": "buddy.models.choices.Role",
        "EndReasonEnum": "buddy.models.choices.EndReason",
        "FormalEventTypeEnum": "buddy.models.choices.FormalEventType",
        "EventFormatEnum": "buddy.models.choices.EventFormat",
        "ProficiencyLevelEnum": "buddy.models.choices.ProficiencyLevel",
        "LearnerProgressEnum": "buddy.models.choices.LearnerProgress",
        "MoodEnum": "buddy.models.choices.Mood",
        "MilestoneCategoryEnum": "buddy.models.choices.MilestoneCategory",
        "TargetRoleEnum": "buddy.models.choices.TargetRole",
        "ProgramTypeEnum": "buddy.models.ProgramType",
        "RunStatusEnum": "matching.models.RunStatus",
        "ProposalStatusEnum": "matching.models.ProposalStatus",
        # issue 21: concerns and match health
        "ConcernStatusEnum": "concerns.models.Status",
        "ConcernSourceEnum": "concerns.models.Source",
        "ConcernCategoryEnum": "concerns.models.Category",
        "ConcernSeverityEnum": "concerns.models.Severity",
        "ConcernOutcomeEnum": "concerns.models.Outcome",
    },
}

# --- Celery -------------------------------------------------------------------------------
# No broker configured → tasks run eagerly in-process (the embedded default).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Task modules outside an app's tasks.py (autodiscovery only finds <app>.tasks).
CELERY_IMPORTS = ["webhooks.imports.tasks"]
CELERY_BEAT_SCHEDULE: dict = {
    # Journey flags and enrollment states age with time (no-contact, 6-month inactivity),
    # so the whole program is recomputed once a night, after the day's webhooks.
    # The recompute queue is drained moments after each change; this sweep picks up what
    # a crashed process left queued.
    "recompute-pending-sweep": {
        "task": "enrollments.tasks.recompute_pending",
        "schedule": 60.0,
    },
    "recompute-all-programs-nightly": {
        "task": "enrollments.tasks.recompute_all_programs",
        "schedule": crontab(hour=2, minute=30),
    },
    # The relay is woken on every commit that publishes an event; this run is the safety
    # net for a lost wake-up and picks up retries as they fall due (backoff is stored as
    # due times, never as long countdowns the broker could drop).
    "relay-events": {
        "task": "webhooks.tasks.relay_events",
        "schedule": 5.0,
    },
    # Retention rules (privacy.retention, BUDDY_RETENTION): old free texts, raw payloads,
    # left-over uploads and long-inactive people, once a night after the recompute.
    "apply-retention-nightly": {
        "task": "privacy.tasks.apply_retention",
        "schedule": crontab(hour=3, minute=30),
    },
    # Coordinators work through the attention queue; the weekly digest reminds those who
    # don't open the page (Monday morning, after the nightly recompute).
    "attention-digest-weekly": {
        "task": "enrollments.tasks.send_attention_digest",
        "schedule": crontab(day_of_week="mon", hour=6, minute=30),
    },
}

# --- Retention of personal data (privacy.retention; README "Personal data") --------------
BUDDY_RETENTION = {
    "ACTIVITY_TEXT_MONTHS": 24,  # free texts of a match's activities, after the match ended
    "WEBHOOK_PAYLOAD_DAYS": 90,  # raw payloads of processed webhook events (ids, outcome kept)
    "UPLOAD_HOURS": 24,  # an uploaded export left on disk after its import finished
    "INACTIVE_PERSON_MONTHS": 36,  # people without any activity are erased
    "BATCH": 500,  # rows per transaction
}

# --- Monitoring access --------------------------------------------------------------------
# /metrics and the detailed /health/ready are for monitoring only: a request is let in when
# it carries ``Authorization: Bearer <BUDDY_METRICS_TOKEN>`` or comes from one of these
# networks (CIDR). Empty (the default): nobody but superusers.
BUDDY_METRICS_TOKEN = env.str("BUDDY_METRICS_TOKEN", default="")
BUDDY_METRICS_ALLOWED_NETWORKS = env.list("BUDDY_METRICS_ALLOWED_NETWORKS", default=[])
# --- Outbound events (subscribers of the events this app publishes) ---------------------------
OUTBOUND_WEBHOOKS = {
    # Seconds before an attempt counts as failed (Standard Webhooks: 15-30 s).
    "TIMEOUT_SECONDS": env.float("OUTBOUND_WEBHOOK_TIMEOUT_SECONDS", default=15.0),
    # Subscriber URLs that resolve to loopback, private, link-local or metadata addresses
    # are refused, except in these networks (CIDRs, comma-separated; e.g. 127.0.0.1/32 for
    # a receiver on the same machine). Empty in production.
    "ALLOWED_PRIVATE_NETWORKS": env.list("OUTBOUND_WEBHOOK_ALLOWED_NETWORKS", default=[]),
    # Wait after each failed attempt (seconds): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h,
    # 20 h, 24 h; the first attempt is immediate, the tenth failure is final (~3 days).
    "RETRY_SCHEDULE_SECONDS": [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400],
    "JITTER": 0.1,  # each wait is ±10 % so retries of many deliveries do not align
    "RETRY_AFTER_MAX_SECONDS": 86400,  # a Retry-After header longer than this is capped
    "DISABLE_AFTER_DAYS": 5,  # an endpoint failing for this long is disabled
    "BATCH": 200,  # deliveries one relay claims at a time
    "WORKERS": 8,  # concurrent requests of one relay
}

# --- Buddy System integration -------------------------------------------------------------
# Comma-separated list: several secrets are accepted at once while a secret is rotated.
BUDDY_WEBHOOK_SECRETS = [s for s in env.list("BUDDY_WEBHOOK_SECRET", default=[]) if s]
BUDDY_WEBHOOK_TOLERANCE_SECONDS = 300
BUDDY_WEBHOOK_MAX_BODY_BYTES = 1024 * 1024
BUDDY_WEBHOOK_MAX_ATTEMPTS = 3
# Identity provider name under which Buddy System user ids are stored (ExternalId.provider).
BUDDY_PROVIDER = "buddy"
# Dates further than this in the future are refused by webhooks and imports.
BUDDY_FUTURE_TOLERANCE_SECONDS = 300
# Uploaded exports wait here for the import worker (deleted once imported: personal data).
# Uploads of failed imports are deleted too; a failed run is re-run by uploading again.
BUDDY_IMPORT_UPLOAD_DIR = env.path("BUDDY_IMPORT_UPLOAD_DIR", default=BASE_DIR / "var" / "imports")
# Memory bounds of an import: no row (CSV record, JSON item) over this many bytes is read
# (it is rejected with its line); a zip whose export files decompress to more than
# BUDDY_IMPORT_MAX_EXPORT_BYTES, or a JSON export larger than that, is refused.
BUDDY_IMPORT_MAX_ROW_BYTES = env.int("BUDDY_IMPORT_MAX_ROW_BYTES", default=1024 * 1024)
BUDDY_IMPORT_MAX_EXPORT_BYTES = env.int("BUDDY_IMPORT_MAX_EXPORT_BYTES", default=2 * 1024**3)
# POST /api/imports/: a larger upload is answered 413 (Django keeps uploads over 2.5 MB in
# temporary files, so this bounds disk, not memory).
BUDDY_IMPORT_MAX_UPLOAD_BYTES = env.int("BUDDY_IMPORT_MAX_UPLOAD_BYTES", default=512 * 1024**2)

# --- Enrollments: lifecycle, journey flags, attention queue, impact (enrollments app) -------
# Every threshold of the enrollment rules and flags lives here, not in code (seed 002).
ENROLLMENTS = {
    # Changed people are recomputed by a worker this many seconds after the change, in
    # one batch with everyone changed meanwhile (at least 2; tasks run at once without a broker).
    "RECOMPUTE_DELAY_SECONDS": env.int("ENROLLMENTS_RECOMPUTE_DELAY_SECONDS", default=2),
    # An otherwise active enrollment is dropped after this long without any activity.
    "INACTIVE_AFTER_DAYS": 182,
    # checkin_due: an active match with no check-in for more than this.
    "CHECKIN_DUE_DAYS": 7,
    # feedback_pending: no feedback this long after matching, then again every N days.
    "FEEDBACK_FIRST_DAYS": 30,
    "FEEDBACK_EVERY_DAYS": 60,
    # no_contact_<n>: no logged activity of any kind on an active match for more than n days.
    "NO_CONTACT_DAYS": (14, 30, 60),
    # struggling: the last two moods reported are all among these.
    "STRUGGLING_MOODS": ("struggling", "difficult"),
    # Attention queue: ratings below this are low; a program is flagged when more than
    # NEGATIVE_SHARE of its ratings are low (seed 001, "Negative Feedback Spike").
    "LOW_RATING": 0.5,
    "LOW_RATING_RECENT_DAYS": 30,
    "NEGATIVE_SHARE": 0.30,
    "NO_FEEDBACK_DAYS": 90,
}
# Match health (issue 21, ``enrollments.health``): the defaults of every program; a program
# overrides any key in ``Program.health_settings``. Each part is 0–1; the score is the
# weighted mean × 100; bands by score.
MATCH_HEALTH = {
    "WEIGHTS": {
        "contact_recency": 3,
        "contact_regularity": 2,
        "mood_level": 2,
        "mood_trend": 1,
        "ratings": 2,
        "rating_trend": 1,
        "categories": 1,
        "milestones": 1,
        "feedback_recency": 1,
    },
    # Contact: full marks up to GOOD days without contact, none from BAD days.
    "CONTACT_GOOD_DAYS": 7,
    "CONTACT_BAD_DAYS": 30,
    # Regularity: contacts (events, sessions, attendances, check-ins) in the window
    # against the expected number.
    "REGULARITY_WINDOW_DAYS": 56,
    "REGULARITY_EXPECTED": 8,
    # Mood: the last MOOD_RECENT check-ins against up to MOOD_RECENT earlier ones.
    "MOOD_RECENT": 3,
    "MOOD_VALUES": {"great": 1.0, "good": 0.75, "okay": 0.5, "struggling": 0.25, "difficult": 0.0},
    # A category rating (communication, helpfulness, engagement) below this is a reason.
    "CATEGORY_LOW": 0.5,
    "MILESTONES_TARGET": 3,
    "FEEDBACK_GOOD_DAYS": 30,
    "FEEDBACK_BAD_DAYS": 90,
    # A part without data (no mood, no rating yet) counts as this.
    "NEUTRAL": 0.5,
    "BANDS": {"healthy": 70, "watch": 45},  # below "watch": at risk
}
# Concerns (issue 21, ``concerns``): response-time targets per severity (hours from opening
# to acknowledgement; overdue cases top the attention queue) and the automatic suggestions.
CONCERNS = {
    "RESPOND_WITHIN_HOURS": {"critical": 24, "high": 48, "medium": 120, "low": 240},
    # Safeguarding cases are critical whatever severity is given.
    "SAFEGUARDING_WITHIN_HOURS": 24,
    # Suggested automatically: this many difficult check-ins in a row, a rating below this,
    # an end reason of ``violation``.
    "DIFFICULT_IN_A_ROW": 2,
    "DIFFICULT_MOODS": ("difficult",),
    "LOW_RATING": 0.2,
    "SUGGEST_RECENT_DAYS": 30,
}
# The weekly attention digest goes to staff users with an email; printed to the console
# unless a real backend is configured.
EMAIL_BACKEND = env.str(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="buddy@localhost")
# Impact figures (seed 001, "Integration Points": VIS and SROI inputs). Documented in README.
IMPACT = {
    # Volunteer hours are weighted by the kind of activity.
    "HOUR_WEIGHTS": {
        "skill_session": 1.0,  # direct mentoring
        "informal_event": 0.9,  # event support
        "formal_event": 1.0,
        "formal_event_organised": 1.2,  # group facilitation: organizer = the buddy's company
    },
    # Informal events reported without a duration count this many minutes.
    "INFORMAL_EVENT_DEFAULT_MINUTES": 60,
    # SROI investment: volunteer hours (unweighted) x this value per hour.
    "VOLUNTEER_HOUR_VALUE": 29.95,
    # SROI social value: points per dimension, then money per point.
    "INTEGRATION_MILESTONE_CATEGORIES": ("community", "cultural"),
    "INTEGRATION_POINTS_PER_MILESTONE": 0.1,
    "LANGUAGE_POINTS_PER_SESSION": 0.01,  # +0.1 level per 10 language sessions
    "JOB_READINESS_POINTS_PER_SESSION": 0.1,  # professional skill sessions
    "VALUE_PER_POINT": 5000.0,  # 500 per 0.1 point (seed 002)
}

# --- Logging: JSON lines, ids and outcomes only (never names, emails or free text) ---------
LOG_LEVEL = env.str("DJANGO_LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        # JSON lines; a record with an exception keeps its type and code locations, never
        # its text (database errors quote values: config/log_format.py)
        "json": {
            "()": "config.log_format.SafeJsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "ts", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        "celery.app.trace": {"level": "WARNING"},
        "axes.apps": {"level": "WARNING"},  # not its version banner at every start
    },
}
