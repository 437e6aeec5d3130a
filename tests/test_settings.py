"""Settings fail loudly on a bad value and stay secure by default."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from cptsite.settings import env_bool, env_int

ROOT = Path(__file__).resolve().parent.parent


def import_settings(**env):
    """Import the real settings in a fresh interpreter with only the given variables."""
    clean = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    clean.update(env)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import cptsite.settings as s; print(s.DEBUG, s.ALLOWED_HOSTS)",
        ],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
    )


def test_env_bool_rejects_a_malformed_value(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        env_bool("DEBUG")


def test_env_int_names_the_variable(monkeypatch):
    monkeypatch.setenv("CPT_COPYRIGHT_YEAR", "soon")
    with pytest.raises(ImproperlyConfigured, match="CPT_COPYRIGHT_YEAR"):
        env_int("CPT_COPYRIGHT_YEAR", 2026)


def test_missing_secret_key_stops_start_up_unless_debug(tmp_path):
    result = import_settings(SECRET_KEY_FILE=str(tmp_path / "none"))
    assert result.returncode != 0 and "SECRET_KEY is not set" in result.stderr
    assert import_settings(SECRET_KEY_FILE=str(tmp_path / "none"), DEBUG="true").returncode == 0


def test_debug_is_off_and_hosts_are_narrow_by_default(tmp_path):
    result = import_settings(SECRET_KEY="x" * 50, SECRET_KEY_FILE=str(tmp_path / "none"))
    assert result.stdout.strip() == "False ['127.0.0.1', 'localhost']"


def test_bad_database_url_names_the_variable():
    result = import_settings(SECRET_KEY="x" * 50, DATABASE_URL="nonsense://what")
    assert result.returncode != 0 and "DATABASE_URL" in result.stderr


def test_the_sqlite_database_is_created_readable_by_its_owner_only(tmp_path):
    fresh, existing = tmp_path / "fresh.sqlite3", tmp_path / "existing.sqlite3"
    existing.write_bytes(b"")
    existing.chmod(0o644)
    for path in (fresh, existing):
        result = import_settings(SECRET_KEY="x", DATABASE_URL=f"sqlite:///{path}")
        assert result.returncode == 0, result.stderr
        assert path.stat().st_mode & 0o777 == 0o600


def test_the_sqlite_write_ahead_log_is_private_too(tmp_path):
    from cptsite.database import make_sqlite_file_private

    path = tmp_path / "db.sqlite3"
    make_sqlite_file_private(path)
    import sqlite3

    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE t (x)")
    wal = Path(f"{path}-wal")
    assert wal.exists() and wal.stat().st_mode & 0o777 == 0o600
    connection.close()


def test_a_zero_page_cache_is_refused():
    result = import_settings(SECRET_KEY="x", PAGE_CACHE_SLOTS="0")
    assert result.returncode != 0 and "PAGE_CACHE_SLOTS" in result.stderr
