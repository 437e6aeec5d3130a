"""The ICD-10-CM loader on the real release the pinned package carries (loaded once per
test session by tests/conftest.py, as `make setup` does)."""

import subprocess
import sys

import pytest
from django.core.management import call_command

from codes.icd10 import loader
from codes.models import Diagnosis, Release, ReleaseKind

pytestmark = pytest.mark.django_db

# CODING_RULES.md 3.2: the family's verified codes, each billable in the release.
SEEDED_BILLABLE = [
    "G51.0", "G51.1", "G51.2", "G51.31", "G51.32", "G51.33", "G51.39", "G51.4", "G51.8",
    "G51.9", "B02.21", "A69.22", "G53", "P11.3", "Q87.0", "R29.810", "I69.392", "I69.992",
    "S04.50XA", "S04.51XA", "S04.52XA", "S04.51XD", "S04.51XS", "S04.52XS", "S04.71XA",
    "S04.891A", "G52.3", "G52.8", "S64.31XA", "S64.490A", "S64.21XA", "S14.3XXA", "S14.4XXA",
    "S34.4XXA", "P14.0", "P14.1", "P14.3", "T87.33", "G97.48", "C07", "C08.0", "D11.0",
    "D37.030", "C72.59", "D33.3", "D36.11", "C49.0", "C44.309", "C77.0", "Z85.818",
]  # fmt: skip


def current(code):
    return Diagnosis.objects.current().get(code=code.replace(".", ""))


def test_the_release_is_current_with_every_code():
    release = Release.objects.current(ReleaseKind.ICD10CM)
    assert release.label == "ICD-10-CM-2026-04"
    rows = Diagnosis.objects.filter(release=release)
    # The package counts 98,225 names: 39 blocks share their name with a category (B99).
    assert rows.count() == 98_186
    assert rows.filter(billable=True).count() == 74_719


@pytest.mark.parametrize("code", SEEDED_BILLABLE)
def test_every_verified_code_of_the_family_exists_and_is_billable(code):
    assert current(code).billable


def test_bells_palsy_as_the_tabular_says():
    bell = current("G51.0")
    assert bell.title == "Bell's palsy"
    assert bell.inclusion_terms == ["Facial palsy"]
    assert (bell.parent_code, bell.block, bell.chapter) == ("G51", "G50-G59", "6")
    assert bell.chapter_title.startswith("Diseases of the nervous system")


def test_a_seventh_character_code_is_billable_and_its_stem_is_not_a_code():
    assert current("S04.51XA").billable
    assert current("S04.51XA").is_extended
    assert not Diagnosis.objects.current().filter(code="S0451X").exists()
    assert not current("S04.51").billable
    assert current("S04").seventh_characters == {
        "A": "initial encounter",
        "D": "subsequent encounter",
        "S": "sequela",
    }
    assert current("S04").code_first == ["any associated intracranial injury (S06.-)"]


def test_a_header_is_not_billable():
    assert not current("G51").billable
    assert not current("G51.3").billable


def test_loading_the_same_release_again_stores_nothing_and_reads_no_file(monkeypatch):
    count = Diagnosis.objects.count()
    monkeypatch.setattr(loader, "read_release", lambda files: pytest.fail("read again"))
    call_command("load_icd10cm", verbosity=0)
    assert Diagnosis.objects.count() == count
    assert Release.objects.filter(kind=ReleaseKind.ICD10CM).count() == 1


def test_the_check_for_a_stored_release_does_not_import_the_package():
    code = (
        "import sys, django; django.setup();"
        "from codes.icd10 import loader;"
        "loader.package_files().hashes();"
        "assert 'simple_icd_10_cm' not in sys.modules"
    )
    env_code = "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'tests.settings');"
    subprocess.run([sys.executable, "-c", env_code + code], check=True)


def test_a_newer_release_is_stored_beside_and_marks_the_codes_it_dropped(monkeypatch):
    old = Release.objects.current(ReleaseKind.ICD10CM)
    files = loader.package_files()
    rows = [
        {**row, "title": row["title"]}
        for row in loader.read_release(files)
        if row["code"] != "G512"  # Melkersson's syndrome leaves the newer release
    ]
    newer = loader.ReleaseFiles(
        files.code_list, files.tabular, "ICD-10-CM-2026-10", old.effective_from, False
    )
    monkeypatch.setattr(loader.ReleaseFiles, "hashes", lambda self: {"newer.xml": "0" * 64})
    monkeypatch.setattr(loader, "read_release", lambda files: rows)
    monkeypatch.setattr(loader, "BATCH_SIZE", 50_000)
    report = loader.load(newer)
    assert report.deleted == 1
    assert Release.objects.current(ReleaseKind.ICD10CM).label == "ICD-10-CM-2026-10"
    dropped = Diagnosis.objects.get(release=old, code="G512")
    assert dropped.deleted_in.label == "ICD-10-CM-2026-10"
    assert Diagnosis.objects.filter(code="G510").count() == 2


def test_every_seeded_supporting_diagnosis_is_billable_in_the_release():
    from codes.models import SupportingDiagnosis

    seeded = set(SupportingDiagnosis.objects.values_list("diagnosis_code", flat=True))
    assert len(seeded) >= 40
    billable = set(
        Diagnosis.objects.current()
        .filter(code__in=seeded, billable=True)
        .values_list("code", flat=True)
    )
    assert seeded - billable == set()
