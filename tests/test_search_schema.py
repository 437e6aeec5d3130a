"""The full-text index stays in sync through schema changes, not only through edits."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHECK = """
from codes.models import CodeProcedure
from codes.search.matching import search_codes
CodeProcedure.objects.filter(code="64831").update(title="Wombat repair")
found = [c.code for c in search_codes(CodeProcedure.objects.all(), "wombat").queryset]
print(found)
"""


def manage(db_path, *args):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_path}", "SECRET_KEY": "tests"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


def test_sqlite_table_rebuilds_by_migrations_keep_the_index_in_sync(tmp_path):
    # Migrating back past 0004 and forward again makes SQLite rebuild codes_codeprocedure,
    # which would break or drop triggers that name it.
    db_path = tmp_path / "db.sqlite3"
    manage(db_path, "migrate", "-v0")
    manage(db_path, "load_reference_data", "-v0")
    manage(db_path, "migrate", "codes", "0003", "-v0")
    manage(db_path, "migrate", "-v0")
    result = manage(db_path, "shell", "-v0", "-c", CHECK)
    assert result.stdout.strip().endswith("['64831']")
