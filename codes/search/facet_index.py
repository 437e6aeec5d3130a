"""Every code's facet values, held in memory as arrays, for counting and filtering facets.

Why not grouped SQL queries over the matches: at 100,000 codes a word such as "nerve"
matches 63,000 of them, and each grouped count has to look up every match's row or links
again (20-35 ms per facet on SQLite, measured in docs/benchmarks.md). Here the matches
are one boolean array, and every facet's counts, each over the matches filtered by every
other facet, come from one `numpy.bincount` per facet: under a millisecond at any size.

The index is a snapshot of the database, rebuilt in each process when the catalogue
generation (`generation.py`, moved by database triggers on every change to codes, their
links or vocabularies) is no longer the one it was built from. One query per request
reads it.
"""

import threading
from dataclasses import dataclass

import numpy as np
from django.db import connections
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce

from codes.models import CodeProcedure, EditorialState
from codes.search.facets import FACETS, ColumnChoices, ColumnVocabulary
from codes.search.generation import current_generation


@dataclass(frozen=True)
class FacetValues:
    """One facet's possible values, by position; arrays hold positions."""

    params: tuple
    labels: tuple

    def positions(self, params):
        wanted = set(params)
        return [position for position, param in enumerate(self.params) if param in wanted]


class IndexedFacet:
    """Which codes have each value of one facet: one (code id, value position) pair per
    link (many per code for a linked vocabulary, one per code for a column)."""

    def __init__(self, values, size, code_ids, positions):
        self.values = values
        self.size = size
        self.code_ids = code_ids
        self.positions = positions
        self._masks = {}  # value position -> codes having it, kept once computed

    def counts(self, scope):
        """How many codes in `scope` (a boolean array) have each value."""
        return np.bincount(self.positions[scope[self.code_ids]], minlength=len(self.values.params))

    def having(self, params):
        """A boolean array of the codes having any of the given values."""
        mask = np.zeros(self.size, dtype=bool)
        for position in self.values.positions(params):
            if position not in self._masks:
                having = np.zeros(self.size, dtype=bool)
                having[self.code_ids[self.positions == position]] = True
                self._masks[position] = having
            mask |= self._masks[position]
        return mask


def column_position(source):
    """An SQL expression for a code's own column as a whole number: the vocabulary row's
    id, or the position of its value among the choices; -1 for none."""
    if isinstance(source, ColumnVocabulary):
        return Coalesce(F(source.link().target_column), Value(-1))
    return Case(
        *(
            When(**{source.column: stored}, then=Value(position))
            for position, (stored, _, _) in enumerate(source.choices)
        ),
        default=Value(-1),
    )


def is_column(source):
    return isinstance(source, ColumnVocabulary | ColumnChoices)


class CatalogueIndex:
    """Arrays indexed by code id: which codes exist, which are published, the ids in code
    order, and each facet's values. As long as the largest code id (the database numbers
    codes from 1); about 10 MB at 100,000 codes.

    Built in a fixed number of queries: the codes with every column facet (1), then each
    linked facet's links (1 each) and each facet's vocabulary that is a table (1 each).
    """

    def __init__(self, generation, using="default"):
        self.generation = generation
        columns = {"code_id": F("pk"), "is_published": is_published()}
        for facet in FACETS:
            if is_column(facet.source):
                columns[facet.param] = column_position(facet.source)
        codes = fetch_arrays(CodeProcedure.objects.using(using), order_by="code", **columns)
        code_ids = codes["code_id"]
        self.size = int(code_ids.max()) + 1 if len(code_ids) else 1
        self.by_code = code_ids  # code ids in code order
        self.exists = self.mask_of(code_ids)
        self.published = self.mask_of(code_ids[codes["is_published"] == 1])
        self.facets = {}
        for facet in FACETS:
            values, position_of = vocabulary(facet.source, using)
            if isinstance(facet.source, ColumnChoices):
                pair_ids, positions = code_ids, codes[facet.param]
            else:
                if is_column(facet.source):
                    pair_ids, stored = code_ids, codes[facet.param]
                else:
                    pairs = fetch_arrays(
                        facet.source.pairs(using),
                        code_id=F("pair_code_id"),
                        stored=F("pair_stored"),
                    )
                    pair_ids, stored = pairs["code_id"], pairs["stored"]
                positions = positions_of(stored, position_of)
            kept = (positions >= 0) & (pair_ids < self.size)
            if not kept.all():  # else keep the arrays as they are: a column facet shares
                pair_ids, positions = pair_ids[kept], positions[kept]  # the codes' ids
            self.facets[facet.param] = IndexedFacet(
                values, self.size, pair_ids, positions.astype(np.int32, copy=False)
            )

    def visible(self, sees_drafts):
        return self.exists if sees_drafts else self.published

    @property
    def nbytes(self):
        """The arrays' size, with the per-value masks kept so far (at most one per value of
        every facet)."""
        arrays = [self.exists, self.published, self.by_code]
        for facet in self.facets.values():
            arrays += [facet.code_ids, facet.positions, *facet._masks.values()]
        # Column facets share the codes' id array: count each array once.
        return sum({id(array): array.nbytes for array in arrays}.values())

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
    rows = [(stored, str(param), label) for stored, param, label in source.vocabulary(using)]
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


def current_index(using="default"):
    """Return an index of the database as it is now, building one if it has changed."""
    generation = current_generation(using)
    snapshot = _snapshots.get(using)
    if snapshot is not None and snapshot.generation == generation is not None:
        return snapshot
    with _build_lock:
        # Read again: another thread may have built a newer index while this one waited.
        generation = current_generation(using, start=True)
        snapshot = _snapshots.get(using)
        if snapshot is None or snapshot.generation != generation:
            # Labelled with the generation read before the build: if a change lands
            # during the build, the next request sees a newer one and builds again.
            snapshot = CatalogueIndex(generation, using)
            _snapshots[using] = snapshot
        return snapshot


def forget_indexes():
    """Drop every snapshot (tests do, as each test's rolled-back changes would otherwise
    leave a snapshot whose generation a later test can reach again)."""
    _snapshots.clear()
