"""Fixtures of the search tests."""

import uuid

import pytest
from django.db import connection


@pytest.fixture
def scratch_database_url(tmp_path):
    """A database of its own, of the kind the suite runs on."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'db.sqlite3'}"
        return
    import psycopg

    settings = connection.settings_dict
    name = f"scratch_{uuid.uuid4().hex[:12]}"
    server = (
        f"host={settings['HOST'] or '127.0.0.1'} port={settings['PORT'] or 5432} "
        f"user={settings['USER']} dbname=postgres"
    )
    if settings["PASSWORD"]:
        server += f" password={settings['PASSWORD']}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    yield (
        f"postgres://{settings['USER']}{password}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{name}"
    )
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
