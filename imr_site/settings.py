"""Settings for IMR Precedent Search; every deployment-specific value comes from the environment."""

import os
from pathlib import Path

from imr_site import env

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("IMR_VAR_DIR", BASE_DIR / "var"))

DEBUG = env.flag("DEBUG", default=False)
SECRET_KEY = env.secret_key(DEBUG, VAR_DIR / "secret_key")
ALLOWED_HOSTS = env.text_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_filters",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "decisions",
    "decisions.search.backends.postgres",
    "decisions.search.backends.shared_index",
    "alerts",
]

MIDDLEWARE = [
    "decisions.middleware.ServerTimingMiddleware",
    "decisions.replicas.ReplicaReadMiddleware",
    # Pages, JSON and CSV compressed for clients that accept gzip (a results page is ~10x smaller);
    # static files come precompressed from WhiteNoise. CSRF tokens are masked per response (BREACH).
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "decisions.middleware.UploadGuardMiddleware",
    "decisions.middleware.IndexUnavailableMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

# django-axes: after 5 failed logins from one address, or for one user name, logins are refused
# for 15 minutes (a successful login resets the count).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.integer("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = 0.25  # hours
# Lock a user name at one address, not the address: five wrong passwords for "admin" must not
# keep another user at the same office from logging in.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

# django-csp: scripts and everything else only from this site; inline style attributes are
# allowed for the admin's own templates.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

ROOT_URLCONF = "imr_site.urls"
WSGI_APPLICATION = "imr_site.wsgi.application"

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
                "decisions.context_processors.search_url",
                "decisions.context_processors.index_notices",
            ],
        },
    },
    {  # the search page's repeated blocks (imr_site/jinja2.py says why)
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "OPTIONS": {"environment": "imr_site.jinja2.environment"},
    },
]

DATABASES = {"default": env.database(f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)  # a fresh clone has no var/
    # WAL lets gunicorn workers read while an import writes, and commits without a full fsync each;
    # IMMEDIATE transactions make concurrent writers wait their turn instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
# Streaming replicas of a PostgreSQL primary: anonymous page reads go to one of them, everything
# else to the primary (decisions/replicas.py).
DATABASE_REPLICAS = env.database_replicas(DATABASES["default"])
DATABASES.update(DATABASE_REPLICAS)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/Los_Angeles"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
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

# In development (and tests, which run with DEBUG off) static files come straight from static/;
# production serves the collected, compressed and hashed copies.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Search: the engine, where the embedded index lives, how much memory each process may
# use for its caches of postings and bitsets, and how long one search may run before it is stopped.
SEARCH_BACKEND = env.search_backend(DATABASES["default"])
DATABASE_ROUTERS = [
    "decisions.replicas.ReplicaRouter",
    "decisions.search.backends.postgres.router.PostgresOnlyRouter",
]
SEARCH_INDEX_DIR = env.search_index_dir(VAR_DIR)
# Per process: bitsets built from the (shared, memory-mapped) index for frequent words and filters.
SEARCH_CACHE_MB = env.integer("SEARCH_CACHE_MB", 128, minimum=16)
# Per gunicorn worker: past this many MB resident after a request, the worker lets go of the index
# pages it maps (they stay in the page cache, shared), so a worker's memory does not grow with the archive.
SEARCH_WORKER_RSS_MB = env.integer("SEARCH_WORKER_RSS_MB", 768, minimum=16)
SEARCH_TIME_BUDGET_SECONDS = env.number("SEARCH_TIME_BUDGET_SECONDS", 5.0, minimum=0.05)
# Several web servers on one database, each searching its own copy of the embedded index: every
# write to it is published to the database, and each server's worker copies what it lacks this
# often (decisions/search/backends/embedded/sharing.py; README "Several servers").
SEARCH_INDEX_SHARED = env.search_index_shared(SEARCH_BACKEND)
SEARCH_INDEX_COPY_SECONDS = env.number("SEARCH_INDEX_COPY_SECONDS", 1.0, minimum=0.1)

# Accounts (made by staff in the admin) save searches and get alerts; searching needs none.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "alerts:list"
LOGOUT_REDIRECT_URL = "decisions:search"
# Email: printed to the console unless EMAIL_HOST names a server. SITE_URL makes the links in emails.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env.integer("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env.flag("EMAIL_USE_TLS", default=True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "IMR Precedent Search <alerts@localhost>")
# By default the address the site serves on (scripts/serve's HOST and PORT), so links in emails work.
SITE_URL = os.environ.get("SITE_URL") or env.served_at(
    os.environ.get("HOST"), env.integer("PORT", 8000, minimum=1)
)

# Background jobs (imports, re-parses, index rebuilds) are rows in the database that
# `manage.py run_worker` (started by scripts/serve) picks up; no broker to run.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# A running job whose worker has not reported for this long is taken over by another worker.
IMR_JOB_STALE_SECONDS = env.integer("IMR_JOB_STALE_SECONDS", 300, minimum=10)
# Tasks the worker enqueues by itself, every so many seconds (alert digests are sent when due).
IMR_PERIODIC_TASKS = {
    "alerts.tasks.send_alerts": env.integer("IMR_ALERT_CHECK_SECONDS", 300, minimum=10),
    # Every byte of the search index read against its checksums (a damaged file is mended).
    "decisions.tasks.verify_index": env.integer("IMR_INDEX_VERIFY_SECONDS", 86400, minimum=60),
}
# Uploaded files wait here for their import job, and stay until the job is deleted.
IMR_UPLOAD_DIR = Path(os.environ.get("IMR_UPLOAD_DIR", VAR_DIR / "uploads"))
# Processes an import job parses letters in, while the worker's own process stores them.
IMR_IMPORT_PROCESSES = env.integer("IMR_IMPORT_PROCESSES", min(os.cpu_count() or 1, 2), minimum=1)

# Uploads: one letter is a few hundred KB; a ZIP of many letters may be larger.
IMR_MAX_UPLOAD_BYTES = env.integer("IMR_MAX_UPLOAD_BYTES", 50 * 1024 * 1024, minimum=1024)
IMR_MAX_ZIP_UPLOAD_BYTES = env.integer("IMR_MAX_ZIP_UPLOAD_BYTES", 500 * 1024 * 1024, minimum=1024)
IMR_MAX_UNZIPPED_BYTES = env.integer("IMR_MAX_UNZIPPED_BYTES", 500 * 1024 * 1024, minimum=1024)
IMR_MAX_ZIP_ENTRIES = env.integer("IMR_MAX_ZIP_ENTRIES", 5000, minimum=1)
# A CSV download holds at most this many items (about 3 s of a worker at the limit).
IMR_EXPORT_MAX_ROWS = env.integer("IMR_EXPORT_MAX_ROWS", 10_000, minimum=1)
# Reading one PDF happens in a child process with these bounds (real letters need far less).
IMR_PDF_SECONDS = env.number("IMR_PDF_SECONDS", 20.0, minimum=1)
IMR_PDF_MEMORY_MB = env.integer("IMR_PDF_MEMORY_MB", 1024, minimum=128)
IMR_PDF_MAX_PAGES = env.integer("IMR_PDF_MAX_PAGES", 60, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 1000

# HTTPS hardening is on in production; HTTPS=0 serves plain HTTP (localhost demo, benchmarks).
HTTPS = env.flag("HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
# X-Forwarded-Proto is believed only from the reverse proxy a deployment says it has.
BEHIND_PROXY = env.flag("BEHIND_PROXY", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
CSRF_TRUSTED_ORIGINS = env.text_list("CSRF_TRUSTED_ORIGINS", [])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"decisions": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
