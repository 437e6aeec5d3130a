import io

import pytest
from django.core.management import CommandError, call_command

from codes.csv_format import COLUMNS
from codes.models import CodeProcedure, EditorialState

pytestmark = pytest.mark.django_db

HEADER = ",".join(COLUMNS)


@pytest.fixture(autouse=True)
def importer(django_user_model):
    """The user the import runs as: an editor."""
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("importer", is_staff=True)
    user.groups.set(Group.objects.filter(name="Editors"))
    return user


def run(tmp_path, *lines, dry_run=False, text=None, user="importer"):
    path = tmp_path / "update.csv"
    path.write_text(text if text is not None else "\n".join([HEADER, *lines]) + "\n")
    out = io.StringIO()
    args = [str(path), "--dry-run"] if dry_run else [str(path), *(["--user", user] if user else [])]
    call_command("import_codes", *args, stdout=out)
    return out.getvalue()


def row(code="64999", title="New nerve procedure", status="active", effective="2026-01-01",
        deleted="", replaced="", section="neurorrhaphy", add_on="no", period="",
        inpatient="", as_of="", summary="Our summary."):  # fmt: skip
    values = [code, title, status, effective, deleted, replaced, section, add_on, period,
              inpatient, as_of, summary]  # fmt: skip
    return ",".join(f'"{value}"' for value in values)


def test_new_code_is_created_as_a_draft(tmp_path):
    output = run(tmp_path, row())
    created = CodeProcedure.objects.get(code="64999")
    assert created.editorial_state == EditorialState.DRAFT
    assert created.history.first().history_change_reason == "import_codes update.csv"
    assert "line 2 64999 created" in output and "1 created" in output


def test_changed_row_reports_which_fields_and_names_the_import_and_user_in_history(tmp_path):
    CodeProcedure.objects.filter(code="64864").update(editorial_state=EditorialState.DRAFT)
    existing = CodeProcedure.objects.get(code="64864")
    line = row(code="64864", title="Retitled facial nerve suture", effective="",
               summary=existing.summary)  # fmt: skip
    output = run(tmp_path, line)
    assert "line 2 64864 changed: title" in output
    record = CodeProcedure.objects.get(code="64864").history.first()
    assert record.history_change_reason == "import_codes update.csv"
    assert record.history_user.username == "importer"
    assert record.title == "Retitled facial nerve suture"


def test_a_change_to_a_published_code_is_proposed_for_review(tmp_path, client):
    from codes.models import Revision

    existing = CodeProcedure.objects.get(code="64864")
    line = row(code="64864", title="Retitled facial nerve suture", effective="",
               summary=existing.summary)  # fmt: skip
    output = run(tmp_path, line)
    assert "line 2 64864 proposed: title" in output and "1 proposed" in output
    assert CodeProcedure.objects.get(code="64864").title == existing.title
    revision = Revision.objects.get()
    assert revision.author.username == "importer" and revision.note == "import_codes update.csv"
    assert revision.changes == {"fields": {"title": "Retitled facial nerve suture"}}
    assert existing.title in client.get("/codes/64864/").content.decode()


def test_a_real_run_says_who_runs_it(tmp_path):
    with pytest.raises(CommandError, match="--user"):
        run(tmp_path, row(), user="")
    with pytest.raises(CommandError, match="No active user"):
        run(tmp_path, row(), user="nobody-here")


def test_importing_the_same_file_twice_changes_nothing_the_second_time(tmp_path):
    run(tmp_path, row())
    version = CodeProcedure.objects.get(code="64999").version
    output = run(tmp_path, row())
    assert "0 created, 0 changed, 0 proposed, 1 unchanged" in output
    assert CodeProcedure.objects.get(code="64999").version == version


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (row(code="6499"), "code is not a CPT code"),
        (row(status="retired"), "status"),
        (row(section="nowhere"), "no section with the slug"),
        (row(effective="22/11/2026"), "effective_date"),
        (row(deleted="2026-01-01"), "only a deleted code may have a deleted_date"),
        (row(status="deleted", effective="2026-02-01", deleted="2026-01-01"), "before"),
        (row(inpatient="yes"), "inpatient_only_as_of is required"),
        (row(add_on="maybe"), "is_add_on"),
        (row(title=""), "title"),
    ],
)
def test_bad_rows_are_rejected_with_line_and_reason(tmp_path, line, reason):
    output = run(tmp_path, row(code="64998"), line)
    assert "line 3" in output and "rejected" in output and reason in output
    assert CodeProcedure.objects.filter(code="64998").exists()  # the good row still lands


