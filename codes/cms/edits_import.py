"""Store releases of CMS's billing edits: NCCI procedure-to-procedure (PTP) edits, medically
unlikely edits (MUE), the add-on code list (AOC) and OPPS Addendum B.

One entry point takes a file, a folder or a zip and recognises each file's kind by its name
(`ccipra-v302r0-f1.TXT`, `MCR_MUE_…`, `AOC_V2024Q3…`, `… Addendum B…`), or takes the kind
given. The four PTP files of a quarter are one release. For each kind, as for the fee
schedule: the same bytes again change nothing (SHA-256, checked before anything is read);
rows are streamed and inserted in batches inside one transaction, so a bad line stores
nothing and names its file and line; a dry run does the whole import, reports what changed
against the release before, and rolls back.
"""

import itertools
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, transaction

from codes.cache import bump_content_generation
from codes.cms import addendum_b, aoc, mue, ptp
from codes.cms.edit_changes import changes_between
from codes.cms.files import given_files
from codes.cms.release_store import (
    ImportRefused,
    release_to_replace,
    same_release,
    store_release,
)
from codes.models import (
    AddOnEdit,
    MedicallyUnlikelyEdit,
    OppsStatus,
    PtpEdit,
    Release,
    ReleaseKind,
)

BATCH_SIZE = 20_000


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
    """Import one release of one kind. Raises CmsFileError or ImportRefused."""
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
    with transaction.atomic():
        release = store_release(edit_kind.kind, facts, hashes, imported_by, replacing=existing)
        bar = progress(desc=f"{facts['label']}") if progress else None
        for given in files:
            with given.open() as stream:
                outcome.row_count += insert_rows(
                    edit_kind, release, edit_kind.reader.read(given.name, stream), bar
                )
        if bar:
            bar.close()
        if previous is not None:
            outcome.changes = changes_between(edit_kind.kind, previous, release)
        if dry_run:
            transaction.set_rollback(True)
            return outcome
        bump_content_generation()
    outcome.release = release
    return outcome


def insert_rows(edit_kind, release, numbered_rows, bar=None):
    """Insert a stream of (line, row tuple) into the kind's table in batches; return the
    count. SQLite: executemany of one plain INSERT; PostgreSQL: COPY."""
    table = edit_kind.model._meta.db_table
    columns = ", ".join(["release_id", *(quoted(name) for name in edit_kind.fields)])
    rows = (row for _, row in numbered_rows)
    count = 0
    if connection.vendor == "postgresql":
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for batch in batched(rows):
                for row in batch:
                    copy.write_row((release.pk, *row))
                count += len(batch)
                if bar:
                    bar.update(len(batch))
        return count
    # The release's id (an integer we made) is written into the statement, so the rows go
    # to executemany as the reader yields them.
    marks = ", ".join(["%s"] * len(edit_kind.fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({int(release.pk)}, {marks})"
    with connection.cursor() as cursor, larger_sqlite_cache(cursor):
        for batch in batched(rows):
            cursor.executemany(sql, batch)
            count += len(batch)
            if bar:
                bar.update(len(batch))
    return count


# SQLite's page cache while inserting, in KiB: the (release, column 2) index of a quarter's
# PTP edits grows in the order of column 1, so its pages are written all over; with them in
# memory the import runs faster. Peak memory stays well under 400 MB.
IMPORT_CACHE_KIB = 160 * 1024


@contextmanager
def larger_sqlite_cache(cursor):
    cursor.execute("PRAGMA cache_size")
    (before,) = cursor.fetchone()
    cursor.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA cache_size = {int(before)}")


def quoted(name):
    return connection.ops.quote_name(name)


def batched(rows, size=BATCH_SIZE):
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch
