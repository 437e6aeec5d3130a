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
from django.db import connections
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce

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

    def stored_position(self):
        """An SQL expression for the column as a whole number: the position of its value
        among the choices, or the vocabulary row's id; -1 for none."""
        if self.vocabulary:
            return Coalesce(F(self.column), Value(-1))
        return Case(
            *(
                When(**{self.column: stored}, then=Value(position))
                for position, (stored, _, _) in enumerate(self.choices)
            ),
            default=Value(-1),
        )


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


class Facet:
    """One facet's values and which codes have each: `positions` holds a value position per
    code (column facets) or per link row (link facets, with `code_ids` beside it)."""

    def __init__(self, values, size):
        self.values = values
        self.size = size
        self._masks = {}  # value position -> codes having it, kept once computed

    def having(self, params):
        """A boolean array of the codes having any of the given values."""
        mask = np.zeros(self.size, dtype=bool)
        for position in self.values.positions(params):
            if position not in self._masks:
                self._masks[position] = self.codes_having(position)
            mask |= self._masks[position]
        return mask


class LinkFacet(Facet):
    def __init__(self, values, size, code_ids, positions):
        super().__init__(values, size)
        self.code_ids = code_ids  # one entry per link row
        self.positions = positions  # the linked value of each row

    def counts(self, scope):
        return np.bincount(self.positions[scope[self.code_ids]], minlength=len(self.values.params))

    def codes_having(self, position):
        mask = np.zeros(self.size, dtype=bool)
        mask[self.code_ids[self.positions == position]] = True
        return mask


class ColumnFacet(Facet):
    def __init__(self, values, size, positions):
        super().__init__(values, size)
        self.positions = positions  # one entry per code id

    def counts(self, scope):
        chosen = self.positions[scope]
        return np.bincount(chosen[chosen >= 0], minlength=len(self.values.params))

    def codes_having(self, position):
        return self.positions == position


class CatalogueIndex:
    """Arrays indexed by code id: which codes exist, which are published, the ids in code
    order, and each facet's values. As long as the largest code id (the database numbers
    codes from 1); about 10 MB at 100,000 codes."""

    def __init__(self, version, using="default"):
        self.version = version
        columns = {"code_id": F("pk"), "is_published": is_published()}
        for name, source in FACET_SOURCES.items():
            if isinstance(source, ColumnSource):
                columns[name] = source.stored_position()
        codes = fetch_arrays(CodeProcedure.objects.using(using), order_by="code", **columns)
        ids = codes["code_id"]
        self.size = int(ids.max()) + 1 if len(ids) else 1
        self.by_code = ids  # code ids in code order
        self.exists = self.mask_of(ids)
        self.published = self.mask_of(ids[codes["is_published"] == 1])
        self.facets = {}
        for name, source in FACET_SOURCES.items():
            values, position_of = vocabulary(source, using)
            if isinstance(source, LinkSource):
                links = fetch_arrays(
                    source.links.objects.using(using),
                    code_id=F(source.code_column),
                    target_id=F(source.target_column),
                )
                positions = positions_of(links["target_id"], position_of)
                kept = (positions >= 0) & (links["code_id"] < self.size)
                self.facets[name] = LinkFacet(
                    values, self.size, links["code_id"][kept], positions[kept]
                )
            else:
                stored = codes[name]
                if source.vocabulary:  # the column holds a vocabulary row's id
                    stored = positions_of(stored, position_of)
                positions = np.full(self.size, -1, dtype=np.int32)
                positions[ids] = stored
                self.facets[name] = ColumnFacet(values, self.size, positions)

    def visible(self, sees_drafts):
        return self.exists if sees_drafts else self.published

    @property
    def nbytes(self):
        """The arrays' size, with the per-value masks kept so far (at most one per value of
        every facet)."""
        arrays = [self.exists, self.published, self.by_code]
        for facet in self.facets.values():
            arrays += [facet.positions, getattr(facet, "code_ids", facet.positions[:0])]
            arrays += list(facet._masks.values())
        return sum(array.nbytes for array in arrays)

    def mask_of(self, ids):
        """A boolean array with the given code ids set (ids unknown to the index dropped)."""
        mask = np.zeros(self.size, dtype=bool)
        mask[ids[(ids >= 0) & (ids < self.size)]] = True
        return mask

    def in_code_order(self, mask):
        """The ids set in `mask`, ordered by code."""
        return self.by_code[mask[self.by_code]]


def is_published():
    return Case(When(editorial_state=EditorialState.PUBLISHED, then=Value(1)), default=Value(0))


def positions_of(stored_ids, position_of):
    """Map vocabulary row ids to their positions (-1 for an id the vocabulary lacks)."""
    known = np.array(sorted(position_of), dtype=np.int64)
    if not len(known):
        return np.full(len(stored_ids), -1, dtype=np.int32)
    positions = np.array([position_of[stored] for stored in known.tolist()], dtype=np.int32)
    at = np.clip(np.searchsorted(known, stored_ids), 0, len(known) - 1)
    return np.where(known[at] == stored_ids, positions[at], -1).astype(np.int32)


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


def fetch_arrays(queryset, order_by=None, **columns):
    """Run `queryset` for the named column expressions; return {name: numpy int array},
    each row's values at the same position, in `order_by` order if given.

    The database joins each column into one string (group_concat, string_agg), which
    numpy reads in one step: fetching 100,000 rows as Python tuples would take ten times
    as long and hold ten times the memory. Columns must be whole numbers, never NULL.
    """
    connection = connections[queryset.db]
    quote = connection.ops.quote_name
    # Prefixed, so no name clashes with a model field.
    selected = {f"array_{name}": expression for name, expression in columns.items()}
    if order_by:
        selected["array_order"] = F(order_by)
        queryset = queryset.order_by(order_by)
    sql, params = queryset.values(**selected).query.sql_with_params()
    names = [quote(f"array_{name}") for name in columns]
    if connection.vendor == "postgresql":
        # Each aggregate orders its own input, so every column lines up.
        order = f" ORDER BY found.{quote('array_order')}" if order_by else ""
        joined = [f"string_agg(found.{name}::text, ','{order})" for name in names]
    else:
        # SQLite aggregates the rows in the subquery's order, the same for every column.
        joined = [f"group_concat(found.{name})" for name in names]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(joined)} FROM ({sql}) AS found", params)
        row = cursor.fetchone()
    return {name: numbers(text) for name, text in zip(columns, row, strict=True)}


def numbers(text):
    """Read "12,7,40" as an array of whole numbers (None or "" as none). 64-bit: ids may
    pass 2**31 on PostgreSQL."""
    return np.fromstring(text, dtype=np.int64, sep=",") if text else np.zeros(0, np.int64)


def id_array(queryset, column):
    """The ids in one column of `queryset`, as a numpy array."""
    return fetch_arrays(queryset, found_id=F(column))["found_id"]


# One snapshot per database per process, shared by its threads.
_snapshots = {}
_build_lock = threading.Lock()


def catalogue_version(using="default"):
    """Read the catalogue version (None before anything has been counted)."""
    row = CatalogueVersion.objects.using(using).filter(pk=1).values_list("number").first()
    return row[0] if row else None


def start_catalogue_version(using="default"):
    """Create the version row when something emptied its table (a flush), so the index
    can be kept again; the same statement the triggers run."""
    from codes.search.schema import BUMP_VERSION

    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(BUMP_VERSION[connection.vendor])
    return catalogue_version(using)


def current_index(using="default"):
    """Return an index of the database as it is now, building one if it has changed."""
    version = catalogue_version(using)
    snapshot = _snapshots.get(using)
    if snapshot is not None and snapshot.version == version is not None:
        return snapshot
    with _build_lock:
        # Read again: another thread may have built a newer index while this one waited.
        version = catalogue_version(using)
        if version is None:
            version = start_catalogue_version(using)
        snapshot = _snapshots.get(using)
        if snapshot is None or snapshot.version != version:
            # Labelled with the version read before the build: if a change lands during
            # the build, the next request sees a newer version and builds again.
            snapshot = CatalogueIndex(version, using)
            _snapshots[using] = snapshot
        return snapshot


def forget_indexes():
    """Drop every snapshot (tests do, as each test's rolled-back changes would otherwise
    leave a snapshot whose version number a later test can reach again)."""
    _snapshots.clear()