def test_deleted_code_with_a_replacement_created_later_in_the_file(tmp_path, client):
    run(
        tmp_path,
        row(code="64862", status="deleted", effective="", deleted="2026-01-01",
            replaced="64997", summary=CodeProcedure.objects.get(code="64862").summary,
            title=CodeProcedure.objects.get(code="64862").title),
        row(code="64997"),
    )  # fmt: skip
    # 64862 is published: the change waits for a reviewer, as one revision.
    from django.contrib.auth.models import Group

    from codes import editorial
    from codes.models import Revision

    assert CodeProcedure.objects.get(code="64862").status == "active"
    revision = Revision.objects.get()
    assert set(revision.changes["fields"]) >= {"status", "deleted_date", "replaced_by"}
    reviewer = type(revision.author).objects.create_user("rita", is_staff=True)
    reviewer.groups.set(Group.objects.filter(name="Reviewers"))
    editorial.approve(revision, reviewer)
    deleted = CodeProcedure.objects.get(code="64862")
    assert deleted.status == "deleted" and deleted.replaced_by.code == "64997"
    # The new code arrives as a draft; once a reviewer publishes it, the banner names it.
    CodeProcedure.objects.filter(code="64997").update(editorial_state=EditorialState.PUBLISHED)
    html = client.get("/codes/64862/").content.decode()
    assert "Deleted code." in html and "1 January 2026" in html and "/codes/64997/" in html


def test_the_command_runs_as_manage_py_runs_it_with_the_system_checks(tmp_path):
    path = tmp_path / "update.csv"
    path.write_text("\n".join([HEADER, row()]) + "\n")
    out = io.StringIO()
    call_command("import_codes", str(path), "--user", "importer", skip_checks=False, stdout=out)
    assert "1 created" in out.getvalue()


def test_import_never_deletes(tmp_path):
    before = CodeProcedure.objects.count()
    run(tmp_path, row())
    assert CodeProcedure.objects.count() == before + 1


def test_dry_run_saves_nothing(tmp_path):
    output = run(tmp_path, row(), dry_run=True)
    assert "Dry run" in output and "1 created" in output
    assert not CodeProcedure.objects.filter(code="64999").exists()


def test_repeated_code_in_one_file_is_rejected(tmp_path):
    output = run(tmp_path, row(), row())
    assert "line 3 64999 rejected: repeats line 2" in output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code,title\n64999,x\n", "Missing columns"),
        (HEADER + ",colour\n", "Unknown columns"),
    ],
)
def test_malformed_files_are_refused_clearly(tmp_path, text, message):
    with pytest.raises(CommandError, match=message):
        run(tmp_path, text=text)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_codes", str(tmp_path / "nope.csv"))


def test_columns_left_out_of_the_file_are_left_alone(tmp_path):
    before = CodeProcedure.objects.get(code="64868")
    path = tmp_path / "narrow.csv"
    path.write_text(
        f'code,title,status,section,is_add_on\n64868,"{before.title}",active,neurorrhaphy,no\n'
    )
    out = io.StringIO()
    call_command("import_codes", str(path), "--user", "importer", stdout=out)
    after = CodeProcedure.objects.get(code="64868")
    assert "1 unchanged" in out.getvalue()
    assert after.summary == before.summary
    assert after.inpatient_only == before.inpatient_only


def test_a_narrow_file_that_would_break_a_rule_of_the_stored_code_is_rejected_with_its_line(
    tmp_path,
):
    deleted = CodeProcedure.objects.get(code="64868")
    CodeProcedure.objects.filter(pk=deleted.pk).update(
        status="deleted", deleted_date="2026-01-01", effective_date=None
    )
    path = tmp_path / "narrow.csv"
    path.write_text(
        f'code,title,status,section,is_add_on\n64868,"{deleted.title}",active,neurorrhaphy,no\n'
    )
    for args in (["--user", "importer"], ["--dry-run"]):
        out = io.StringIO()
        call_command("import_codes", str(path), *args, stdout=out)
        assert "line 2 64868 rejected: row only a deleted code may have" in out.getvalue()
        assert "1 rejected" in out.getvalue()
    assert CodeProcedure.objects.get(code="64868").status == "deleted"


def deleted_row(code, replaced):
    stored = CodeProcedure.objects.get(code=code)
    return row(code=code, status="deleted", effective="", deleted="2026-01-01",
               replaced=replaced, title=stored.title, summary=stored.summary)  # fmt: skip


def test_a_mistyped_replacement_is_rejected_and_the_stored_link_kept(tmp_path):
    CodeProcedure.objects.filter(code="64862").update(
        status="deleted", deleted_date="2026-01-01", effective_date=None,
        replaced_by=CodeProcedure.objects.get(code="64864"),
    )  # fmt: skip
    output = run(tmp_path, deleted_row("64862", "64990"))  # 64990 does not exist
    assert "line 2 64862 rejected: replaced_by 64990 is not a known code" in output
    assert "1 rejected" in output
    assert CodeProcedure.objects.get(code="64862").replaced_by.code == "64864"


def test_replacement_cycles_are_rejected(tmp_path):
    output = run(tmp_path, deleted_row("64862", "64864"), deleted_row("64864", "64862"))
    assert "replacements form a cycle: 64862 -> 64864 -> 64862" in output
    assert "2 rejected" in output
    assert not CodeProcedure.objects.filter(replaced_by__isnull=False).exists()


def test_a_row_with_more_fields_than_the_header_is_rejected(tmp_path):
    line = row(code="64998").rsplit(",", 1)[0] + ",Cuts, here"  # an unquoted comma
    output = run(tmp_path, line)
    assert "line 2 rejected: has 13 fields where the header has 12" in output
    assert not CodeProcedure.objects.filter(code="64998").exists()


