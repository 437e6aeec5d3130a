"""Database settings from a URL, tuned per engine. Used by settings.py and by commands
that open a second database (the synthetic benchmark catalogue)."""

import os
from pathlib import Path

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


OWNER_ONLY = 0o600


def make_sqlite_file_private(name):
    """Create the SQLite database file readable by its owner only (0600), or narrow an
    existing one and its WAL files to that: it holds password hashes and sessions.

    SQLite creates its -wal and -shm files with the database file's permissions, so a file
    made here before the first connection keeps them private too.
    """
    if not name or str(name) == ":memory:" or str(name).startswith("file:"):
        return
    path = Path(name)
    if not path.parent.is_dir():
        return  # nothing to protect yet; the first connection fails with its own message
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, OWNER_ONLY))
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if file.exists():
            os.chmod(file, OWNER_ONLY)
