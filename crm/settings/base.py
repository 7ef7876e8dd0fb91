"""Settings shared by every environment; everything that differs comes from the environment."""
import hashlib
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("CRM_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "django-insecure-local-development-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",  # the widget templates, so templates/django/forms/ may override one (FORM_RENDERER below)
    "guardian",
    "axes",
    "import_export",
    "django_celery_beat",
    "crm",
    "customers",
    "dealers",
    "orders",
    "confidentiality",
    "service",
    "imports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "crm.middleware.OrganisationLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "crm.inputs.RefuseNulBytesMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "crm.actor.CurrentActorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Must be last: it turns axes' lockout signal into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crm.urls"
# Widgets render through the project's templates: every select's empty choice reads 请选择, not "---------".
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
WSGI_APPLICATION = "crm.wsgi.application"
ASGI_APPLICATION = "crm.asgi.application"

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
                "crm.context_processors.navigation",
            ],
        },
    },
]


def database_from_env() -> dict:
    """SQLite by default; WAL and immediate transactions so web, worker and beat can write at once."""
    url = os.environ.get("DATABASE_URL")
    if url:
        config = dj_database_url.parse(url, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")))
    else:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "db.sqlite3"}
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config.setdefault("OPTIONS", {}).update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA busy_timeout=30000;"
                    "PRAGMA foreign_keys=ON;"
                ),
            }
        )
    return config


DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTHENTICATION_BACKENDS = [
    # axes first: it refuses locked-out users before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous object permissions in a CRM

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "crm.validators.LettersAndDigitsValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Session ends after 30 minutes without a request (each request renews it).
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_SECONDS", 30 * 60))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
# A stale or reused form gets our page (UI language, layout, a way back), not Django's English one.
CSRF_FAILURE_VIEW = "crm.views.csrf_failure"

# Lockout after repeated failures (django-axes).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
# Lock the account, not the IP: a whole sales office shares one NAT address, and one person's
# typos must not lock out colleagues. That is why axes.W006 is silenced.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport under var/.
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = timedelta(days=1)
# Installed into django-celery-beat's tables when beat starts; admins see and change them there.
# One beat only (see README): two would enqueue every job twice; the jobs' unique keys make that
# harmless, but it doubles the work.
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE = {
    "revoke-expired-grants": {"task": "confidentiality.tasks.revoke_expired_grants", "schedule": timedelta(hours=1)},
    "complaint-escalation": {"task": "service.tasks.escalate_complaints", "schedule": timedelta(hours=1)},
    "verification-scan": {"task": "service.tasks.verification_scan", "schedule": crontab(hour=1, minute=0)},
    "revisit-scan": {"task": "service.tasks.revisit_scan", "schedule": crontab(hour=1, minute=20)},
    "licence-scan": {"task": "service.tasks.licence_scan", "schedule": crontab(hour=1, minute=40)},
    "public-pool-sweep": {"task": "service.tasks.public_pool_sweep", "schedule": crontab(hour=2, minute=0)},
    "birthday-greetings": {"task": "service.tasks.birthday_greetings", "schedule": crontab(hour=9, minute=0)},
    "static-review-scan": {"task": "service.tasks.static_review_scan", "schedule": crontab(hour=2, minute=20)},
    # Daily; the scan itself acts only on the first working day of a quarter (Chinese calendar).
    "tier-review-scan": {"task": "service.tasks.tier_review_scan", "schedule": crontab(hour=2, minute=40)},
    "new-account-scan": {"task": "service.tasks.new_account_scan", "schedule": crontab(hour=3, minute=0)},
    # After the verification and revisit scans: their overdue tasks escalate once to the owner's sales manager.
    "overdue-task-escalation": {"task": "service.tasks.escalate_overdue_tasks", "schedule": crontab(hour=3, minute=20)},
    "monthly-lending-report": {"task": "confidentiality.tasks.monthly_lending_report",
                               "schedule": crontab(day_of_month=5, hour=8, minute=0)},
    "audit-anchor": {"task": "crm.tasks.anchor_audit_chain", "schedule": crontab(hour=0, minute=30)},
    # Dealers (seed 002, 003): last month's HQ share and fees on the 1st, plan reminders on the 3rd,
    # credit grades proposed monthly, registration checks of dealers with receivables weekly.
    "dealer-hq-share-check": {"task": "dealers.tasks.hq_share_check", "schedule": crontab(day_of_month=1, hour=4, minute=0)},
    "dealer-monthly-fees": {"task": "dealers.tasks.monthly_fees", "schedule": crontab(day_of_month=1, hour=4, minute=20)},
    "dealer-plan-reminders": {"task": "dealers.tasks.plan_reminders", "schedule": crontab(day_of_month=3, hour=9, minute=0)},
    "dealer-credit-proposals": {"task": "dealers.tasks.credit_grade_proposals",
                                "schedule": crontab(day_of_month=2, hour=4, minute=0)},
    "dealer-registration-checks": {"task": "dealers.tasks.registration_check_reminders",
                                   "schedule": crontab(day_of_week=1, hour=8, minute=30)},
    "orders-overdue-scan": {"task": "orders.tasks.overdue_scan", "schedule": crontab(hour=0, minute=10)},
    "orders-late-shipment-scan": {"task": "orders.tasks.late_shipment_scan", "schedule": crontab(hour=8, minute=30)},
}
CRM_EMAIL_NOTIFICATIONS = env_bool("CRM_EMAIL_NOTIFICATIONS", False)
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # A message a killed worker held goes back to the queue after this many seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", 3600))}
else:
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    _results_dir = VAR_DIR / "celery" / "results"
    _control_dir = VAR_DIR / "celery" / "control"
    for _d in (_queue_dir, _processed_dir, _results_dir, _control_dir):
        _d.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "store_processed": False,
        "control_folder": str(_control_dir),
    }
    CELERY_RESULT_BACKEND = f"file://{_results_dir}"

