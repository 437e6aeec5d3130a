"""The synthetic catalogue for benchmarks: built in a separate database, never the real one."""

import os
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manage(env, *args, check=True):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, check=check,
    )  # fmt: skip


def count(path, sql):
    with sqlite3.connect(path) as connection:
        return connection.execute(sql).fetchone()[0]


def site_env(tmp_path):
    """Return (the site's database, a catalogue database, the environment for manage.py)."""
    site, catalogue = tmp_path / "site.sqlite3", tmp_path / "catalogue.sqlite3"
    env = {
        "PATH": os.environ["PATH"],
        "SECRET_KEY": secrets.token_urlsafe(40),
        "DATABASE_URL": f"sqlite:///{site}",
        "CACHE_DIR": str(tmp_path / "cache"),
    }
    return site, catalogue, env


def test_catalogue_is_built_apart_from_the_sites_database(tmp_path):
    site, catalogue, env = site_env(tmp_path)
    manage(env, "migrate", "-v0")
    manage(env, "load_reference_data", "-v0")
    history_before = count(site, "SELECT COUNT(*) FROM codes_historicalcodeprocedure")

    refused = manage(
        env, "generate_synthetic_catalog", "--count", "10", "--database-url",
        f"sqlite:///{site}", check=False,
    )  # fmt: skip
    assert refused.returncode != 0 and "Refusing" in refused.stderr

    url = f"sqlite:///{catalogue}"
    manage(env, "generate_synthetic_catalog", "--count", "200", "--database-url", url)
    manage(env, "generate_synthetic_catalog", "--count", "150", "--database-url", url)

    synthetic = (
        "SELECT COUNT(*) FROM codes_codeprocedure c JOIN codes_section s ON s.id = c.section_id "
        "JOIN codes_section p ON p.id = s.parent_id WHERE p.slug = 'synthetic-catalogue'"
    )
    assert count(catalogue, synthetic) == 150  # the second run replaced the first
    assert count(catalogue, "SELECT COUNT(*) FROM codes_codeprocedure") == 38 + 150
    assert count(catalogue, "SELECT COUNT(*) FROM codes_searchentry") == 38 + 150
    # The site's own database is untouched, its history included.
    assert count(site, "SELECT COUNT(*) FROM codes_codeprocedure") == 38
    assert count(site, "SELECT COUNT(*) FROM codes_historicalcodeprocedure") == history_before


def test_catalogue_builds_before_the_sites_database_is_set_up(tmp_path):
    # `make bench` on a fresh clone builds the catalogue before `make run` ever migrated the
    # site's database; the data migrations must write to the database being migrated.
    _, catalogue, env = site_env(tmp_path)
    url = f"sqlite:///{catalogue}"
    manage(env, "generate_synthetic_catalog", "--count", "20", "--database-url", url)
    assert count(catalogue, "SELECT COUNT(*) FROM codes_codeprocedure") == 38 + 20
    roles = "SELECT COUNT(*) FROM auth_group WHERE name IN ('Editors', 'Reviewers')"
    assert count(catalogue, roles) == 2
