"""Diagnosis search: the ICD-10-CM codes of the current release that a search box's text
names, by code ("G51.0", "g510", "S04.51XA"), by prefix ("S04.5": the code and everything
under it) or by words ("Bell's palsy") in their titles and inclusion terms.

Words go through the diagnosis word index of migration 0020: FTS5 on SQLite, a GIN index
over the titles' stored tsvector on PostgreSQL (migration 0024). A common word
("encounter") is in tens of thousands of titles; ranking them all would cost more than the
page's budget, so past `RANKED_AT_MOST` matches they come in the tabular list's order
instead (still every one counted). The page and the typeahead both call `find_diagnoses`.
"""

from dataclasses import dataclass, field

from django.db import connections
from django.db.models import Exists, OuterRef, Subquery

from codes.icd10 import normalise
from codes.models import Diagnosis, Release, ReleaseKind, SupportingDiagnosis
from codes.search.fulltext import WordQuery
from codes.search.query import QueryKind, parse_query

SHOWN = 20
RANKED_AT_MOST = 2000


@dataclass
class DiagnosisResults:
    """The diagnoses a search found, in the order to show them."""

    total: int = 0
    rows: list = field(default_factory=list)
    by_code: bool = False  # a code or prefix look-up, not words
    exact: Diagnosis | None = None

    def __bool__(self):
        return self.total > 0

    def __len__(self):
        return self.total


def current_release_span(using):
    """(release id, lowest row id, highest row id) of the current release, or None. A
    release's rows are written by one loader run, so their ids are one run of numbers and
    bound the word index's rowids (FTS5 then reads only that release's postings). One
    query: the release, and its first and last row by the index on release_id."""
    rows = Diagnosis.objects.using(using).filter(release=OuterRef("pk"))
    release = (
        Release.objects.using(using)
        .in_effect(ReleaseKind.ICD10CM)
        .annotate(
            low=Subquery(rows.order_by("id").values("id")[:1]),
            high=Subquery(rows.order_by("-id").values("id")[:1]),
        )
        .values_list("pk", "low", "high")
        .first()
    )
    return None if release is None or release[1] is None else release


def find_diagnoses(text, shown=SHOWN, complete_last_word=False, using="default"):
    """Find the diagnoses `text` names; at most `shown` of them loaded."""
    code = normalise(text)
    parsed = None
    if code is None:
        parsed = parse_query(text)
        if parsed.kind != QueryKind.WORDS or not (parsed.words or parsed.phrases):
            return DiagnosisResults()
    span = current_release_span(using)
    if span is None:
        return DiagnosisResults()
    release_id, low, high = span
    if code is not None:
        # A range on the (release, code) index: SQLite's LIKE, which startswith would
        # use, reads every row. Codes hold only digits and capitals, below "Z" + 1.
        matching = Diagnosis.objects.using(using).filter(
            release_id=release_id, code__gte=code, code__lte=code + "ZZZZ"
        )
        rows = list(matching.order_by("code")[:shown])
        total = len(rows) if len(rows) < shown else matching.count()
        exact = rows[0] if rows and rows[0].code == code else None
        return DiagnosisResults(total, rows, by_code=True, exact=exact)

    word_query = WordQuery(parsed.words, parsed.phrases, prefix=complete_last_word)
    total, ids = matching_ids(word_query, release_id, low, high, shown, using)
    by_id = Diagnosis.objects.using(using).in_bulk(ids)
    return DiagnosisResults(total, [by_id[pk] for pk in ids if pk in by_id])


def matching_ids(word_query, release_id, low, high, shown, using):
    """(how many rows of the release hold the words, the ids of the first `shown`)."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        return postgresql_matching_ids(connection, word_query, release_id, shown)
    where = (
        "FROM codes_diagnosis_fts WHERE codes_diagnosis_fts MATCH %s AND rowid BETWEEN %s AND %s"
    )
    params = [word_query.fts5(), low, high]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) {where}", params)
        (total,) = cursor.fetchone()
        if total == 0:
            return 0, []
        if total <= RANKED_AT_MOST:
            cursor.execute(f"SELECT rowid {where} ORDER BY rank, rowid LIMIT %s", [*params, shown])
        else:
            cursor.execute(f"SELECT rowid {where} ORDER BY rowid LIMIT %s", [*params, shown])
        return total, [row[0] for row in cursor.fetchall()]


def postgresql_matching_ids(connection, word_query, release_id, shown):
    """`matching_ids` in one pass over the matches: counted as they are ordered, ranked by
    the stored vector (migration 0024) unless there are more than RANKED_AT_MOST."""
    query_sql, query_params = word_query.postgresql()
    # `release_id + 0`: the word index must drive. A release holds nearly every row, so its
    # index never narrows a word search, but statistics taken while a release was being
    # replaced can call it rare, and the planner then parsed every title of the release
    # (1.7 s a search, against milliseconds through the word index). Materialised: the
    # matches come from the word index, then are sorted; left to itself the planner walks
    # the code index instead, most of the table for a common word ("fracture").
    # The vector is read again only to rank (by primary key, a few thousand rows at most):
    # carried through the count for every match, it cost a common word more than the rank.
    sql = f"""
        WITH matched AS MATERIALIZED (
            SELECT id, code, count(*) OVER () AS total
            FROM codes_diagnosis
            WHERE release_id + 0 = %s AND search_words @@ {query_sql}
        )
        SELECT m.id, m.total FROM matched m
        ORDER BY CASE WHEN m.total <= %s THEN (
                SELECT ts_rank(d.search_words, {query_sql}) FROM codes_diagnosis d
                WHERE d.id = m.id
            ) END DESC NULLS LAST, m.code
        LIMIT %s"""
    # At least one row, which carries the count.
    params = [release_id, *query_params, RANKED_AT_MOST, *query_params, max(shown, 1)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return (rows[0][1] if rows else 0), [row[0] for row in rows][:shown]


def linked_procedures(diagnoses, visible_codes):
    """{diagnosis code: [the procedures it supports that the reader may see]} in one
    query."""
    links = (
        SupportingDiagnosis.objects.filter(diagnosis_code__in=[row.code for row in diagnoses])
        # Per link, by the code's primary key: `code__in=visible_codes` would have the
        # database read the whole catalogue's visible codes first.
        .filter(Exists(visible_codes.filter(pk=OuterRef("code_id"))))
        .select_related("code")
        .order_by("code__code")
    )
    found = {}
    for link in links:
        found.setdefault(link.diagnosis_code, []).append(link.code)
    return found
