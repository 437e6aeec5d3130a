"""Every code's facet values, held in memory as arrays, for counting and filtering facets.

Why not grouped SQL queries over the matches: at 100,000 codes a word such as "nerve"
matches 63,000 of them, and each grouped count has to look up every match's row or links
again (20-35 ms per facet on SQLite, measured in docs/benchmarks.md). Here the matches
are one boolean array, and every facet's counts, each over the matches filtered by every
other facet, come from one `numpy.bincount` per facet: under a millisecond at any size.

The index is a snapshot of the database, rebuilt in each process when the catalogue
version (`CatalogueVersion`, moved by database triggers on every change to codes, their
links or vocabularies) is no longer the one it was built from. One query per request
reads that version.
"""

import threading
from dataclasses import dataclass

import numpy as np

from codes.models import (
    CatalogueVersion,
    CodeModifier,
    CodeProcedure,
    CodeStatus,
    EditorialState,
    InpatientOnly,
    Modifier,
    Nerve,
    PlaceOfService,
    Section,
    Specialty,
)


@dataclass(frozen=True)
class LinkSource:
    """A facet whose values a code links to, many per code."""

    links: type  # the link table's model
    code_column: str
    target_column: str
    vocabulary: type
    param_field: str  # the value as it appears in the query string
    label_field: str


@dataclass(frozen=True)
class ColumnSource:
    """A facet that is a column of the code itself, one value per code."""

    column: str
    choices: tuple = ()  # (stored value, query-string value, label); empty: a vocabulary
    vocabulary: type | None = None
    param_field: str = ""
    label_field: str = ""


