"""Store releases of CMS's billing edits: NCCI procedure-to-procedure (PTP) edits, medically
unlikely edits (MUE), the add-on code list (AOC) and OPPS Addendum B.

One entry point takes a file, a folder or a zip and recognises each file's kind by its name
(`ccipra-v302r0-f1.TXT`, `MCR_MUE_…`, `AOC_V2024Q3…`, `… Addendum B…`), or takes the kind
given. The four PTP files of a quarter are one release. For each kind, as for the fee
schedule: the same bytes again change nothing (SHA-256, checked before anything is read).
It follows the import rule of every importer (codes/import_rule.py), so that a quarter of
PTP edits (2.5 million rows) never blocks logins and saves:

1. every line of every file is checked first, reading only; bad lines are reported with
   their file and line and nothing is stored; a dry run stops there and reports what
   changed against the release before without writing to the database's tables;
2. the rows are streamed into a release marked incomplete (no page shows it), in batches
   of `BATCH_SIZE`, each its own transaction;
3. the release becomes the one pages show in one short transaction at the end
   (codes/cms/release_store.py). A run that stops part way says how far it got; the next
   run of the same files resumes where it stopped.
"""

import itertools
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import DatabaseError, connection

from codes.cms import addendum_b, aoc, mue, ptp
from codes.cms.edit_changes import changes_between, ptp_changes
from codes.cms.files import CmsFileError, CmsFileErrors, given_files
from codes.cms.release_store import (
    ImportRefused,
    ImportStopped,
    loading_release,
    make_current,
    release_to_replace,
    same_release,
)
from codes.cms.tables import skipping
from codes.import_rule import commit_batches
from codes.models import (
    AddOnEdit,
    MedicallyUnlikelyEdit,
    OppsStatus,
    PtpEdit,
    Release,
    ReleaseKind,
)

# Rows per transaction at most; fewer when these would hold the write lock longer than
# import_rule.TARGET_SECONDS.
BATCH_SIZE = 5_000


@dataclass(frozen=True)
class EditFileKind:
    """One kind of CMS file: how to recognise it, read it and where its rows go."""

    kind: ReleaseKind
    what: str
    reader: object  # the module: looks_like(name), release_from_name(name), read(name, stream)
    looks_like: object
    model: type
    several_files: bool = False
    example_label: str = ""

    @property
    def fields(self):
        return self.reader.FIELDS


EDIT_KINDS = (
    EditFileKind(
        ReleaseKind.NCCI_PTP, "PTP edits", ptp, ptp.looks_like_ptp, PtpEdit, True, "PTP-v302r0"
    ),
    EditFileKind(ReleaseKind.ADD_ON, "add-on code list", aoc, aoc.looks_like_aoc, AddOnEdit,
                 example_label="AOC-V2024Q3"),
    EditFileKind(ReleaseKind.MUE, "MUE table", mue, mue.looks_like_mue, MedicallyUnlikelyEdit,
                 example_label="MUE-2024-07-01"),
    EditFileKind(ReleaseKind.OPPS, "OPPS Addendum B", addendum_b,
                 addendum_b.looks_like_addendum_b, OppsStatus, example_label="OPPS-B-2025-01"),
)  # fmt: skip
KIND_BY_NAME = {kind.kind.value: kind for kind in EDIT_KINDS}


@dataclass
class Outcome:
    state: str  # "unchanged", "kept", "imported" or "dry run"
    kind: EditFileKind
    label: str = ""
    release: Release | None = None
    previous: Release | None = None
    changes: object = None
    row_count: int = 0
    files: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def recognise(path, kind=None):
    """Group the files found at `path` by kind: [(EditFileKind, [GivenFile])], in the order
    of EDIT_KINDS. Files of no known kind in a folder or zip are left out (a README, say)."""
    try:
        found = given_files(path)
    except FileNotFoundError as error:
        raise ImportRefused(str(error)) from None
    if kind is not None:
        chosen = KIND_BY_NAME[kind]
        matching = [given for given in found if chosen.looks_like(given.plain_name)]
        files = matching or (found if len(found) == 1 else [])
        if not files:
            raise ImportRefused(f"{path}: no {chosen.what} file in it")
        groups = [(chosen, files)]
    else:
        groups = []
        for candidate in EDIT_KINDS:
            files = [
                given
                for given in found
                if candidate.looks_like(given.plain_name)
                and not any(given in taken for _, taken in groups)
            ]
            if files:
                groups.append((candidate, files))
        if not groups:
            names = ", ".join(given.name for given in found[:5])
            raise ImportRefused(
                f"{path}: no file named like CMS's PTP, MUE, add-on or Addendum B files "
                f"({names}); give --kind"
            )
    for edit_kind, files in groups:
        if len(files) > 1 and not edit_kind.several_files:
            raise ImportRefused(
                f"{path}: {len(files)} {edit_kind.what} files ({', '.join(f.name for f in files)});"
                " import one at a time"
            )
    return groups


