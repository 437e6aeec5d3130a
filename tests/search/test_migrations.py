"""The full-text index through schema changes: a fresh `migrate`, and a database brought
back to an earlier migration and forward again, both end with triggers on every table the
document reads and an index that a full rebuild leaves unchanged. Each case runs
`manage.py` on a database of its own: a SQLite file, or a scratch PostgreSQL database when
the suite runs on PostgreSQL."""

import re

from tests.search.helpers import manage

# Run in `manage.py shell`: the index as the triggers and migrations left it must equal a
# full rebuild, and an edit made with update() must reach it.
CHECK = """
from django.db import connection
from codes.models import CodeProcedure
from codes.search import schema
from codes.search.matching import search_codes
from tests.search.helpers import search_documents
kept = search_documents()
schema.execute_all(connection, schema.REBUILD[connection.vendor]())
assert search_documents() == kept, "the index differs from a full rebuild"
CodeProcedure.objects.filter(code="64831").update(title="Wombat repair")
found = [c.code for c in search_codes(CodeProcedure.objects.all(), "wombat").queryset]
assert found == ["64831"], found
with connection.cursor() as cursor:
    if connection.vendor == "postgresql":
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'codes_search_codes_seed%'")
    else:
        cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE 'codes_search_codes_seed%'")
    assert cursor.fetchall() == [], "a trigger of an earlier declaration was left behind"
print("index ok")
"""

# A trigger an earlier declaration might have installed on a table the live one no longer
# reads: whatever this module owns must be dropped before migrations run, not only what the
# live declaration would install.
LEGACY_TRIGGER = {
    "sqlite": "CREATE TRIGGER codes_search_codes_seededrecord_insert "
    "AFTER INSERT ON codes_seededrecord BEGIN SELECT 1; END",
    "postgresql": "CREATE TRIGGER codes_search_codes_seededrecord "
    "AFTER INSERT ON codes_seededrecord "
    "FOR EACH ROW EXECUTE FUNCTION codes_generation_bump()",
}


def test_a_fresh_migrate_gives_an_index_a_rebuild_leaves_unchanged(scratch_database_url):
    manage(scratch_database_url, "migrate", "-v0")
    manage(scratch_database_url, "load_reference_data", "-v0")
    assert "index ok" in manage(scratch_database_url, "shell", "-v0", "-c", CHECK)


def test_migrating_back_and_forward_keeps_the_index_and_drops_old_triggers(
    scratch_database_url,
):
    manage(scratch_database_url, "migrate", "-v0")
    manage(scratch_database_url, "load_reference_data", "-v0")
    vendor = "postgresql" if scratch_database_url.startswith("postgres") else "sqlite"
    legacy = (
        f"from django.db import connection; connection.cursor().execute({LEGACY_TRIGGER[vendor]!r})"
    )
    manage(scratch_database_url, "shell", "-v0", "-c", legacy)
    # Back past 0004 and forward again makes SQLite rebuild codes_codeprocedure, which
    # would break or drop triggers that name it; 0009 is the migration before this
    # declaration's first.
    manage(scratch_database_url, "migrate", "codes", "0003", "-v0")
    manage(scratch_database_url, "migrate", "codes", "0009", "-v0")
    manage(scratch_database_url, "migrate", "-v0")
    assert "index ok" in manage(scratch_database_url, "shell", "-v0", "-c", CHECK)


# Rewrites every code's text twenty times, as a bulk load's refreshes would.
BULK_REWRITES = """
from django.db.models import F, Value
from django.db.models.functions import Concat
from codes.models import CodeProcedure
for _ in range(20):
    CodeProcedure.objects.update(summary=Concat(F("summary"), Value(" x")))
"""


def test_compacting_the_index_after_a_bulk_load_keeps_it_whole(scratch_database_url):
    manage(scratch_database_url, "migrate", "-v0")
    manage(scratch_database_url, "load_reference_data", "-v0")
    manage(scratch_database_url, "shell", "-v0", "-c", BULK_REWRITES)
    report = manage(scratch_database_url, "compact_search_index", "-v2")
    if scratch_database_url.startswith("postgres"):
        before, after = map(
            int, re.search(r"codes_searchentry: (\d+) -> (\d+) bytes", report).groups()
        )
        assert after < before, report
    else:
        assert "codes_searchentry: optimized" in report
    assert "index ok" in manage(scratch_database_url, "shell", "-v0", "-c", CHECK)
