"""Test settings: the real settings with plain static storage and fast password hashing."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")

from cptsite.settings import *  # noqa: F403

STORAGES = {
    **STORAGES,  # noqa: F405
    # No manifest needed: tests render templates without running collectstatic.
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Serve static files straight from static/ so tests never need collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# One in-process cache per test run; tests/conftest.py clears it around every test.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
