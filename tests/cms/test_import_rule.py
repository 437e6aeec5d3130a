"""The CMS importers follow the import rule (codes/import_rule.py): every bad line named
before anything is written, rows stored in short transactions into a release no page shows,
the switch at the end; a run stopped part way leaves the release before current and the
pages as they were, and the next run finishes it; a dry run writes nothing."""

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from codes import import_rule
from codes.cms import edits_import, pfs_import
from codes.models import FeeScheduleRow, PtpEdit, Release, ReleaseKind
from tests.cms.test_edit_readers import ptp_file
from tests.cms.test_edits_import import EDIT, ptp_quarter, write
from tests.test_cms_pfs_import import january_2026, shipped_text, write_release

pytestmark = pytest.mark.django_db


def run(command, *args):
    out = io.StringIO()
    call_command(command, *map(str, args), stdout=out, verbosity=1)
    return out.getvalue()


def stop_after(monkeypatch, batches):
    """Make the import fail as a full disk would, once `batches` batches are committed."""
    committed = []
    # Batches of the size asked for, however slow the machine.
    monkeypatch.setattr(import_rule, "TARGET_SECONDS", 3600)

    def pause():
        committed.append(1)
        if len(committed) == batches:
            raise OperationalError("disk I/O error (injected)")

    monkeypatch.setattr(import_rule, "pause", pause)


def page(client, path):
    return client.get(path).content.decode()


def test_a_ptp_import_stopped_part_way_leaves_the_pages_as_they_were(client, monkeypatch, tmp_path):
    before = page(client, "/codes/64910/")
    shipped = Release.objects.current(ReleaseKind.NCCI_PTP)
    monkeypatch.setattr(edits_import, "BATCH_SIZE", 2)
    stop_after(monkeypatch, 2)
    folder = ptp_quarter(tmp_path / "q")
    with pytest.raises(CommandError) as error:
        run("import_cms_edits", folder)
    assert "Stopped after storing 4 of 5 rows of PTP-v303r0" in str(error.value)
    assert "run the same command again" in str(error.value)
    # The rows committed so far are kept, in a release no page shows.
    loading = Release.all_releases.get(label="PTP-v303r0")
    assert not loading.complete and loading.ptp_edits.count() == 4
    assert not Release.objects.filter(label="PTP-v303r0").exists()
    assert Release.objects.current(ReleaseKind.NCCI_PTP) == shipped
    assert page(client, "/codes/64910/") == before
    assert "PTP-v303r0" not in page(client, "/releases/")

    monkeypatch.undo()
    output = run("import_cms_edits", folder)
    assert "Resuming PTP-v303r0, left incomplete by an earlier run" in output
    release = Release.objects.get(label="PTP-v303r0")
    assert release.complete and release.ptp_edits.count() == 5
    assert Release.objects.current(ReleaseKind.NCCI_PTP) == release
    assert sorted(PtpEdit.objects.filter(release=release).values_list("column_1", "column_2")) == [
        ("15842", "64864"), ("31000", "64868"), ("63005", "64861"), ("64864", "64702"),
        ("64910", "69990"),
    ]  # fmt: skip
    # Idempotent: the same files once more add nothing.
    assert "already imported from these exact files" in run("import_cms_edits", folder)
    assert PtpEdit.objects.filter(release=release).count() == 5


def test_a_leftover_from_other_files_is_removed_and_named(monkeypatch, tmp_path):
    monkeypatch.setattr(edits_import, "BATCH_SIZE", 2)
    stop_after(monkeypatch, 1)
    with pytest.raises(CommandError, match="Stopped after storing 2 of 5"):
        run("import_cms_edits", ptp_quarter(tmp_path / "q"))
    monkeypatch.undo()
    other = tmp_path / "other"
    write(other / "ccipra-v303r0-f1.TXT", ptp_file("64864\t64702\t\t\t*\t1\t" + EDIT))
    output = run("import_cms_edits", other)
    assert "Removed PTP-v303r0, left incomplete by an earlier run." in output
    assert Release.all_releases.filter(label="PTP-v303r0").count() == 1
    assert Release.objects.get(label="PTP-v303r0").ptp_edits.count() == 1


def test_an_interrupted_replace_keeps_the_release_it_would_replace(monkeypatch, tmp_path):
    shipped = Release.objects.current(ReleaseKind.NCCI_PTP)
    shipped_rows = shipped.ptp_edits.count()
    folder = tmp_path / "v302r0"
    lines = [f"6486{n}\t64702\t\t\t*\t1\t{EDIT}" for n in range(4, 8)]
    write(folder / "ccipra-v302r0-f1.TXT", ptp_file(*lines))
    monkeypatch.setattr(edits_import, "BATCH_SIZE", 1)
    stop_after(monkeypatch, 2)
    with pytest.raises(CommandError, match="Stopped after storing 2 of 4"):
        run("import_cms_edits", folder, "--replace")
    assert Release.objects.current(ReleaseKind.NCCI_PTP) == shipped
    assert shipped.ptp_edits.count() == shipped_rows
    monkeypatch.undo()
    run("import_cms_edits", folder, "--replace")
    replaced = Release.objects.get(label="PTP-v302r0")
    assert replaced.pk != shipped.pk and replaced.ptp_edits.count() == 4
    # The release replaced is gone with its rows, in batches.
    assert not Release.all_releases.filter(pk=shipped.pk).exists()
    assert not PtpEdit.objects.filter(release_id=shipped.pk).exists()


