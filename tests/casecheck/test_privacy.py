"""The note is never kept: a marker string in submitted notes (form and API, good and failing
inputs, and a failure inside the check) is afterwards in no log record, no cache entry, no
row of any table and no file under var/."""

import json
import logging
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection

pytestmark = pytest.mark.django_db

MARKER = "ZQXJMARKER7731"
GOOD = f"{MARKER}. The ulnar digital nerve of the left ring finger was repaired end-to-end."
NOTES = [
    GOOD,
    f"A sural nerve graft was interposed to the right facial nerve {MARKER}.",
    f"Mastoidectomy {MARKER}; tympanic segment of the facial nerve grafted.",
    MARKER,
    f"{MARKER} " + "x" * 20_001,  # too long
    f"{MARKER}\x00\x01binary",  # binary
    f"<script>{MARKER}</script>",
]


def submit_everything(client, monkeypatch):
    for note in NOTES:
        client.post("/check/", {"note": note})
        client.post("/api/check", json.dumps({"note": note}), content_type="application/json")
    client.post("/api/check", f'{{"note": "{MARKER}"', content_type="application/json")
    client.post("/api/check", f"note={MARKER}", content_type="application/x-www-form-urlencoded")
    client.get(f"/check/?note={MARKER}")
    from codes.casecheck import engine

    def broken(text, today=None):
        raise RuntimeError(f"failed on {text}")

    monkeypatch.setattr(engine, "check", broken)
    client.post("/check/", {"note": GOOD})
    client.post("/api/check", json.dumps({"note": GOOD}), content_type="application/json")


def tables_holding(marker):
    """Every table (Django's, the history's, the search index's) whose rows hold the marker
    in any column, read row by row."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                text = " ".join(
                    bytes(value).decode("utf-8", "replace")
                    if isinstance(value, (bytes, memoryview))
                    else str(value)
                    for value in row
                )
                if marker in text:
                    found.append(table)
                    break
    return found


def test_the_marker_is_kept_nowhere(client, caplog, monkeypatch):
    started = time.time()
    caplog.set_level(logging.DEBUG)
    submit_everything(client, monkeypatch)

    for record in caplog.records:
        text = f"{record.getMessage()} {record.exc_text or ''} {record.args!r}"
        assert MARKER not in text, record.name
    assert any("case check failed: RuntimeError" in r.getMessage() for r in caplog.records)

    for alias in settings.CACHES:
        store = getattr(caches[alias], "_cache", {})
        for key, value in store.items():
            assert MARKER not in key
            assert MARKER.encode() not in value

    assert tables_holding(MARKER) == []

    var = Path(settings.BASE_DIR) / "var"
    for path in var.rglob("*") if var.exists() else []:
        if path.is_file() and path.stat().st_mtime >= started - 1:
            assert MARKER.encode() not in path.read_bytes(), path


def test_the_check_reads_no_more_than_it_must(client, django_assert_num_queries):
    client.post("/api/check", json.dumps({"note": GOOD}), content_type="application/json")
    # 1-2 the edit releases and the add-on list (for +64832 and 69990), 3-6 the pair check
    # (releases, add-on rows, MUEs, titles; one code, so no PTP query), 7-8 the fee-schedule
    # release and its rows (modifiers). No session, user or diagnosis query for this note.
    with django_assert_num_queries(8):
        client.post("/api/check", json.dumps({"note": GOOD}), content_type="application/json")


def test_the_scans_would_find_a_kept_marker(django_user_model):
    # The control: the same scans find the marker where something did keep it.
    django_user_model.objects.create_user("kept", first_name=MARKER)
    assert "auth_user" in tables_holding(MARKER)
    caches["default"].set("kept", MARKER)
    assert any(MARKER.encode() in value for value in caches["default"]._cache.values())
