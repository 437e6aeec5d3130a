"""Search: one entry point, `search_codes(queryset, text)`, on SQLite and PostgreSQL.

1. Code lookups (an exact code, a prefix, a range, a list) are indexed range queries on
   the unique index of `code` (`>=`/`<=`, which SQLite and PostgreSQL both index; a
   `startswith` would not be indexed on SQLite).
2. Words go to the full-text index (`schema.py`). Relevance is the sum of the weights of
   the field groups (`fulltext.FIELD_GROUPS`: code and title 8, nerve names and lay terms
   4, specialty/modifier/section names 2, body text 1) that alone hold the whole query,
   then code order: a code whose title holds the words comes before one whose body does.
3. When every word together finds nothing, any word may match, and the page says so.
4. When nothing matches at all, `suggest_spelling` proposes words from the index.

`search_codes` gives the ORM's view (a queryset), for the admin and small result sets;
`engine.find` gives the search page the same results at any catalogue size.
"""

import difflib
import html
import re
from dataclasses import replace

from django.db import connection
from django.db.models import Case, IntegerField, Value, When

from codes.models import SearchEntry
from codes.search.fulltext import FIELD_GROUPS, WordQuery
from codes.search.query import MAX_QUERY_LENGTH, ParsedQuery, QueryKind, parse_query

__all__ = [
    "MAX_QUERY_LENGTH",
    "ParsedQuery",
    "QueryKind",
    "SearchResults",
    "highlighted_snippets",
    "parse_query",
    "search_codes",
    "suggest_spelling",
]

SNIPPET_WORDS = 24
BODY_GROUP = next(group for group in FIELD_GROUPS if group.name == "body")
# Private-use characters mark highlights inside the database's snippet, so the snippet can
# be HTML-escaped whole before the marks become <mark> tags.
MARK_START, MARK_END = "\ue000", "\ue001"


class SearchResults:
    """The outcome of a search: a queryset and what the page should tell the user."""

    def __init__(self, parsed, queryset, matching, word_query=None, relaxed=False):
        self.parsed = parsed
        self.queryset = queryset  # ranked and ordered
        self.matching = matching  # the same codes, unranked and unordered (for counts)
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


def relevance(word_query):
    """The weight of every field group that alone holds the whole query, summed."""
    total = Value(0)
    for group in FIELD_GROUPS:
        in_group = entries_matching(word_query.inside(group))
        total += Case(
            When(pk__in=in_group.values("code_id"), then=Value(group.weight)),
            default=Value(0),
        )
    return total


def ranked(queryset, parsed, word_query):
    """Return the matches annotated with `relevance` (higher is better)."""
    matching = matching_codes(queryset, parsed, word_query)
    if parsed.is_code_lookup or parsed.kind == QueryKind.EMPTY or not word_query:
        return matching.annotate(relevance=Value(0, output_field=IntegerField()))
    return matching.annotate(relevance=relevance(word_query))


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
        return SearchResults(parsed, results, matching_codes(queryset, parsed))

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
    matching = matching_codes(queryset, parsed, word_query)
    return SearchResults(parsed, results, matching, word_query, relaxed=relaxed)


# Snippets --------------------------------------------------------------------------------

MARKDOWN_NOISE = re.compile(r"(\*\*|__|`|^#+\s|^\s*[-*]\s)", re.MULTILINE)


def highlighted_snippets(code_ids, word_query):
    """Return {code id: safe HTML snippet with the matched words in <mark>} in one query."""
    if not code_ids or not word_query:
        return {}
    placeholders = ", ".join(["%s"] * len(code_ids))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            query_sql, query_params = word_query.postgresql()
            options = (
                f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords={SNIPPET_WORDS}, "
                'MinWords=8, MaxFragments=2, FragmentDelimiter=" … "'
            )
            cursor.execute(
                f"SELECT rowid, ts_headline('english', body, {query_sql}, %s) "
                f"FROM codes_searchentry WHERE rowid IN ({placeholders})",
                [*query_params, options, *code_ids],
            )
        else:
            # From the body's own table, marking any of the words: a word the body holds
            # is shown even when the match itself was in the title. `+rowid` keeps the id
            # list out of FTS5's plan (given the list, it runs the whole match once per
            # id: 40 ms a page); one pass over the body's matches costs a millisecond or
            # two, and the range lets FTS5 skip ahead.
            body = BODY_GROUP.part_table
            cursor.execute(
                f"SELECT rowid, snippet({body}, 0, %s, %s, '…', %s) "
                f"FROM {body} WHERE {body} MATCH %s "
                f"AND rowid BETWEEN %s AND %s AND +rowid IN ({placeholders})",
                [
                    MARK_START,
                    MARK_END,
                    SNIPPET_WORDS,
                    replace(word_query, any_word=True, within=None).fts5(),
                    min(code_ids),
                    max(code_ids),
                    *code_ids,
                ],
            )
        rows = cursor.fetchall()
    return {code_id: marked_html(snippet) for code_id, snippet in rows if snippet}


def marked_html(snippet):
    """Escape a snippet whole, then turn the highlight marks into <mark> tags."""
    text = MARKDOWN_NOISE.sub("", snippet)
    text = " ".join(text.split())
    escaped = html.escape(text.replace(MARK_START, "\0s").replace(MARK_END, "\0e"))
    return escaped.replace("\0s", "<mark>").replace("\0e", "</mark>")


# Spelling suggestions --------------------------------------------------------------------


def indexed_words_like(word):
    """Return indexed words that might be what the user meant by `word`."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The vocabulary's trigram index finds the similar words.
            cursor.execute(
                "SELECT word FROM codes_searchvocabulary WHERE word %% %s "
                "ORDER BY similarity(word, %s) DESC LIMIT 20",
                [word, word],
            )
            return {found for (found,) in cursor.fetchall()}
        # The vocabulary of the unstemmed index: one row per distinct word.
        cursor.execute(
            "SELECT term FROM codes_searchwords_vocab WHERE term >= %s AND term < %s",
            [word[0], chr(ord(word[0]) + 1)],
        )
        return {term for (term,) in cursor.fetchall()}


def suggest_spelling(parsed):
    """Return a corrected query text, or "" when no word looks misspelt."""
    if parsed.kind != QueryKind.WORDS or not parsed.words:
        return ""
    corrected, changed = [], False
    for word in parsed.words:
        if len(word) < 3 or word.isdigit():
            corrected.append(word)
            continue
        candidates = indexed_words_like(word)
        if word in candidates:
            corrected.append(word)
            continue
        close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.75)
        if close:
            corrected.append(close[0])
            changed = True
        else:
            corrected.append(word)
    return " ".join(corrected) if changed else ""