def writes(queries):
    """The statements that change the database's own tables (not a temporary table)."""
    return [
        q["sql"]
        for q in queries
        if re.match(r"\s*(INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|COPY)", q["sql"], re.I)
        and "check_codes_" not in q["sql"]
        and not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def test_a_dry_run_writes_nothing(tmp_path):
    counts = (Release.all_releases.count(), PtpEdit.objects.count())
    with CaptureQueriesContext(connection) as queries:
        output = run("import_cms_edits", ptp_quarter(tmp_path / "q"), "--dry-run")
    assert "15842/64864: edit added (modifier indicator 1)" in output
    assert writes(queries.captured_queries) == []
    assert (Release.all_releases.count(), PtpEdit.objects.count()) == counts

    folder = write_release(tmp_path / "rvu26a", january_2026(shipped_text()))
    with CaptureQueriesContext(connection) as queries:
        run("import_cms_pfs", folder, "--dry-run")
    assert writes(queries.captured_queries) == []


def test_every_bad_line_is_named_and_nothing_is_stored(tmp_path):
    folder = ptp_quarter(tmp_path / "q", bad_line_in=3)
    path = folder / "ccipra-v303r0-f1.TXT"
    path.write_bytes(path.read_bytes() + b"1584\t64702\t\t\t*\t1\tx\r\n")
    with pytest.raises(CommandError) as error:
        run("import_cms_edits", folder)
    message = str(error.value)
    assert "2 bad lines, nothing stored" in message
    assert "ccipra-v303r0-f1.TXT, line 4: column 1 code “1584”" in message
    assert "ccipra-v303r0-f3.TXT, line 4: modifier indicator “7”" in message
    assert not Release.all_releases.filter(label="PTP-v303r0").exists()


def test_a_fee_schedule_import_stopped_part_way_resumes(client, monkeypatch, tmp_path):
    before = page(client, "/codes/64831/")
    shipped = Release.objects.current()
    monkeypatch.setattr(pfs_import, "BATCH_SIZE", 10)
    stop_after(monkeypatch, 2)
    folder = write_release(tmp_path / "rvu26a", january_2026(shipped_text()))
    with pytest.raises(CommandError, match=r"Stopped after storing 20 of \d+ rows of RVU26A"):
        run("import_cms_pfs", folder)
    assert Release.objects.current() == shipped
    assert page(client, "/codes/64831/") == before
    monkeypatch.undo()
    output = run("import_cms_pfs", folder)
    assert "Resuming RVU26A" in output
    release = Release.objects.get(label="RVU26A")
    assert FeeScheduleRow.objects.filter(release=release).count() == shipped.fee_rows.count()
    assert release.localities.count() == shipped.localities.count()
    assert Release.objects.current() == release


def test_every_bad_line_of_a_pprrvu_file_is_named(tmp_path):
    text = january_2026(shipped_text())
    lines = text.split("\r\n")
    data = [i for i, line in enumerate(lines) if line.startswith("648")]
    for index in data[:2]:
        lines[index] = lines[index].replace(lines[index].split(",")[0], "6483", 1)
    folder = write_release(tmp_path / "rvu26a", "\r\n".join(lines))
    with pytest.raises(CommandError, match="2 bad lines, nothing stored"):
        run("import_cms_pfs", folder)
    assert not Release.all_releases.filter(label="RVU26A").exists()


def test_a_release_switched_in_gets_fresh_planner_statistics_on_postgresql():
    """Right after a bulk load PostgreSQL's statistics call the tables nearly empty; a word
    search of the diagnoses then read all 98,000 rows (945 ms). The switch analyses the
    tables the release filled (not on SQLite, where it would hold the write lock)."""
    from codes.cms.release_store import make_current, row_tables

    release = Release.all_releases.create(kind=ReleaseKind.ICD10CM, label="STATS", complete=False)
    with CaptureQueriesContext(connection) as queries:
        make_current(release)
    analysed = {q["sql"].split()[1] for q in queries if q["sql"].startswith("ANALYZE")}
    if connection.vendor == "postgresql":
        assert analysed == {table for table, _ in row_tables(release)}
        assert "codes_diagnosis" in analysed
    else:
        assert analysed == set()
