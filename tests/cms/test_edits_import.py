"""import_cms_edits: releases of PTP, MUE, add-on and Addendum B files stored whole or not
at all, recognised by SHA-256, reported against the release before; and the real July 2024
tables say what CMS says."""

import io
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from codes.models import (
    AddOnEdit,
    MedicallyUnlikelyEdit,
    OppsStatus,
    PtpEdit,
    Release,
    ReleaseKind,
)
from tests.cms.test_edit_readers import ADDENDUM_B, AOC_HEADER, COPYRIGHT, MUE_HEADER, ptp_file
from tests.conftest import SHIPPED_NCCI

pytestmark = pytest.mark.django_db

EDIT = "Standards of medical / surgical practice"


def run(*args, verbosity=1):
    out = io.StringIO()
    call_command("import_cms_edits", *map(str, args), stdout=out, verbosity=verbosity)
    return out.getvalue()


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("cp1252"))
    return path


def ptp_quarter(folder, version="v303r0", bad_line_in=None):
    """Four practitioner PTP files of a quarter, split by column 1 as CMS does."""
    parts = {
        1: ["15842\t64864\t\t\t*\t1\t" + EDIT],
        2: ["31000\t64868\t\t\t20240630\t1\t" + EDIT],
        3: ["63005\t64861\t\t\t*\t1\t" + EDIT],
        4: ["64864\t64702\t\t\t*\t1\t" + EDIT,
            "64910\t69990\t\t\t*\t0\tCPT Manual or CMS manual coding instruction"],
    }  # fmt: skip
    if bad_line_in:
        parts[bad_line_in].append("64999\t64702\t\t\t*\t7\t" + EDIT)
    for number, lines in parts.items():
        write(folder / f"ccipra-{version}-f{number}.TXT", ptp_file(*lines))
    return folder


def test_a_quarter_of_ptp_files_is_one_release(tmp_path):
    output = run(ptp_quarter(tmp_path / "q"))
    release = Release.objects.get(label="PTP-v303r0")
    assert release.kind == ReleaseKind.NCCI_PTP
    assert str(release.effective_from) == "2024-10-01"
    assert release.files.count() == 4 and all(len(f.sha256) == 64 for f in release.files.all())
    assert PtpEdit.objects.filter(release=release).count() == 5
    assert "PTP-v303r0 (PTP edits): 5 rows" in output


def test_the_same_files_again_change_nothing(tmp_path):
    folder = ptp_quarter(tmp_path / "q")
    run(folder)
    assert "already imported from these exact files" in run(folder)
    assert Release.objects.filter(label="PTP-v303r0").count() == 1
    assert PtpEdit.objects.filter(release__label="PTP-v303r0").count() == 5


def test_the_zip_cms_ships(tmp_path):
    folder = ptp_quarter(tmp_path / "q")
    archive = tmp_path / "ccipra-v303r0.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(folder.iterdir()):
            zipped.write(path, f"v303r0/{path.name}")
    run(archive)
    release = Release.objects.get(label="PTP-v303r0")
    assert sorted(f.name for f in release.files.all()) == [
        f"ccipra-v303r0-f{n}.TXT" for n in (1, 2, 3, 4)
    ]


def test_a_bad_line_in_the_third_file_stores_nothing(tmp_path):
    with pytest.raises(CommandError) as error:
        run(ptp_quarter(tmp_path / "q", bad_line_in=3))
    assert "ccipra-v303r0-f3.TXT, line 4" in str(error.value)
    assert "modifier indicator “7”" in str(error.value)
    assert not Release.objects.filter(label="PTP-v303r0").exists()
    assert not PtpEdit.objects.filter(column_1="64999").exists()


def test_dry_run_reports_against_the_release_before_and_stores_nothing(tmp_path):
    # The shipped July 2024 extract is the release before: compared with it, the new
    # quarter lacks almost every edit and adds 15842/64864.
    before = PtpEdit.objects.count()
    output = run(ptp_quarter(tmp_path / "q"), "--dry-run")
    assert output.startswith("Dry run, nothing stored: PTP-v303r0")
    assert "Against PTP-v302r0:" in output
    assert "15842/64864: edit added (modifier indicator 1)" in output
    assert "64910/69990" not in output  # in force in both, same indicator
    assert "edit no longer in force" in output
    assert PtpEdit.objects.count() == before
    assert not Release.objects.filter(label="PTP-v303r0").exists()