FACET_SOURCES = {
    "specialty": LinkSource(
        CodeProcedure.specialties.through, "codeprocedure_id", "specialty_id",
        Specialty, "slug", "name",
    ),
    "nerve": LinkSource(
        CodeProcedure.nerves.through, "codeprocedure_id", "nerve_id", Nerve, "slug", "name"
    ),
    "modifier": LinkSource(CodeModifier, "code_id", "modifier_id", Modifier, "code", "name"),
    "place": LinkSource(
        CodeProcedure.places_of_service.through, "codeprocedure_id", "placeofservice_id",
        PlaceOfService, "code", "name",
    ),
    "section": ColumnSource("section_id", vocabulary=Section, param_field="slug",
                            label_field="name"),
    "status": ColumnSource(
        "status", choices=tuple((value, value, label) for value, label in CodeStatus.choices)
    ),
    "add_on": ColumnSource(
        "is_add_on", choices=((True, "yes", "Add-on codes"), (False, "no", "Primary codes"))
    ),
    "inpatient_only": ColumnSource(
        "inpatient_only",
        choices=tuple((value, value, label) for value, label in InpatientOnly.choices),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class FacetValues:
    """One facet's possible values, by position; arrays hold positions, -1 for none."""

    params: tuple
    labels: tuple

    def positions(self, params):
        wanted = set(params)
        return [position for position, param in enumerate(self.params) if param in wanted]


class LinkFacet:
    def __init__(self, values, code_ids, positions):
        self.values = values
        self.code_ids = code_ids  # one entry per link row
        self.positions = positions  # the linked value of each row

    def counts(self, scope):
        return np.bincount(self.positions[scope[self.code_ids]], minlength=len(self.values.params))

    def having(self, params, size):
        chosen = np.isin(self.positions, self.values.positions(params))
        mask = np.zeros(size, dtype=bool)
        mask[self.code_ids[chosen]] = True
        return mask


class ColumnFacet:
    def __init__(self, values, positions):
        self.values = values
        self.positions = positions  # one entry per code id

    def counts(self, scope):
        chosen = self.positions[scope]
        return np.bincount(chosen[chosen >= 0], minlength=len(self.values.params))

    def having(self, params, size):
        return np.isin(self.positions, self.values.positions(params))


class CatalogueIndex:
    """Arrays indexed by code id: which codes exist, which are published, their order by
    code, and each facet's values."""

    def __init__(self, version, using="default"):
        self.version = version
        codes = CodeProcedure.objects.using(using).order_by("code")
        rows = list(codes.values_list("id", "editorial_state", *column_names()))
        ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        self.size = int(ids.max()) + 1 if len(ids) else 1
        self.exists = np.zeros(self.size, dtype=bool)
        self.exists[ids] = True
        self.published = np.zeros(self.size, dtype=bool)
        self.published[ids] = [row[1] == EditorialState.PUBLISHED for row in rows]
        # Code ids in code order, and each id's place in that order (for sorting).
        self.by_code = ids
        self.code_rank = np.zeros(self.size, dtype=np.int64)
        self.code_rank[ids] = np.arange(len(ids))
        self.facets = {}
        column_position = 2
        for name, source in FACET_SOURCES.items():
            if isinstance(source, LinkSource):
                self.facets[name] = self.link_facet(source, using)
            else:
                stored = [row[column_position] for row in rows]
                self.facets[name] = self.column_facet(source, ids, stored, using)
                column_position += 1

    def link_facet(self, source, using):
        values, position_of = vocabulary(source, using)
        links = np.array(
            list(
                source.links.objects.using(using).values_list(
                    source.code_column, source.target_column
                )
            ),
            dtype=np.int64,
        ).reshape(-1, 2)
        known = np.array([target in position_of for target in links[:, 1]], dtype=bool)
        links = links[known & (links[:, 0] < self.size)]
        positions = np.array([position_of[target] for target in links[:, 1]], dtype=np.int64)
        return LinkFacet(values, links[:, 0].copy(), positions)

    def column_facet(self, source, ids, stored, using):
        values, position_of = vocabulary(source, using)
        positions = np.full(self.size, -1, dtype=np.int64)
        positions[ids] = [position_of.get(value, -1) for value in stored]
        return ColumnFacet(values, positions)

    def visible(self, sees_drafts):
        return self.exists if sees_drafts else self.published

    def mask_of(self, ids):
        """A boolean array with the given code ids set (ids unknown to the index dropped)."""
        mask = np.zeros(self.size, dtype=bool)
        mask[ids[(ids >= 0) & (ids < self.size)]] = True
        return mask

    def in_code_order(self, mask):
        """The ids set in `mask`, ordered by code."""
        return self.by_code[mask[self.by_code]]


def column_names():
    return [source.column for source in FACET_SOURCES.values() if isinstance(source, ColumnSource)]


def vocabulary(source, using):
    """Return (FacetValues, {stored value: position})."""
    if isinstance(source, ColumnSource) and source.choices:
        rows = source.choices
    else:
        manager = source.vocabulary.objects.using(using)
        rows = manager.values_list("pk", source.param_field, source.label_field)
    rows = [(stored, str(param), label) for stored, param, label in rows]
    values = FacetValues(
        params=tuple(param for _, param, _ in rows), labels=tuple(label for _, _, label in rows)
    )
    return values, {stored: position for position, (stored, _, _) in enumerate(rows)}


# One snapshot per database per process, shared by its threads.
_snapshots = {}
_build_lock = threading.Lock()


def catalogue_version(using="default"):
    """Read the catalogue version (None before anything has been counted)."""
    row = CatalogueVersion.objects.using(using).filter(pk=1).values_list("number").first()
    return row[0] if row else None


def current_index(using="default"):
    """Return an index of the database as it is now, building one if it has changed."""
    version = catalogue_version(using)
    snapshot = _snapshots.get(using)
    if snapshot is not None and version is not None and snapshot.version == version:
        return snapshot
    with _build_lock:
        snapshot = _snapshots.get(using)
        if snapshot is None or version is None or snapshot.version != version:
            # Labelled with the version read before the build: if a change lands during
            # the build, the next request sees a newer version and builds again.
            snapshot = CatalogueIndex(version, using)
            if version is not None:
                _snapshots[using] = snapshot
        return snapshot


def forget_indexes():
    """Drop every snapshot (tests do, as each test's rolled-back changes would otherwise
    leave a snapshot whose version number a later test can reach again)."""
    _snapshots.clear()
