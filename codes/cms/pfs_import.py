"""Store a Physician Fee Schedule release: its PPRRVU rows and its localities.

Takes the PPRRVU file itself (CSV or fixed-width), a folder, or CMS's zip. The same bytes a
second time change nothing (recognised by SHA-256 before anything is parsed); a new release
is stored beside the older ones. The AMA descriptors in CMS's file are never stored, except
into the official descriptor field of a licensed deployment.

It follows the import rule of every importer (codes/import_rule.py): the whole file is read
and checked first (a bad file names every bad line and stores nothing; a dry run stops
there); the rows then go in batches, each its own transaction, into a release no page shows
yet, which becomes the current one in one short transaction at the end. A run that stops
part way says how far it got; the next run of the same files resumes it.
"""

import itertools
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, transaction

from codes.cms import gpci, locco, pprrvu
from codes.cms.changes import COMPARED_FIELDS, compare, rows_by_key
from codes.cms.files import given_files, sha256
from codes.cms.release_store import (
    ImportRefused,
    ImportStopped,
    loading_release,
    make_current,
    release_to_replace,
    same_release,
)
from codes.editorial import record_official_text
from codes.import_rule import commit_batches
from codes.models import (
    CodeProcedure,
    FeeScheduleRow,
    Locality,
    Release,
    ReleaseKind,
    is_cpt_code,
)

# Rows per transaction.
BATCH_SIZE = 2000


@dataclass
class SourceFile:
    name: str
    data: bytes

    @property
    def sha256(self):
        return sha256(self.data)


@dataclass
class SourceFiles:
    pprrvu: SourceFile
    gpci: SourceFile | None = None
    locco: SourceFile | None = None
    container: str = ""

    def all(self):
        return [f for f in (self.pprrvu, self.gpci, self.locco) if f is not None]


def collect(path):
    """Find the PPRRVU file (and GPCI and LOCCO beside it) in a file, a folder or a zip."""
    path = Path(path)
    try:
        found = given_files(path)
    except FileNotFoundError as error:
        raise ImportRefused(str(error)) from None
    if len(found) == 1 and not path.is_dir() and not zipfile.is_zipfile(path):
        return SourceFiles(pprrvu=SourceFile(path.name, found[0].read_bytes()))
    entries = {given.name: given for given in found}
    return pick(entries, lambda given: given.read_bytes(), path.name)


def pick(entries, read, container):
    def first(matches):
        # CMS ships each file as CSV and fixed-width; the CSV's header names its columns.
        names = sorted(name for name in entries if matches(name))
        names.sort(key=lambda name: not name.lower().endswith(".csv"))
        return SourceFile(names[0], read(entries[names[0]])) if names else None

    found = first(pprrvu.looks_like_pprrvu)
    if found is None:
        raise ImportRefused(f"{container}: no PPRRVU file (PPRRVU…csv or .txt) in it")
    return SourceFiles(
        pprrvu=found,
        gpci=first(gpci.looks_like_gpci),
        locco=first(locco.looks_like_locco),
        container=container,
    )


@dataclass
class Outcome:
    state: str  # "unchanged", "imported" or "dry run"
    release: Release | None = None
    label: str = ""
    previous: Release | None = None
    changes: object = None
    row_count: int = 0
    locality_count: int = 0
    notes: list = field(default_factory=list)


def release_facts(sources, parsed, options):
    """Decide the label and dates: the file's own header, else the options, else the names."""
    from_file = parsed.facts
    from_name = pprrvu.release_from_name(sources.pprrvu.name)
    from_container = pprrvu.release_from_container(sources.container)
    facts = {}
    for name in ("label", "released_on", "effective_from"):
        stated, given = getattr(from_file, name), options.get(name)
        if stated and given and stated != given:
            raise ImportRefused(
                f"{sources.pprrvu.name} says its {name.replace('_', ' ')} is {stated}, "
                f"not {given}; leave the option out"
            )
        facts[name] = stated or given or getattr(from_name, name) or getattr(from_container, name)
    if not facts["label"]:
        raise ImportRefused(
            f"{sources.pprrvu.name} does not name its release; give --label (e.g. RVU25D)"
        )
    return facts