def release_facts(edit_kind, files, options):
    """The label and dates: the options where given, else the files' names (which must
    agree with each other)."""
    named = {
        (facts.label, facts.effective_from, facts.released_on)
        for facts in (edit_kind.reader.release_from_name(f.plain_name) for f in files)
    }
    if len(named) > 1:
        labels = sorted(str(label) for label, _, _ in named)
        raise ImportRefused(
            f"The {edit_kind.what} files name different releases ({', '.join(labels)}); "
            "import each release on its own"
        )
    label, effective_from, released_on = named.pop()
    facts = {
        "label": options.get("label") or label,
        "effective_from": options.get("effective_from") or effective_from,
        "released_on": options.get("released_on") or released_on,
    }
    if not facts["label"]:
        raise ImportRefused(
            f"{files[0].name} does not name its release; give --label "
            f"(e.g. {edit_kind.example_label})"
        )
    return facts


def import_edits(path, *, kind=None, **options):
    """Import every release found at `path`; return a list of Outcomes."""
    return [
        import_release(edit_kind, files, **options) for edit_kind, files in recognise(path, kind)
    ]


def import_release(
    edit_kind,
    files,
    *,
    label=None,
    effective_from=None,
    released_on=None,
    imported_by="",
    dry_run=False,
    replace=False,
    keep_existing=False,
    progress=None,
):
    """Import one release of one kind by the import rule (codes/import_rule.py). Raises
    CmsFileError (every bad line named), ImportRefused or ImportStopped."""
    hashes = {given.name: given.sha256() for given in files}
    same = same_release(edit_kind.kind, hashes)
    if same is not None:
        return Outcome("unchanged", edit_kind, label=same.label, release=same)
    facts = release_facts(
        edit_kind,
        files,
        {"label": label, "effective_from": effective_from, "released_on": released_on},
    )
    if keep_existing:
        kept = Release.objects.filter(kind=edit_kind.kind, label=facts["label"]).first()
        if kept is not None:
            return Outcome("kept", edit_kind, label=kept.label, release=kept)
    existing = release_to_replace(
        edit_kind.kind,
        facts["label"],
        replace,
        "CMS names a corrected release anew; give that name with --label",
    )
    previous = (
        Release.objects.in_effect(edit_kind.kind, on=facts["effective_from"])
        .exclude(label=facts["label"])
        .first()
    )
    outcome = Outcome(
        "dry run" if dry_run else "imported",
        edit_kind,
        label=facts["label"],
        previous=previous,
        files=[given.name for given in files],
    )
    # 1. Check every line, reading only.
    bar = progress(desc=f"Checking {facts['label']}") if progress else None
    outcome.row_count = check_files(edit_kind, files, bar)
    if dry_run:
        if previous is not None:
            outcome.changes = changes_read_only(edit_kind, files, facts, previous)
        return outcome
    # 2. Store the rows in short transactions, into a release no page shows yet.
    release = loading_release(edit_kind.kind, facts, hashes, imported_by, outcome.notes)
    stored = edit_kind.model.objects.filter(release=release).count()
    bar = progress(desc=facts["label"]) if progress else None
    if bar and stored:
        bar.update(stored)
    try:
        with connection.cursor() as cursor, larger_sqlite_cache(cursor):
            for batch, _ in commit_batches(
                itertools.islice(all_rows(edit_kind, files), stored, None),
                BATCH_SIZE,
                lambda batch: insert_rows(edit_kind, release, batch),
            ):
                stored += len(batch)
                if bar:
                    bar.update(len(batch))
    except (DatabaseError, OSError) as error:
        raise ImportStopped(
            f"Stopped after storing {stored} of {outcome.row_count} rows of "
            f"{facts['label']}: {error}. The release is kept as incomplete and no page "
            "shows it; run the same command again to finish it."
        ) from error
    finally:
        if bar:
            bar.close()
    if previous is not None:
        outcome.changes = changes_between(edit_kind.kind, previous, release)
    # 3. The switch: one short transaction.
    make_current(release, replacing=existing, notes=outcome.notes)
    outcome.release = release
    return outcome


