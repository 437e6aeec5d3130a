"""Settings for CPT Reference, read from the environment.

Secure by default: DEBUG is off unless asked for, there is no fallback secret, and a
malformed value stops start-up with an error that names the variable. `.env.example`
documents every variable.
"""

import os
import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from cptsite.database import database_from_url, make_sqlite_file_private

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def env_bool(name, default=False):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (1/0, yes/no, on/off); got {raw!r}.")


def env_list(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int(name, default):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}.") from None


DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY_FILE = Path(os.environ.get("SECRET_KEY_FILE", VAR_DIR / "secret_key"))
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and SECRET_KEY_FILE.is_file():
    # `make` writes a random key here on a developer's machine; it is never committed.
    SECRET_KEY = SECRET_KEY_FILE.read_text().strip()
if not SECRET_KEY:
    if DEBUG:
        # Only a developer's DEBUG session may run without a secret; it is random per
        # process, so sessions do not survive a restart and nothing guessable is signed.
        from django.core.management.utils import get_random_secret_key

        SECRET_KEY = get_random_secret_key()
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment or in SECRET_KEY_FILE "
            "(`make run` creates var/secret_key for local use), or set DEBUG=true."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "codes.apps.ReferenceAdminConfig",  # django.contrib.admin with our site (codes/admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django_filters",
    "simple_history",
    "csp",
    "axes",
    "codes",
]

MIDDLEWARE = [
    # First, so every log line of the request carries its id.
    "cptsite.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Right after SecurityMiddleware, so static files skip the rest of the stack.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Cached pages for anonymous readers, before sessions and the rest (codes/cache.py).
    "codes.cache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Records who made each change in the history tables.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "cptsite.middleware.PermissionsPolicyMiddleware",
    "cptsite.middleware.LoginRequiredEverywhereMiddleware",
    "cptsite.middleware.LoginSprayGuardMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Counts failed logins and refuses locked-out addresses and users first.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "cptsite.urls"
WSGI_APPLICATION = "cptsite.wsgi.application"

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
                "codes.context_processors.site",
            ],
        },
    },
]

# Databases -----------------------------------------------------------------------------

DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASE_URL = os.environ.get("DATABASE_URL", "") or DEFAULT_DATABASE_URL
DATABASES = {
    "default": database_from_url(
        DATABASE_URL, pg_conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 600)
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    make_sqlite_file_private(DATABASES["default"]["NAME"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Passwords, language, time ---------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

# Static files ----------------------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}

# Security ------------------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Staff sessions end after a working day, and when the browser closes.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 10)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# No inline script or style anywhere; JSON-LD data blocks are not executed, so allowed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Features this site never uses, switched off for every page (cptsite/middleware.py).
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
)

# The admin lives where the deployment says, e.g. ADMIN_PATH=editors-7f3a/.
ADMIN_PATH = os.environ.get("ADMIN_PATH", "admin/")
if not re.fullmatch(r"(?:[A-Za-z0-9_-]+/)+", ADMIN_PATH):
    raise ImproperlyConfigured(
        f"ADMIN_PATH must be path segments ending in '/', like 'admin/'; got {ADMIN_PATH!r}."
    )

# Private deployments (a CPT licence covering named staff only): every page but /healthz
# needs a logged-in user.
SITE_REQUIRE_LOGIN = env_bool("SITE_REQUIRE_LOGIN", default=False)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# Repeated failed logins lock out the user name *from that address* for a while
# (django-axes), so nobody can lock a colleague out from elsewhere or lock out everyone
# behind a shared address; an address trying many user names is locked as a whole
# (cptsite/lockout.py).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "cptsite.lockout.locked_out"
LOGIN_SPRAY_USERNAME_LIMIT = env_int("LOGIN_SPRAY_USERNAME_LIMIT", 10)
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
# Behind a proxy, the client's address is PROXY_COUNT hops back in X-Forwarded-For.
PROXY_COUNT = env_int("PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "cptsite.middleware.client_ip"

# Behind HTTPS (production): redirect plain HTTP, secure cookies, HSTS. Off by default so
# `make run` works on http://127.0.0.1:8000.
HTTPS = env_bool("HTTPS", default=False)
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading is a one-way commitment for a whole domain and its subdomains; a
        # deployment opts in with SECURE_HSTS_PRELOAD=true rather than by default.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    # The proxy in front terminates TLS and says so in this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Cache ---------------------------------------------------------------------------------
# Pages are cached for anonymous readers, keyed on a content version that every save
# bumps (codes/cache.py). The cache must be shared by every worker: Redis when REDIS_URL
# is set, otherwise files under var/cache, which all workers on one machine share.
# The page cache stores at most this many pages, whatever the backend (codes/cache.py): a
# flood of distinct searches replaces pages instead of growing the cache. Each page is at
# most 256 KB (a search page is about 40 KB), so the cache stays under 2.5 GB at the default
# and about 400 MB with typical pages.
PAGE_CACHE_SLOTS = env_int("PAGE_CACHE_SLOTS", 10_000)
if PAGE_CACHE_SLOTS < 1:
    raise ImproperlyConfigured(f"PAGE_CACHE_SLOTS must be at least 1; got {PAGE_CACHE_SLOTS}.")
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            f"REDIS_URL must start with redis://, rediss:// or unix://; got {REDIS_URL!r}."
        )
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "cptref",
            "TIMEOUT": env_int("CACHE_TIMEOUT", 60 * 60 * 24),
        }
    }
else:
    CACHES = {
        "default": {
            # Django's file cache, counting its files now and then instead of on every
            # write (cptsite/file_cache.py).
            "BACKEND": "cptsite.file_cache.SharedFileCache",
            "LOCATION": os.environ.get("CACHE_DIR", str(VAR_DIR / "cache")),
            "TIMEOUT": env_int("CACHE_TIMEOUT", 60 * 60 * 24),
            # A second bound: the slots plus the generation key never reach it.
            "OPTIONS": {"MAX_ENTRIES": PAGE_CACHE_SLOTS + 1_000},
        }
    }

# Logging: everything to stdout, where gunicorn and the platform collect it.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "cptsite.logging_context.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}

# The site ------------------------------------------------------------------------------

SITE_NAME = "CPT Reference"
# Only a deployment that holds an AMA CPT licence may show official descriptors (and import
# them with `manage.py import_descriptors`). Off by default.
CPT_LICENSED = env_bool("CPT_LICENSED", default=False)
# Year printed in the AMA notice: the edition of CPT the content was checked against.
CPT_COPYRIGHT_YEAR = env_int("CPT_COPYRIGHT_YEAR", 2026)

# How public pages credit the last review: "name" (the reviewer's full name, or "a reviewer"
# when the account has none) or "role" (always "a reviewer"). Never a user name.
REVIEWER_SHOWN_AS = os.environ.get("REVIEWER_SHOWN_AS", "name")
if REVIEWER_SHOWN_AS not in {"name", "role"}:
    raise ImproperlyConfigured(
        f"REVIEWER_SHOWN_AS must be name or role; got {REVIEWER_SHOWN_AS!r}."
    )
