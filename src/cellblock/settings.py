"""cellblock settings: one module, driven by environment variables.

Every variable is listed in ``.env.example``.  ``CELLBLOCK_ENV=production``
turns on the hardened defaults; the system checks in ``core.checks`` then refuse
to start with a default secret key, DEBUG on, or SQLite.
"""

from __future__ import annotations

import os
from pathlib import Path

from cellblock.core.dburl import parse_database_url

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("CELLBLOCK_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


ENVIRONMENT = os.environ.get("CELLBLOCK_ENV", "development")
PRODUCTION = ENVIRONMENT == "production"

# Development only: the production checks refuse this value.
INSECURE_DEFAULT_SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("CELLBLOCK_SECRET_KEY", INSECURE_DEFAULT_SECRET_KEY)
DEBUG = env_bool("CELLBLOCK_DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env_list(
    "CELLBLOCK_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("CELLBLOCK_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "template_partials",
    # Serves the API docs' Swagger UI from our own static files, not a CDN.
    "ninja",
    "cellblock.core",
    "cellblock.audit",
    "cellblock.accounts",
    "cellblock.facilities",
    "cellblock.people",
    "cellblock.booking",
    "cellblock.housing",
    "cellblock.classification",
    "cellblock.custody",
    "cellblock.incidents",
    "cellblock.visits",
    "cellblock.requests",
    "cellblock.medical",
    "cellblock.court",
    "cellblock.release",
    "cellblock.compliance",
    "cellblock.exchange",
    "cellblock.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "cellblock.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "cellblock.accounts.middleware.SessionLimitsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cellblock.core.error_pages.DomainErrorMiddleware",
]

ROOT_URLCONF = "cellblock.urls"
WSGI_APPLICATION = "cellblock.wsgi.application"

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
                "cellblock.core.context_processors.shell",
            ],
        },
    }
]

DATABASES = {
    "default": parse_database_url(
        os.environ.get("CELLBLOCK_DATABASE_URL", f"sqlite:///{VAR_DIR / 'cellblock.sqlite3'}"),
        base_dir=Path.cwd(),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Tests run on a file, not in memory, so threads share one database and
    # WAL and IMMEDIATE transactions behave as they do in production.  One
    # file per process keeps parallel runs apart.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# The only password backend: it counts failures, locks accounts and audits both,
# whichever page (ours or the admin's) asked.
AUTHENTICATION_BACKENDS = ["cellblock.accounts.backends.LockoutBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# CJIS: lock an account after 5 failed logins within 15 minutes, until an
# administrator releases it.
CELLBLOCK_LOGIN_FAILURE_LIMIT = 5
CELLBLOCK_LOGIN_FAILURE_WINDOW_MINUTES = 15

# CJIS: lock a session after 30 minutes idle; re-authenticate every 12 hours.
CELLBLOCK_SESSION_IDLE_MINUTES = int(os.environ.get("CELLBLOCK_SESSION_IDLE_MINUTES", "30"))
CELLBLOCK_SESSION_MAX_HOURS = int(os.environ.get("CELLBLOCK_SESSION_MAX_HOURS", "12"))
SESSION_COOKIE_AGE = CELLBLOCK_SESSION_MAX_HOURS * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Project-wide assets (layout CSS, vendored htmx) live beside the templates.
STATICFILES_DIRS = [BASE_DIR / "static"]

# Booking photos.  They are never served from MEDIA_URL: a view checks who
# asks (people/views.py), so the directory must not be exposed by a web server.
MEDIA_ROOT = Path(os.environ.get("CELLBLOCK_MEDIA_ROOT", VAR_DIR / "media"))
CELLBLOCK_PHOTO_MAX_BYTES = int(os.environ.get("CELLBLOCK_PHOTO_MAX_BYTES", str(5 * 1024 * 1024)))
# Larger images are refused before decoding (a small file can unpack to gigabytes).
CELLBLOCK_PHOTO_MAX_PIXELS = 40_000_000
CELLBLOCK_PHOTO_THUMBNAIL_PX = 240

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CELLBLOCK_LOG_LEVEL", "INFO")},
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("CELLBLOCK_SSL_REDIRECT", True)
    # Load balancers probe the health check over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("CELLBLOCK_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    X_FRAME_OPTIONS = "DENY"
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