# Bad lines a check reports for one file before it stops (each one more costs a reading of
# the file: the readers stop at a bad line, and the check reads again past it).
MAX_REPORTED_LINES = 20


def check_file(edit_kind, given, bar=None):
    """Read a whole file, writing nothing; return its row count, or raise CmsFileError
    naming every bad line (up to MAX_REPORTED_LINES)."""
    errors, skipped = [], set()
    while True:
        count = 0
        try:
            with given.open() as stream, skipping(given.name, skipped):
                for _ in edit_kind.reader.read(given.name, stream):
                    count += 1
                    if bar and count % 10_000 == 0:
                        bar.update(10_000)
            break
        except CmsFileError as error:
            errors.append(error)
            if not getattr(error, "in_row", False) or len(errors) >= MAX_REPORTED_LINES:
                break
            skipped.add(error.line)
        finally:
            if bar:
                bar.update(count % 10_000)
    if errors:
        raise CmsFileErrors(errors, complete=len(errors) < MAX_REPORTED_LINES)
    return count


def check_files(edit_kind, files, bar=None):
    """Check every file; return the rows they hold, or raise CmsFileErrors naming the bad
    lines of all of them."""
    found, complete, count = [], True, 0
    for given in files:
        try:
            count += check_file(edit_kind, given, bar)
        except CmsFileErrors as error:
            found.extend(error.errors)
            complete = complete and error.complete
        except CmsFileError as error:
            found.append(error)
    if bar:
        bar.close()
    if found:
        raise CmsFileErrors(found, complete)
    return count


def all_rows(edit_kind, files):
    """The rows of every file, in order, without their line numbers."""
    for given in files:
        with given.open() as stream:
            for _, row in edit_kind.reader.read(given.name, stream):
                yield row


def changes_read_only(edit_kind, files, facts, previous):
    """What a dry run reports: the changes against the release before, with nothing
    written to the database's tables (a PTP quarter goes into a temporary table, which on
    SQLite takes no lock on the database; the smaller kinds are compared in memory)."""
    new = Release(kind=edit_kind.kind, pk=0, **facts)
    if edit_kind.kind != ReleaseKind.NCCI_PTP:
        return changes_between(edit_kind.kind, previous, parsed_values(edit_kind, files))
    with temporary_copy(edit_kind.model) as table:
        for batch in batched(all_rows(edit_kind, files)):
            insert_rows(edit_kind, new, batch, table=table)
        return ptp_changes(previous, new, new_table=table)


def parsed_values(edit_kind, files):
    """The files' rows as the database would give them back (field values)."""
    fields = [edit_kind.model._meta.get_field(name) for name in edit_kind.fields]
    return [
        {f.name: f.to_python(value) for f, value in zip(fields, row, strict=True)}
        for row in all_rows(edit_kind, files)
    ]


@contextmanager
def temporary_copy(model):
    """A temporary table shaped like the model's table, indexed on the PTP pair, dropped
    after."""
    table = f"check_{model._meta.db_table}"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {table} AS SELECT * FROM {model._meta.db_table} WHERE 1 = 0"
        )
        cursor.execute(f"CREATE INDEX {table}_pair ON {table} (column_1, column_2)")
    try:
        yield table
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")


def insert_rows(edit_kind, release, rows, table=None):
    """Insert a batch of row tuples into the kind's table (or `table`); return the count.
    SQLite: executemany of one plain INSERT; PostgreSQL: COPY."""
    table = table or edit_kind.model._meta.db_table
    columns = ", ".join(["release_id", *(quoted(name) for name in edit_kind.fields)])
    if connection.vendor == "postgresql":
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row((release.pk, *row))
        return len(rows)
    # The release's id (an integer we made) is written into the statement.
    marks = ", ".join(["%s"] * len(edit_kind.fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({int(release.pk)}, {marks})"
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    return len(rows)


# SQLite's page cache while inserting, in KiB: the (release, column 2) index of a quarter's
# PTP edits grows in the order of column 1, so its pages are written all over; with them in
# memory the import runs faster. Peak memory stays well under 400 MB.
IMPORT_CACHE_KIB = 160 * 1024


@contextmanager
def larger_sqlite_cache(cursor):
    if connection.vendor != "sqlite":
        yield
        return
    cursor.execute("PRAGMA cache_size")
    (before,) = cursor.fetchone()
    cursor.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA cache_size = {int(before)}")


def quoted(name):
    return connection.ops.quote_name(name)


def batched(rows, size=None):
    size = size or BATCH_SIZE
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch
