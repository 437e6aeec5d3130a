"""What every importer of CMS's files shares: recognising files imported already by their
SHA-256, refusing a second release of the same name, and storing a release with its files."""

from codes.models import Release, ReleaseFile


class ImportRefused(Exception):
    """The import cannot go ahead for a reason that is not a fault in one line of a file."""


def same_release(kind, hashes):
    """Return the release of a kind imported from exactly these files ({name: SHA-256}), or
    None."""
    candidates = Release.objects.filter(
        kind=kind, files__sha256__in=hashes.values()
    ).prefetch_related("files")
    for release in candidates:
        if {f.sha256 for f in release.files.all()} == set(hashes.values()):
            return release
    return None


def release_to_replace(kind, label, replace, how_to_rename):
    """Return the release of the same name that --replace will remove, None if there is
    none; refuse when there is one and --replace was not given."""
    existing = Release.objects.filter(kind=kind, label=label).first()
    if existing is not None and not replace:
        names = ", ".join(f.name for f in existing.files.all())
        raise ImportRefused(
            f"{label} is already imported, from other files ({names}). {how_to_rename}, or "
            "pass --replace to put these files in its place"
        )
    return existing


def store_release(kind, facts, hashes, imported_by, replacing=None):
    """Create the release and its files (inside the caller's transaction)."""
    if replacing is not None:
        replacing.delete()
    release = Release.objects.create(kind=kind, imported_by=imported_by, **facts)
    ReleaseFile.objects.bulk_create(
        ReleaseFile(release=release, name=name, sha256=digest) for name, digest in hashes.items()
    )
    return release