# The audit log's hash chain is keyed with a secret the database does not hold; its head is anchored
# daily outside the database (docs/audit-log.md). Production requires AUDIT_CHAIN_KEY; elsewhere a
# key derived from SECRET_KEY stands in (local.py warns about it).
AUDIT_CHAIN_KEY = os.environ.get("AUDIT_CHAIN_KEY", "")
if not AUDIT_CHAIN_KEY:
    AUDIT_CHAIN_KEY = hashlib.sha256(f"crm.audit-chain:{SECRET_KEY}".encode()).hexdigest()
AUDIT_ANCHOR_DIR = Path(os.environ.get("AUDIT_ANCHOR_DIR", VAR_DIR / "audit-anchors"))
AUDIT_ANCHOR_EMAILS = env_list("AUDIT_ANCHOR_EMAILS")
# Production: the role that owns the audit tables, and the application's role granted only INSERT/SELECT
# on them (migration 0007 and `manage.py audit_ownership`); unset, the ownership step is skipped.
AUDIT_OWNER_ROLE = os.environ.get("AUDIT_OWNER_ROLE", "")
AUDIT_APP_ROLE = os.environ.get("AUDIT_APP_ROLE", "")

# Imports (issue 6): files above this many rows are previewed and written by a worker.
CRM_IMPORT_INLINE_ROWS = int(os.environ.get("CRM_IMPORT_INLINE_ROWS", 5000))
CRM_IMPORT_MAX_UPLOAD_MB = int(os.environ.get("CRM_IMPORT_MAX_UPLOAD_MB", 200))
CRM_IMPORT_QUEUE = os.environ.get("CRM_IMPORT_QUEUE") or None  # None: Celery's default queue
# Seconds a commit rests inside its transaction after each statement; only the kill test sets it.
CRM_IMPORT_COMMIT_PAUSE = float(os.environ.get("CRM_IMPORT_COMMIT_PAUSE", 0))
# Bulk actions on the customer list (issue 13): more customers than this run on the worker, with progress.
CRM_BULK_INLINE_ROWS = int(os.environ.get("CRM_BULK_INLINE_ROWS", 200))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

CRM_SITE_NAME = _("Customer Management")