def test_a_summary_past_its_limit_is_rejected():
    from codes.csv_format import CodeRowForm, section_lookup
    from codes.rich_text import SUMMARY_MAX_LENGTH

    values = dict(zip(COLUMNS, [v.strip('"') for v in row().split(",")], strict=True))
    values["summary"] = "a" * (128 * 1024)
    form = CodeRowForm(values, sections=section_lookup())
    assert not form.is_valid()
    assert f"at most {SUMMARY_MAX_LENGTH} characters" in str(form.errors["summary"])


def test_a_field_too_large_for_csv_is_refused_with_its_line(tmp_path):
    text = "\n".join([HEADER, row(code="64998"), row(summary="a" * 200_000)]) + "\n"
    with pytest.raises(CommandError, match="at line 3"):
        run(tmp_path, text=text)


def test_a_dry_run_only_reads(tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        run(tmp_path, row(), row(code="64868", title="Changed"), dry_run=True)
    statements = [query["sql"].split()[0].upper() for query in queries.captured_queries]
    assert set(statements) == {"SELECT"}


def test_a_real_run_commits_in_batches_and_a_failure_names_what_was_committed(
    tmp_path, monkeypatch
):
    from django.db import DatabaseError

    save = CodeProcedure.save

    def failing_save(self, *args, **kwargs):
        if self.code == "64997":
            raise DatabaseError("disk I/O error")
        return save(self, *args, **kwargs)

    monkeypatch.setattr(CodeProcedure, "save", failing_save)
    path = tmp_path / "update.csv"
    path.write_text("\n".join([HEADER, row(code="64999"), row(code="64998"), row(code="64997")]))
    with pytest.raises(CommandError) as raised:
        call_command(
            "import_codes", str(path), "--batch-size", "2", "--user", "importer",
            stdout=io.StringIO(),
        )  # fmt: skip
    message = str(raised.value)
    assert "Stopped at line 4: disk I/O error" in message
    assert "Committed before it: lines 2-3" in message
    assert set(CodeProcedure.objects.filter(code__in=["64999", "64998", "64997"]).values_list(
        "code", flat=True)) == {"64999", "64998"}  # fmt: skip


def test_an_imported_code_costs_a_small_fixed_number_of_queries(
    tmp_path, django_assert_max_num_queries
):
    # 50 new codes, two batches of 25. Per row: the code's INSERT and its history entry's
    # INSERT (its lists are empty, so they are recorded without reading them). Per batch:
    # the savepoint and its release (the test's transaction is outside), the stored codes
    # locked. Once: the importing user, their permissions (2), the sections, the stored
    # codes, the known codes and the stored links. Reading each list of each new code, as
    # simple-history does, cost eight queries more a row (519 in all).
    lines = [row(code=f"6{number:03d}T") for number in range(50)]
    with django_assert_max_num_queries(2 * 50 + 3 * 2 + 7):
        output = run(tmp_path, *lines)
    assert "50 created" in output


def test_the_history_of_an_imported_code_names_the_import_the_user_and_its_lists(
    tmp_path, importer
):
    from codes.history import lists_at
    from codes.models import Nerve, Source, Specialty

    run(tmp_path, row(code="64999", title="New nerve procedure"))
    code = CodeProcedure.objects.get(code="64999")
    created = code.history.get()
    assert (created.history_type, created.history_change_reason, created.history_user) == (
        "+", "import_codes update.csv", importer,
    )  # fmt: skip
    assert lists_at(created) == {
        "specialties": [], "places_of_service": [], "nerves": [], "sources": [],
    }  # fmt: skip

    # An editor gives the draft its lists; the next import changes its title.
    specialties = list(Specialty.objects.order_by("pk")[:2])
    nerve, source = Nerve.objects.order_by("pk").first(), Source.objects.order_by("pk").first()
    code.specialties.set(specialties)
    code.nerves.set([nerve])
    code.sources.set([source])
    run(tmp_path, row(code="64999", title="Renamed nerve procedure"))
    changed = CodeProcedure.objects.get(code="64999").history.first()
    assert (changed.history_type, changed.history_change_reason, changed.history_user) == (
        "~", "import_codes update.csv", importer,
    )  # fmt: skip
    assert changed.title == "Renamed nerve procedure"
    assert {name: sorted(ids) for name, ids in lists_at(changed).items()} == {
        "specialties": sorted(s.pk for s in specialties),
        "places_of_service": [],
        "nerves": [nerve.pk],
        "sources": [source.pk],
    }
    # The list rows recorded are the code's own rows (their ids kept), as simple-history
    # records them: what the history's diff compares.
    through = CodeProcedure.specialties.through
    assert sorted(changed.specialties.values_list("id", "specialty_id")) == sorted(
        through.objects.filter(codeprocedure=code).values_list("id", "specialty_id")
    )
    diff = changed.diff_against(created)
    assert {"title", "specialties", "nerves", "sources"} <= set(diff.changed_fields)
