from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from codes.models import (
    ClinicalExample,
    CodeModifier,
    CodeProcedure,
    CodeRelation,
    Nerve,
    Section,
    SeededRecord,
)

pytestmark = pytest.mark.django_db


def load(*args):
    out = StringIO()
    call_command("load_reference_data", *args, stdout=out)
    return out.getvalue()


def empty_the_content():
    for model in [CodeRelation, CodeModifier, ClinicalExample, CodeProcedure]:
        model.objects.all().delete()
    SeededRecord.objects.all().delete()


def test_loading_again_creates_nothing_and_changes_nothing():
    before = list(CodeProcedure.objects.order_by("code").values())
    output = load()
    assert "Created 0 rows" in output
    assert list(CodeProcedure.objects.order_by("code").values()) == before


def test_loads_into_an_empty_database_with_every_relation():
    empty_the_content()
    output = load()
    assert CodeProcedure.objects.count() == 38
    assert "Created" in output and "Created 0 rows" not in output
    code = CodeProcedure.objects.get(code="64868")
    assert code.examples.count() >= 3
    assert code.nerves.filter(slug="hypoglossal-nerve").exists()
    assert code.specialties.count() == 3
    assert CodeRelation.objects.filter(relation_type="add_on_to").exists()


def test_fills_in_what_is_missing_from_a_partly_filled_database():
    CodeProcedure.objects.filter(code__in=["64831", "64832"]).delete()
    SeededRecord.objects.filter(natural_key__in=['["64831"]', '["64832"]']).delete()
    load()
    assert CodeProcedure.objects.filter(code__in=["64831", "64832"]).count() == 2


def test_an_editors_change_survives_a_reload():
    CodeProcedure.objects.filter(code="64868").update(summary="Edited by an editor.")
    Nerve.objects.filter(slug="hypoglossal-nerve").update(aliases="only this")
    load()
    assert CodeProcedure.objects.get(code="64868").summary == "Edited by an editor."
    assert Nerve.objects.get(slug="hypoglossal-nerve").aliases == "only this"


def test_editors_many_to_many_choices_survive_a_reload():
    code = CodeProcedure.objects.get(code="64868")
    code.specialties.clear()
    load()
    assert code.specialties.count() == 0


def test_a_row_an_editor_deleted_is_not_brought_back():
    ClinicalExample.objects.filter(code__code="64864", position=1).delete()
    output = load()
    assert not ClinicalExample.objects.filter(code__code="64864", position=1).exists()
    assert "1 rows that editors deleted" in output


def test_an_editors_own_rows_never_collide_with_fixture_keys():
    section = Section.objects.get(slug="neurorrhaphy")
    CodeProcedure.objects.create(code="64850", title="Editor's code", summary="x", section=section)
    load()
    assert CodeProcedure.objects.get(code="64850").title == "Editor's code"


def test_dry_run_reports_and_writes_nothing():
    empty_the_content()
    output = load("--dry-run")
    assert "Dry run: would create" in output
    assert CodeProcedure.objects.count() == 0
    assert SeededRecord.objects.count() == 0


def test_missing_fixture_file_is_a_clear_error():
    with pytest.raises(CommandError, match="not found"):
        load("fixtures/nope.json")