def import_release(
    path,
    *,
    label=None,
    released_on=None,
    effective_from=None,
    imported_by="",
    dry_run=False,
    replace=False,
    rvu_threshold=Decimal("0"),
    progress=None,
):
    """Import a release; return an Outcome. Raises CmsFileError or ImportRefused."""
    sources = collect(path)
    hashes = {source.name: source.sha256 for source in sources.all()}
    same = same_release(ReleaseKind.FEE_SCHEDULE, hashes)
    if same is not None:
        return Outcome("unchanged", release=same, label=same.label)

    parsed = pprrvu.read(sources.pprrvu.name, sources.pprrvu.data)
    localities = read_localities(sources)
    facts = release_facts(
        sources,
        parsed,
        {"label": label, "released_on": released_on, "effective_from": effective_from},
    )
    existing = release_to_replace(
        ReleaseKind.FEE_SCHEDULE,
        facts["label"],
        replace,
        "CMS names a corrected release anew (e.g. RVU25AR); give that name with --label",
    )

    earlier = Release.objects.in_effect(on=facts["effective_from"]).exclude(label=facts["label"])
    previous = earlier.first()
    changes = None
    if previous is not None:
        old_rows = rows_by_key(
            FeeScheduleRow.objects.filter(release=previous).values(
                "hcpcs", "modifier", *COMPARED_FIELDS
            )
        )
        changes = compare(old_rows, rows_by_key(parsed.rows), rvu_threshold)
    outcome = Outcome(
        "dry run" if dry_run else "imported",
        label=facts["label"],
        previous=previous,
        changes=changes,
        row_count=len(parsed.rows),
        locality_count=len(localities),
    )
    if dry_run:
        return outcome

    release = loading_release(ReleaseKind.FEE_SCHEDULE, facts, hashes, imported_by, outcome.notes)
    # What an earlier run of these files stored is kept: rows go in the file's order.
    stored_rows = FeeScheduleRow.objects.filter(release=release).count()
    stored_places = Locality.objects.filter(release=release).count()
    bar = progress(total=len(parsed.rows) + len(localities)) if progress else None
    if bar:
        bar.update(stored_rows + stored_places)
    work = [(FeeScheduleRow, row) for row in parsed.rows[stored_rows:]]
    work += [(Locality, row) for row in localities[stored_places:]]
    stored = stored_rows + stored_places
    try:
        for batch, _ in commit_batches(work, BATCH_SIZE, lambda batch: store(release, batch)):
            stored += len(batch)
            if bar:
                bar.update(len(batch))
    except DatabaseError as error:
        raise ImportStopped(
            f"Stopped after storing {stored} of {len(parsed.rows) + len(localities)} rows "
            f"of {facts['label']}: {error}. The release is kept as incomplete and no page "
            "shows it; run the same command again to finish it."
        ) from error
    finally:
        if bar:
            bar.close()
    make_current(release, replacing=existing, notes=outcome.notes)
    if settings.CPT_LICENSED:
        with transaction.atomic():
            outcome.notes.append(store_descriptors(parsed.descriptors, release))
    outcome.release = release
    return outcome


def store(release, batch):
    """Insert a batch of (model, row values) for the release."""
    for model, rows in itertools.groupby(batch, key=lambda item: item[0]):
        model.objects.bulk_create([model(release=release, **row) for _, row in rows])


def read_localities(sources):
    if sources.gpci is None:
        return []
    rows = gpci.read(sources.gpci.name, sources.gpci.data)
    counties = locco.read(sources.locco.name, sources.locco.data) if sources.locco else {}
    for row in rows:
        row["counties"] = counties.get((row["contractor"], row["number"]), "")
    return rows


def store_descriptors(descriptors, release):
    """A licensed deployment: put CMS's descriptors into the catalogue's official field."""
    changed = 0
    wanted = {code: text for code, text in descriptors.items() if is_cpt_code(code)}
    for procedure in CodeProcedure.objects.filter(code__in=wanted):
        if procedure.official_descriptor != wanted[procedure.code]:
            record_official_text(
                procedure, wanted[procedure.code], f"import_cms_pfs {release.label}"
            )
            changed += 1
    return f"{changed} official descriptors updated (CPT_LICENSED)"
