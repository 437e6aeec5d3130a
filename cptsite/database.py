"""Database settings from a URL, tuned per engine. Used by settings.py and by commands
that open a second database (the synthetic benchmark catalogue)."""

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


def database_from_url(url, variable="DATABASE_URL", pg_conn_max_age=600):
    try:
        config = dj_database_url.parse(url)
    except ValueError as error:
        raise ImproperlyConfigured(f"{variable} is not a valid URL: {error}") from None
    engine = config.get("ENGINE")
    if not engine:
        raise ImproperlyConfigured(f"{variable} has an unknown scheme: {url!r}")
    if engine == "django.db.backends.sqlite3":
        config["CONN_MAX_AGE"] = None  # one connection per thread, kept open
        # SQLite's default page cache (2 MB a connection): each worker thread holds its
        # own connection, and a larger cache measured no faster but cost ~35 MB a thread
        # (docs/benchmarks.md).
        config["OPTIONS"] = {
            # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the busy
            # timeout instead of failing with "database is locked" on lock upgrade.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
            ),
        }
    elif engine == "django.db.backends.postgresql":
        config["CONN_MAX_AGE"] = pg_conn_max_age
        config["CONN_HEALTH_CHECKS"] = True
    return config
