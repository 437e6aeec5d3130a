"""What every importer of CMS's files shares: recognising files imported already by their
SHA-256, refusing a second release of the same name, and storing a release by the import
rule (codes/import_rule.py): its rows go in short batches into a release marked incomplete,
which no page shows (`Release.objects` holds complete releases only); it becomes the release
pages show in one short transaction at the end (`make_current`). A run that stops part way
leaves the incomplete release; the next run of the same files resumes it, any other run of
that release removes it first."""

import itertools

from django.db import DatabaseError, connection, transaction
from django.db.models import Q

from codes.cache import bump_content_generation
from codes.import_rule import commit_batches, pause
from codes.models import Release, ReleaseFile

# Rows deleted per transaction when a release is removed.
DELETE_BATCH = 5_000


class ImportRefused(Exception):
    """The import cannot go ahead for a reason that is not a fault in one line of a file."""


class ImportStopped(Exception):
    """A real import stopped part way; the message says what was stored and what to do."""


def same_release(kind, hashes):
    """Return the complete release of a kind imported from exactly these files
    ({name: SHA-256}), or None."""
    candidates = Release.objects.filter(
        kind=kind, files__sha256__in=hashes.values()
    ).prefetch_related("files")
    for release in candidates:
        if {f.sha256 for f in release.files.all()} == set(hashes.values()):
            return release
    return None


def release_to_replace(kind, label, replace, how_to_rename):
    """Return the complete release of the same name that --replace will remove, None if
    there is none; refuse when there is one and --replace was not given."""
    existing = Release.objects.filter(kind=kind, label=label).first()
    if existing is not None and not replace:
        names = ", ".join(f.name for f in existing.files.all())
        raise ImportRefused(
            f"{label} is already imported, from other files ({names}). {how_to_rename}, or "
            "pass --replace to put these files in its place"
        )
    return existing


def left_incomplete(kind, label, hashes):
    """The incomplete releases an earlier run of this release (same name, or same files)
    left behind."""
    by_files = ReleaseFile.objects.filter(sha256__in=hashes.values()).values("release_id")
    return list(
        Release.all_releases.filter(kind=kind, complete=False)
        .filter(Q(label=label) | Q(pk__in=by_files))
        .prefetch_related("files")
        .order_by("pk")
    )


def loading_release(kind, facts, hashes, imported_by, notes):
    """Return the incomplete release to store rows into: the one an earlier run of these
    exact files left (resumed), or a new one. Other leftovers of this release are removed
    first. Each step is named in `notes`."""
    resumed = None
    for leftover in left_incomplete(kind, facts["label"], hashes):
        if resumed is None and {f.sha256 for f in leftover.files.all()} == set(hashes.values()):
            resumed = leftover
            notes.append(
                f"Resuming {leftover.label}, left incomplete by an earlier run of these files."
            )
            continue
        notes.append(f"Removed {leftover.label}, left incomplete by an earlier run.")
        remove_release(leftover)
    if resumed is not None:
        return resumed
    with transaction.atomic():
        release = Release.all_releases.create(
            kind=kind, imported_by=imported_by, complete=False, **facts
        )
        ReleaseFile.objects.bulk_create(
            ReleaseFile(release=release, name=name, sha256=digest)
            for name, digest in hashes.items()
        )
    return release


def make_current(release, replacing=None, notes=None):
    """The switch, in one short transaction: the loaded release becomes complete (pages
    show it from now on) and the release it replaces is withdrawn (incomplete, its files
    forgotten); then that one's rows are removed in batches (if that stops part way, a note
    says so and the next import of that name removes the rest)."""
    with transaction.atomic():
        if replacing is not None:
            replacing.files.all().delete()
            Release.all_releases.filter(pk=replacing.pk).update(complete=False)
        Release.all_releases.filter(pk=release.pk).update(complete=True)
        bump_content_generation()
    release.complete = True
    refresh_statistics(release)
    pause()
    if replacing is not None:
        try:
            remove_release(replacing)
        except DatabaseError as error:
            if notes is None:
                raise
            notes.append(
                f"{release.label} is in place; the rows of the release it replaced were not "
                f"all removed ({error}): no page shows them, and the next import of "
                f"{release.label} removes them."
            )


def refresh_statistics(release):
    """Give PostgreSQL's planner the tables a release filled. Right after a bulk load its
    statistics still call them nearly empty, and it chose plans for that: a word search of
    the 98,000 diagnoses read every row (945 ms instead of 6 ms) until autovacuum came by.
    Not on SQLite, where ANALYZE of a PTP quarter would hold the write lock for seconds and
    the word searches go through FTS5 tables that need no statistics."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table, _ in row_tables(release):
            cursor.execute(f"ANALYZE {table}")


def row_tables(release):
    """The tables holding a release's rows: (table, column naming the release)."""
    return [
        (relation.related_model._meta.db_table, relation.field.column)
        for relation in Release._meta.related_objects
        if relation.one_to_many and relation.related_model is not ReleaseFile
    ]


def remove_release(release):
    """Delete a release that no page shows, its rows in batches (a PTP quarter is 2.5
    million rows: one DELETE would hold SQLite's write lock for many seconds)."""
    for table, column in row_tables(release):
        sql = (
            f"DELETE FROM {table} WHERE id IN "
            f"(SELECT id FROM {table} WHERE {column} = %s LIMIT {DELETE_BATCH})"
        )

        def delete(_, sql=sql):
            with connection.cursor() as cursor:
                cursor.execute(sql, [release.pk])
                return cursor.rowcount

        for _, deleted in commit_batches(itertools.repeat(None), 1, delete):
            if deleted < DELETE_BATCH:
                break
    with transaction.atomic():
        Release.all_releases.filter(pk=release.pk).delete()
