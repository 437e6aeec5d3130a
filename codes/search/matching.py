"""Search through the ORM: which codes match what a coder typed, ranked, as a queryset.

The admin's search box uses it (`search_codes`): the changelist needs a queryset it can
filter, order and page. The search page and the typeahead use `engine.find`, which reads
the same full-text tables and ranks by the same rule at any catalogue size; the tests hold
the two to the same codes in the same order.

1. Code lookups (an exact code, a prefix, a range, a list) are indexed range queries on
   the unique index of `code` (`>=`/`<=`, which SQLite and PostgreSQL both index; a
   `startswith` would not be indexed on SQLite).
2. Words go to the full-text index (`schema.py`). Relevance is the sum of the weights of
   the field groups (`fulltext.FIELD_GROUPS`: code and title 8, nerve names and lay terms
   4, specialty/modifier/section names 2, body text 1) that alone hold the whole query,
   read from each group's own table, then code order.
3. When every word together finds nothing, any word may match.
"""

from django.db import connections
from django.db.models import Case, IntegerField, Value, When
from django.db.models.expressions import RawSQL

from codes.models import SearchEntry
from codes.search.fulltext import FIELD_GROUPS, WordQuery
from codes.search.query import ParsedQuery, QueryKind, parse_query


class SearchResults:
    """The outcome of a search: a queryset and what the page should tell the user."""

    def __init__(self, parsed, queryset, word_query=None, relaxed=False):
        self.parsed = parsed
        self.queryset = queryset  # ranked and ordered
        self.word_query = word_query
        self.relaxed = relaxed


def word_query_for(parsed, any_word=False, prefix=False):
    return WordQuery(words=parsed.words, phrases=parsed.phrases, any_word=any_word, prefix=prefix)


def entries_matching(word_query, using="default"):
    """The full-text documents that hold `word_query`."""
    return SearchEntry.objects.using(using).filter(document__matches=word_query)


def code_lookup(queryset, parsed):
    """Filter by code with range conditions the unique index on `code` serves."""
    if parsed.kind == QueryKind.CODE:
        return queryset.filter(code=parsed.codes[0])
    if parsed.kind == QueryKind.PREFIX:
        low, high = parsed.prefix_bounds
        return queryset.filter(code__gte=low, code__lte=high)
    if parsed.kind == QueryKind.RANGE:
        low, high = parsed.codes
        return queryset.filter(code__gte=low, code__lte=high)
    return queryset.filter(code__in=parsed.codes)


def matching_codes(queryset, parsed, word_query=None):
    """Return the codes that match, unranked and unordered (for counts and facets).

    Words are matched in a subquery (`id IN (SELECT rowid ... MATCH ...)`), which the
    full-text index answers once; a join would let SQLite's planner probe the index once
    per code instead.
    """
    if parsed.kind == QueryKind.EMPTY:
        return queryset
    if parsed.is_code_lookup:
        return code_lookup(queryset, parsed)
    if not word_query:
        return queryset.none()
    return queryset.filter(pk__in=entries_matching(word_query).values("code_id"))


def relevance(word_query, vendor):
    """The weight of every field group that alone holds the whole query, summed; each
    group read from its own table, as `engine.find` reads it."""
    total = Value(0)
    for group in FIELD_GROUPS:
        in_group = RawSQL(*group.ids_sql(word_query, vendor))
        total += Case(When(pk__in=in_group, then=Value(group.weight)), default=Value(0))
    return total


def ranked(queryset, parsed, word_query):
    """Return the matches annotated with `relevance` (higher is better)."""
    matching = matching_codes(queryset, parsed, word_query)
    if parsed.is_code_lookup or parsed.kind == QueryKind.EMPTY or not word_query:
        return matching.annotate(relevance=Value(0, output_field=IntegerField()))
    vendor = connections[queryset.db].vendor
    return matching.annotate(relevance=relevance(word_query, vendor))


def search_codes(queryset, text, relax=True, complete_last_word=False):
    """Search `queryset` for `text` (a string or a ParsedQuery).

    Return a SearchResults whose queryset is annotated with `relevance` (higher is
    better) and ordered by it, then by code. With `relax`, words that find nothing
    together are tried as alternatives; with `complete_last_word` (typeahead), the last
    word also matches longer words it starts.
    """
    parsed = text if isinstance(text, ParsedQuery) else parse_query(text)
    if parsed.is_code_lookup or parsed.kind == QueryKind.EMPTY:
        results = ranked(queryset, parsed, None).order_by("code")
        return SearchResults(parsed, results)

    word_query = word_query_for(parsed, prefix=complete_last_word)
    relaxed = False
    if (
        relax
        and word_query.has_several_terms
        and not matching_codes(queryset, parsed, word_query).exists()
    ):
        word_query = word_query_for(parsed, any_word=True, prefix=complete_last_word)
        relaxed = True
    results = ranked(queryset, parsed, word_query).order_by("-relevance", "code")
    return SearchResults(parsed, results, word_query, relaxed=relaxed)
