import io
import shutil
import zipfile
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from codes.models import CodeProcedure, FeeScheduleRow, Locality, Release, ReleaseKind
from tests.conftest import SHIPPED_RVU25D

PPRRVU = "PPRRVU2025_Oct.csv"


def run(*args, verbosity=1):
    out = io.StringIO()
    call_command("import_cms_pfs", *map(str, args), stdout=out, verbosity=verbosity)
    return out.getvalue()


def shipped_text():
    return (SHIPPED_RVU25D / PPRRVU).read_bytes().decode("cp1252")


def write_release(folder, text, name=PPRRVU, with_localities=True):
    """A release folder holding `text` as its PPRRVU file, with the shipped localities."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(text.encode("cp1252") if isinstance(text, str) else text)
    if with_localities:
        for other in ("GPCI2025.csv", "25LOCCO.csv"):
            shutil.copyfile(SHIPPED_RVU25D / other, folder / other)
    return folder


def january_2026(text):
    """The shipped rows as an edited next release: RVU26A, released 12/29/2025."""
    text = text.replace("2025 National", "2026 National").replace(
        "October Release", "January Release"
    )
    return text.replace("RELEASED 09/11/2025", "RELEASED 12/29/2025")


def edit_row(text, code, **cells):
    """Change cells of one code's row, by CMS's column positions in the CSV."""
    positions = {"status": 3, "work": 5, "nonfac_total": 11, "fac_total": 12, "glob": 14,
                 "asst": 20, "bilat": 19}  # fmt: skip
    lines = text.split("\r\n")
    for index, line in enumerate(lines):
        cells_ = line.split(",")
        if cells_[0] == code:
            for name, value in cells.items():
                cells_[positions[name]] = value
            lines[index] = ",".join(cells_)
    return "\r\n".join(lines)


@pytest.mark.django_db
def test_the_shipped_extract_is_imported_with_its_release_facts():
    release = Release.objects.get(label="RVU25D")
    assert str(release.released_on) == "2025-09-11"
    assert str(release.effective_from) == "2025-10-01"
    assert release.fee_rows.count() == 38
    assert release.localities.count() == 109
    assert sorted(f.name for f in release.files.all()) == ["25LOCCO.csv", "GPCI2025.csv", PPRRVU]
    assert all(len(f.sha256) == 64 for f in release.files.all())


@pytest.mark.django_db
def test_the_same_files_again_change_nothing_and_say_so():
    before = FeeScheduleRow.objects.count(), Release.objects.count()
    output = run(SHIPPED_RVU25D)
    assert "already imported" in output and "nothing changed" in output
    assert (FeeScheduleRow.objects.count(), Release.objects.count()) == before


@pytest.mark.django_db
def test_the_full_release_from_cms_s_folder(cms_rvu25d):
    # CMS's releases only: the ICD-10-CM release (98,000 rows, loaded once per session)
    # has nothing to do with it, and deleting it row by row takes minutes on PostgreSQL.
    Release.objects.exclude(kind=ReleaseKind.ICD10CM).delete()
    output = run(cms_rvu25d, "--imported-by", "ops")
    release = Release.objects.get(label="RVU25D")
    assert release.imported_by == "ops"
    assert release.fee_rows.count() == 19090
    assert release.localities.count() == 109
    assert "19090 rows, 109 localities" in output
    la = release.localities.get(contractor="01182", number="18")
    assert "LOS ANGELES" in la.counties
    # Re-import: recognised by SHA-256, nothing stored twice.
    assert "nothing changed" in run(cms_rvu25d)
    assert FeeScheduleRow.objects.count() == 19090


@pytest.mark.django_db
def test_the_zip_as_cms_ships_it_and_the_fixed_width_file(cms_rvu25d, tmp_path):
    archive = tmp_path / "RVU25D.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for name in ("PPRRVU2025_Oct.txt", "GPCI2025.txt", "25LOCCO.txt", "RVU25D.pdf"):
            zipped.write(cms_rvu25d / name, f"rvu25d/{name}")
    output = run(archive, "--replace", "--released-on", "2025-09-11")
    release = Release.objects.get(label="RVU25D")
    assert "19090 rows, 109 localities" in output
    assert sorted(f.name for f in release.files.all()) == [
        "25LOCCO.txt",
        "GPCI2025.txt",
        "PPRRVU2025_Oct.txt",
    ]
    assert str(release.effective_from) == "2025-10-01"  # from the file's name
    row = release.fee_rows.get(hcpcs="64868", modifier="")
    assert (row.work_rvu, row.global_days, row.assistant) == (Decimal("14.90"), "090", "2")


@pytest.mark.django_db
def test_a_newer_release_is_stored_beside_the_older_and_its_changes_reported(tmp_path):
    text = january_2026(shipped_text())
    text = edit_row(text, "64868", work="15.40", nonfac_total="30.32", fac_total="30.32")
    text = edit_row(text, "64832", glob="000")
    text = edit_row(text, "64864", asst="1", status="R")
    text = "\r\n".join(line for line in text.split("\r\n") if not line.startswith("64913,"))
    folder = write_release(tmp_path / "rvu26a", text, name="PPRRVU2026_Jan_nonQPP.csv")

    report = run(folder, "--dry-run")
    assert "Dry run, nothing stored: RVU26A: 37 rows" in report
    assert (
        "Against RVU25D: 0 codes added, 1 deleted, 1 status changes, 1 global period "
        "changes, 1 RVU changes, 1 indicator changes." in report
    )
    assert "64913 deleted" in report
    assert "64868: work RVU 14.90 → 15.40; non-facility total 29.82 → 30.32" in report
    assert "64832: global period ZZZ → 000" in report
    assert "64864: status A → R; assistant-at-surgery indicator 2 → 1" in report
    assert not Release.objects.filter(label="RVU26A").exists()

    run(folder, verbosity=0)
    new = Release.objects.get(label="RVU26A")
    assert str(new.released_on) == "2025-12-29"
    assert new.previous().label == "RVU25D"
    assert Release.objects.filter(label="RVU25D").exists()


@pytest.mark.django_db
def test_rvu_changes_below_the_threshold_are_not_reported(tmp_path):
    text = edit_row(january_2026(shipped_text()), "64868", work="14.95",
                    nonfac_total="29.87", fac_total="29.87")  # fmt: skip
    folder = write_release(tmp_path / "rvu26a", text)
    report = run(folder, "--dry-run", "--rvu-threshold", "0.1", "--label", "RVU26A")
    assert "0 RVU changes" in report


@pytest.mark.django_db
def test_the_descriptor_is_never_stored_unless_licensed(tmp_path, settings):
    text = january_2026(shipped_text()).replace("64868,,,A", '64868,,"Official words, AMA",A')
    folder = write_release(tmp_path / "rvu26a", text)
    settings.CPT_LICENSED = False
    run(folder, verbosity=0)
    assert CodeProcedure.objects.get(code="64868").official_descriptor == ""
    assert not any("descriptor" in f.name for f in FeeScheduleRow._meta.get_fields())

    Release.objects.filter(label="RVU26A").delete()
    settings.CPT_LICENSED = True
    run(folder, verbosity=0)
    assert CodeProcedure.objects.get(code="64868").official_descriptor == "Official words, AMA"


@pytest.mark.django_db
def test_quiet_at_verbosity_zero(tmp_path):
    folder = write_release(tmp_path / "rvu26a", january_2026(shipped_text()))
    assert run(folder, verbosity=0) == ""


BAD_FILES = [
    # (what is wrong, how the file is made from the shipped one, expected line, reason)
    ("not a PPRRVU file", lambda t: "code,title\r\n64868,Nerve graft\r\n", None, "not a PPRRVU"),
    (
        "a missing column",
        lambda t: t.replace(",ASST,", ",,").replace(",SURG,SURG,SURG,SURG,", ",SURG,,SURG,SURG,"),
        10,
        "missing column ASST SURG",
    ),
    (
        "a total that is not work + PE + MP",
        lambda t: edit_row(t, "64868", fac_total="31.82"),
        27,
        "facility total 31.82 is not work + PE + MP",
    ),
    (
        "an unknown indicator value",
        lambda t: edit_row(t, "64866", bilat="7"),
        26,
        "unknown BILAT SURG value “7”",
    ),
    ("an unknown status", lambda t: edit_row(t, "64831", status="Q"), 11, "STATUS CODE"),
    ("a number that is not one", lambda t: edit_row(t, "64832", work="5,6x"), 12, "not a number"),
    ("a repeated row", lambda t: t + t.split("\r\n")[10] + "\r\n", 49, "64831 repeats line 11"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("what", "make", "line", "reason"), BAD_FILES, ids=[bad[0] for bad in BAD_FILES]
)
def test_a_bad_file_is_refused_with_name_line_and_reason_and_nothing_is_stored(
    tmp_path, what, make, line, reason
):
    text = make(january_2026(shipped_text()))
    folder = write_release(tmp_path / "rvu26a", text)
    before = Release.objects.count(), FeeScheduleRow.objects.count(), Locality.objects.count()
    with pytest.raises(CommandError) as refused:
        run(folder, verbosity=0)
    message = str(refused.value)
    assert message.startswith(f"{PPRRVU}, line {line}:" if line else f"{PPRRVU}:"), message
    assert reason in message
    after = Release.objects.count(), FeeScheduleRow.objects.count(), Locality.objects.count()
    assert after == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("encode", "reason"),
    [
        (lambda t: t.encode("utf-16"), "wrong encoding: this is UTF-16"),
        (lambda t: t.encode("cp1252").replace(b"64868,,,A", b"64868,,\x81,A"), "byte 0x81"),
    ],
    ids=["utf-16", "undefined byte"],
)
def test_a_file_in_the_wrong_encoding_is_refused(tmp_path, encode, reason):
    folder = write_release(tmp_path / "rvu26a", encode(january_2026(shipped_text())))
    with pytest.raises(CommandError, match=reason) as refused:
        run(folder, verbosity=0)
    assert str(refused.value).startswith(f"{PPRRVU}, line ")
    assert not Release.objects.filter(label="RVU26A").exists()


@pytest.mark.django_db
def test_a_broken_fixed_width_line_is_refused_with_its_line(cms_rvu25d, tmp_path):
    lines = (cms_rvu25d / "PPRRVU2025_Oct.txt").read_bytes().split(b"\r\n")[:20]
    lines[12] = lines[12][:60]
    path = tmp_path / "PPRRVU2026_Jan.txt"
    path.write_bytes(b"\r\n".join(lines))
    with pytest.raises(CommandError, match=r"PPRRVU2026_Jan.txt, line 13: the line does not"):
        run(path, verbosity=0)


@pytest.mark.django_db
def test_a_release_name_the_file_does_not_give_must_be_given(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes(
        "\r\n".join(shipped_text().split("\r\n")[5:]).encode("cp1252")
    )  # no title, no date
    with pytest.raises(CommandError, match="does not name its release; give --label"):
        run(path, verbosity=0)
    run(path, "--label", "RVU26B", "--effective-from", "2026-04-01", verbosity=0)
    assert str(Release.objects.get(label="RVU26B").effective_from) == "2026-04-01"


@pytest.mark.django_db
def test_an_option_that_contradicts_the_file_is_refused(tmp_path):
    folder = write_release(tmp_path / "x", january_2026(shipped_text()))
    with pytest.raises(CommandError, match="says its label is RVU26A, not RVU26B"):
        run(folder, "--label", "RVU26B", verbosity=0)


@pytest.mark.django_db
def test_a_missing_path_is_a_clear_error():
    with pytest.raises(CommandError, match="No such file or folder"):
        run("/nowhere/RVU25D.zip", verbosity=0)