def test_modifier_indicator_changes_are_reported(tmp_path):
    first = tmp_path / "a"
    write(first / "ccipra-v303r0-f1.TXT", ptp_file("64864\t64702\t\t\t*\t1\t" + EDIT))
    run(first)
    second = tmp_path / "b"
    write(second / "ccipra-v310r0-f1.TXT", ptp_file("64864\t64702\t\t\t*\t0\t" + EDIT))
    output = run(second, "--dry-run")
    assert "Against PTP-v303r0: 0 added, 0 ended, 1 changed" in output
    assert "64864/64702: modifier indicator 1 → 0" in output


def test_a_file_naming_no_release_needs_a_label(tmp_path):
    path = write(tmp_path / "edits.txt", ptp_file("64864\t64702\t\t\t*\t1\t" + EDIT))
    with pytest.raises(CommandError, match="give --kind"):
        run(path)
    with pytest.raises(CommandError, match="give --label"):
        run(path, "--kind", "ncci_ptp")
    run(path, "--kind", "ncci_ptp", "--label", "PTP-test", "--effective-from", "2030-01-01")
    assert Release.objects.get(label="PTP-test").ptp_edits.count() == 1


def test_a_release_of_the_same_name_from_other_files_is_refused_unless_replaced(tmp_path):
    path = write(
        tmp_path / "MCR_MUE_PractitionerServices_Eff_07-01-2024.csv",
        f"{COPYRIGHT}\r\n{MUE_HEADER}\r\n64864,4,3 Date of Service Edit: Clinical,X\r\n",
    )
    with pytest.raises(CommandError, match="MUE-2024-07-01 is already imported"):
        run(path)
    run(path, "--replace")
    assert MedicallyUnlikelyEdit.objects.get(release__label="MUE-2024-07-01").units == 4


def test_mue_changes_are_listed(tmp_path):
    path = write(
        tmp_path / "MCR_MUE_PractitionerServices_Eff_10-01-2024.csv",
        f"{COPYRIGHT}\r\n{MUE_HEADER}\r\n64864,3,3 Date of Service Edit: Clinical,X\r\n",
    )
    output = run(path, "--dry-run")
    assert "Against MUE-2024-07-01:" in output
    assert "64864: MUE 2 (MAI 3) → 3 (MAI 3)" in output
    assert "64868: MUE removed" in output


def test_add_on_list_and_its_changes(tmp_path):
    path = write(
        tmp_path / "AOC_V2024Q4-MCR.txt",
        f"{AOC_HEADER}\r\n1\t64832\t\t64831\t\t\t\t\r\n1\t64872\t\t64866\t\t\t\t\r\n",
    )
    output = run(path)
    assert "Against AOC-V2024Q3:" in output
    assert "64872 with 64866: added (type 1)" in output
    assert "64837 with 64834: ended (was type 1)" in output
    assert AddOnEdit.objects.filter(release__label="AOC-V2024Q4").count() == 2


def test_addendum_b_is_stored_with_its_quarter(tmp_path):
    path = write(tmp_path / "January 2025 Web Addendum B.12.31.24.csv", ADDENDUM_B)
    output = run(path)
    assert "OPPS-B-2025-01 (OPPS Addendum B): 3 rows" in output
    row = OppsStatus.objects.get(release__label="OPPS-B-2025-01", hcpcs="64831")
    assert (row.status_indicator, row.apc, str(row.payment_rate)) == ("J1", "5432", "8123.45")
    assert OppsStatus.objects.get(hcpcs="64864").inpatient_only


