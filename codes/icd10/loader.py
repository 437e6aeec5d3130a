"""Load an ICD-10-CM release into the database: the release the `simple-icd-10-cm` package
carries, or CDC's own files (the tabular XML, `icd10cm_tabular_*.xml`, and the code list,
`icd10cm_codes_*.txt` or `icd10cm_order_*.txt`), which the package reads the same way.

The import rule (docs/reliability.md): read and check the whole release first, writing
nothing; then write the rows in short transactions, under a release that pages do not show
yet (`Release.is_complete` false); last, one small transaction marks the codes the release
dropped and makes the release current. A second run with the same files finds the release
by the files' SHA-256 and stops before reading them, in a few milliseconds.

Only this module imports the package, and only inside `read_release`: the web process
reads the database.
"""

import datetime
import hashlib
import importlib.util
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from django.db.models import F

from codes.cms.release_store import ImportRefused, same_release, store_release
from codes.models import Diagnosis, Release, ReleaseKind, SupportingDiagnosis

PACKAGE = "simple_icd_10_cm"
BATCH_SIZE = 5000
MONTHS = {
    name: number
    for number, name in enumerate(
        [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        start=1,
    )
}


@dataclass(frozen=True)
class ReleaseFiles:
    """The two files of a release, and what to call it."""

    code_list: Path
    tabular: Path
    label: str
    effective_from: datetime.date | None
    from_package: bool = False

    def hashes(self):
        """{file name: SHA-256}."""
        return {path.name: sha256_of(path) for path in (self.code_list, self.tabular)}


@dataclass
class LoadReport:
    release: Release | None = None
    skipped: bool = False
    codes: int = 0
    billable: int = 0
    deleted: int = 0
    previous: str = ""
    messages: list = field(default_factory=list)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def package_files():
    """The release the installed package carries, found without importing it (importing
    it parses the whole release, about two seconds)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ImportRefused(
            "The simple-icd-10-cm package is not installed: run `make setup` "
            "(it is pinned in requirements.txt)."
        )
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    tabulars = sorted(data.glob("*tabular*.xml"))
    code_lists = sorted(data.glob("code-list-*.txt"))
    if len(tabulars) != 1 or len(code_lists) != 1:
        raise ImportRefused(f"Expected one tabular XML and one code list in {data}.")
    tabular = tabulars[0]
    effective = effective_date_in_name(tabular.name)
    # A label is a slug: it names the release in /releases/<label>/.
    label = f"ICD-10-CM-{effective:%Y-%m}" if effective else f"ICD-10-CM-{tabular.stem}"
    return ReleaseFiles(code_lists[0], tabular, label, effective, from_package=True)


def effective_date_in_name(name):
    """ "icd10c-tabular-April-1-2026.xml" -> 2026-04-01; None when the name does not say."""
    match = re.search(r"(" + "|".join(MONTHS) + r")-(\d{1,2})-(\d{4})", name)
    if not match:
        return None
    month, day, year = match.groups()
    return datetime.date(int(year), MONTHS[month], int(day))


def cdc_files(code_list, tabular, label, effective_from):
    """A release from CDC's files, given as paths."""
    paths = [Path(code_list), Path(tabular)]
    for path in paths:
        if not path.is_file():
            raise ImportRefused(f"{path}: no such file.")
    if not label or not re.fullmatch(r"[-A-Za-z0-9_]{1,40}", label):
        raise ImportRefused("Name the release with --label (e.g. ICD-10-CM-2027-10).")
    return ReleaseFiles(paths[0], paths[1], label, effective_from)


def already_loaded(files):
    """The complete release stored from exactly these files, or None. Reads no file but to
    hash it, and never imports the package."""
    release = same_release(ReleaseKind.ICD10CM, files.hashes())
    return release if release is not None and release.is_complete else None


# Reading (no writes) -----------------------------------------------------------------------


def lines(text):
    return [line for line in (text or "").split("\n") if line.strip()]


def read_release(files):
    """Return every category and subcategory of the release as a dict of Diagnosis fields,
    in the tabular's order. Raises ImportRefused when the files cannot be read."""
    with warnings.catch_warnings():
        # The package reads its data with importlib.resources' legacy functions.
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm as cm

    if not files.from_package:
        try:
            cm.change_version(str(files.code_list), str(files.tabular), suppress_warnings=True)
        except Exception as error:  # the package raises what its XML parser raises
            raise ImportRefused(f"{files.tabular}: not a tabular release ({error}).") from error
    try:
        # A block that shares its name with a category (B99) is listed twice; its
        # category's facts are what every look-up of the name returns.
        codes = dict.fromkeys(
            code for code in cm.get_all_codes(with_dots=True) if cm.is_category_or_subcategory(code)
        )
        return [facts(cm, code) for code in codes]
    finally:
        if not files.from_package:
            cm.change_version()  # back to the package's own release


def facts(cm, code):
    ancestors = cm.get_ancestors(code)
    chapter, block = ancestors[-1], ancestors[-2]
    parent = cm.get_parent(code)
    title = cm.get_description(code)
    inclusion_terms = cm.get_inclusion_term(code)
    return {
        "code": code.replace(".", ""),
        "title": title,
        "billable": cm.is_leaf(code),
        "parent_code": "" if cm.is_category(code) else parent.replace(".", ""),
        "chapter": chapter,
        "chapter_title": cm.get_description(chapter),
        "block": block,
        "block_title": cm.get_description(block, prioritize_blocks=True),
        "inclusion_terms": inclusion_terms,
        "includes": cm.get_includes(code),
        "excludes1": cm.get_excludes1(code),
        "excludes2": cm.get_excludes2(code),
        "code_first": lines(cm.get_code_first(code)),
        "code_also": lines(cm.get_code_also(code)),
        "use_additional_code": lines(cm.get_use_additional_code(code)),
        "notes": lines(cm.get_notes(code)),
        "seventh_characters": cm.get_seven_chr_def(code),
        "seventh_note": cm.get_seven_chr_note(code),
        "is_extended": cm.is_extended_subcategory(code),
        "search_text": " ".join([title, *inclusion_terms]),
    }


# Writing -----------------------------------------------------------------------------------


def load(files, imported_by="", progress=None, dry_run=False):
    """Store the release the files hold, unless it is stored already. `progress(total)`
    returns a tqdm-like bar (or None)."""
    report = LoadReport()
    existing = already_loaded(files)
    if existing is not None:
        report.release, report.skipped = existing, True
        return report
    clashing = Release.objects.filter(kind=ReleaseKind.ICD10CM, label=files.label).first()
    if clashing is not None and clashing.is_complete:
        raise ImportRefused(
            f"{files.label} is already loaded, from other files. Name this release "
            "differently with --label."
        )

    rows = read_release(files)
    previous = Release.objects.current(ReleaseKind.ICD10CM)
    report.codes = len(rows)
    report.billable = sum(row["billable"] for row in rows)
    report.previous = previous.label if previous else ""
    if dry_run:
        return report

    if clashing is not None:  # an earlier run stopped half-way: start it again
        remove_release(clashing)
    with transaction.atomic():
        release = store_release(
            ReleaseKind.ICD10CM,
            {"label": files.label, "effective_from": files.effective_from, "is_complete": False},
            files.hashes(),
            imported_by,
        )
    bar = progress(len(rows)) if progress else None
    for start in range(0, len(rows), BATCH_SIZE):
        batch = rows[start : start + BATCH_SIZE]
        with transaction.atomic():
            created = Diagnosis.objects.bulk_create(
                [Diagnosis(release=release, **row) for row in batch]
            )
            index_words([row.pk for row in created])
        if bar is not None:
            bar.update(len(batch))
    if bar is not None:
        bar.close()

    with transaction.atomic():
        if previous is not None:
            report.deleted = mark_deleted(previous, release)
        release.is_complete = True
        release.save(update_fields=["is_complete"])
        refresh_linked_documents()
    report.release = release
    return report


def index_words(ids):
    """Put a batch of rows (their ids, consecutive) into the diagnosis word index.
    PostgreSQL's GIN index follows the table by itself; SQLite's FTS5 table is an
    external-content index that is filled here."""
    if connection.vendor != "sqlite" or not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO codes_diagnosis_fts (rowid, search_text) "
            "SELECT id, search_text FROM codes_diagnosis WHERE id BETWEEN %s AND %s",
            [min(ids), max(ids)],
        )


def remove_release(release):
    """Remove a release that an interrupted load left incomplete, its words first."""
    with transaction.atomic():
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO codes_diagnosis_fts (codes_diagnosis_fts, rowid, search_text) "
                    "SELECT 'delete', id, search_text FROM codes_diagnosis WHERE release_id = %s",
                    [release.pk],
                )
        release.delete()


def mark_deleted(previous, release):
    """Mark the codes of the previous release that this one no longer has, and return how
    many. Codes deleted by an earlier release keep that release."""
    kept = Diagnosis.objects.filter(release=release).values("code")
    return (
        Diagnosis.objects.filter(release=previous, deleted_in__isnull=True)
        .exclude(code__in=kept)
        .update(deleted_in=release)
    )


def refresh_linked_documents():
    """The search document of a code holds the titles of its supporting diagnoses
    (codes/search/schema.py): touching the links makes the triggers rebuild them."""
    SupportingDiagnosis.objects.update(diagnosis_code=F("diagnosis_code"))