def test_a_bad_addendum_b_stores_nothing(tmp_path):
    path = write(
        tmp_path / "January 2025 Web Addendum B.12.31.24.csv", ADDENDUM_B + "\r\n64868,,ABC,,,,,,,,"
    )
    with pytest.raises(CommandError, match=r"line 8: status indicator “ABC”"):
        run(path)
    assert not Release.objects.filter(kind=ReleaseKind.OPPS).exists()


def test_a_missing_path_is_refused(tmp_path):
    with pytest.raises(CommandError, match="No such file or folder"):
        run(tmp_path / "nothing")


# CMS's real July 2024 tables ---------------------------------------------------------------


@pytest.fixture
def real_july_2024(cms_ncci_2024_07):
    """The real add-on list and MUE table, and the real PTP rows of the family, in place of
    the shipped extract."""
    run(cms_ncci_2024_07 / "AOC_V2024Q3-MCR.txt", "--replace", verbosity=0)
    run(
        cms_ncci_2024_07 / "MCR_MUE_PractitionerServices_Eff_07-01-2024.csv",
        "--replace",
        verbosity=0,
    )
    run(cms_ncci_2024_07 / "ccipra-family.TXT", "--kind", "ncci_ptp", "--label", "PTP-v302r0",
        "--effective-from", "2024-07-01", "--replace", verbosity=0)  # fmt: skip
    return {kind: Release.objects.current(kind) for kind in ReleaseKind.values}


def primaries(release, add_on):
    return set(
        AddOnEdit.objects.filter(release=release, add_on=add_on).values_list("primary", flat=True)
    )


def test_real_64832_goes_only_with_64831(real_july_2024):
    assert primaries(real_july_2024["add_on"], "64832") == {"64831"}
    assert AddOnEdit.objects.get(release=real_july_2024["add_on"], add_on="64832").edit_type == "1"


def test_real_64872_64874_64876_are_not_add_ons_of_64866_or_64868(real_july_2024):
    for add_on in ("64872", "64874", "64876"):
        allowed = primaries(real_july_2024["add_on"], add_on)
        assert len(allowed) == 15 and not allowed & {"64866", "64868"}


def test_real_69990_with_64864_and_64868_but_never_64910_to_64913(real_july_2024):
    allowed = primaries(real_july_2024["add_on"], "69990")
    assert len(allowed) == 193
    assert {"64864", "64868"} <= allowed
    assert not allowed & {"64910", "64911", "64912", "64913"}
    for column_1 in ("64910", "64911", "64912", "64913"):
        edit = PtpEdit.objects.get(
            release=real_july_2024["ncci_ptp"], column_1=column_1, column_2="69990"
        )
        assert (edit.modifier_indicator, edit.deleted_on) == ("0", None)
        assert edit.rationale == "CPT Manual or CMS manual coding instruction"


def test_real_mue_of_64864(real_july_2024):
    mue = MedicallyUnlikelyEdit.objects.get(release=real_july_2024["mue"], hcpcs="64864")
    assert (mue.units, mue.adjudication_indicator) == (2, "3")
    assert MedicallyUnlikelyEdit.objects.filter(release=real_july_2024["mue"]).count() == 14677


def test_real_ptp_rows_of_the_family(real_july_2024):
    edits = PtpEdit.objects.filter(release=real_july_2024["ncci_ptp"])
    assert edits.count() == 18190
    assert edits.filter(effective_on__isnull=True).count() == 18190  # lost in this copy
    assert edits.filter(deleted_on__isnull=True).count() == 14418


def test_keep_existing_leaves_a_release_of_the_same_name(tmp_path):
    # make setup runs with --keep-existing: CMS's full files imported over the shipped
    # extract must stay when setup runs again.
    path = write(
        tmp_path / "MCR_MUE_PractitionerServices_Eff_07-01-2024.csv",
        f"{COPYRIGHT}\r\n{MUE_HEADER}\r\n64864,4,3 Date of Service Edit: Clinical,X\r\n",
    )
    run(path, "--replace")
    output = run(SHIPPED_NCCI, "--keep-existing")
    assert "MUE-2024-07-01 (MUE table) is imported already; kept as it is." in output
    assert MedicallyUnlikelyEdit.objects.get(release__label="MUE-2024-07-01").units == 4
