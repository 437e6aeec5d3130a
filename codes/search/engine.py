"""The search page's engine: matches, relevance, facets and order, at any catalogue size.

The databases do what they index well: the full-text index finds the codes that hold the
words (once for the whole query and once inside each field group, for relevance), and the
unique index on `code` finds code ranges. Each answer comes back as one string of ids,
which numpy reads in one step. Everything per match after that (visibility, facet
filters, facet counts, relevance, order) is array arithmetic over the in-memory
`CatalogueIndex`, so no query's cost grows with a second or third pass over the matches.

The ranking is the one `matching.search_codes` gives the admin's ORM queryset (the tests
hold the two to the same order): the weights of the field groups that alone hold the whole
query, then code order.
"""

from dataclasses import dataclass, field

import numpy as np
from django.db import connections

from codes.models import CodeProcedure
from codes.search.facet_index import current_index, id_array, numbers
from codes.search.fulltext import FIELD_GROUPS
from codes.search.matching import code_lookup, entries_matching, word_query_for
from codes.search.query import QueryKind, SortOrder

# A match in the title (8) or in the nerves and lay words (4) is about the code; below that,
# the words were only mentioned.
WEAK_MATCH_BELOW = next(group.weight for group in FIELD_GROUPS if group.name == "terms")


@dataclass
class Found:
    """What a search found, after facets, in the order to show it."""

    code_ids: np.ndarray  # in display order
    counts: dict = field(default_factory=dict)  # facet name -> count per value position
    index: object = None  # the CatalogueIndex the counts refer to
    word_query: object = None
    relaxed: bool = False
    best_relevance: int = 0  # of the first match; 0 in code order or for code look-ups

    @property
    def only_mentions(self):
        """Whether the words were found only in the codes' long text or their tag names,
        never in a title, a nerve or a code's own lay words: a weak match, not an answer."""
        return bool(self.word_query) and 0 < self.best_relevance < WEAK_MATCH_BELOW

    def __len__(self):
        return len(self.code_ids)


def ids_within(word_query, group, using):
    """The ids of the codes whose `group` part alone holds the whole query, read from the
    part's own table as one string."""
    connection = connections[using]
    sql, params = group.ids_sql(word_query, connection.vendor)
    joined = (
        "string_agg(rowid::text, ',')"
        if connection.vendor == "postgresql"
        else ("group_concat(rowid)")
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {joined} FROM ({sql}) AS matched", params)
        (text,) = cursor.fetchone()
    return numbers(text)


def word_matches(index, word_query, using, ranked=True):
    """Return (matches mask, relevance per code id or None) for a word query.

    A code's relevance is the sum of the weights of the field groups that alone hold the
    whole query. A single word or phrase, or any-word query, matches exactly where some
    group matches; several words that must all appear may be spread over groups, so they
    need one more query for the document as a whole. Unranked (code order), the whole
    document is the only query.
    """
    relevance = np.zeros(index.size, dtype=np.int8)
    matched = np.zeros(index.size, dtype=bool)
    if not word_query:  # punctuation only: nothing to look for
        return matched, relevance
    if not ranked:
        return index.mask_of(id_array(entries_matching(word_query, using), "code_id")), None
    for group in FIELD_GROUPS:
        group_ids = ids_within(word_query, group, using)
        group_mask = index.mask_of(group_ids)
        relevance[group_mask] += group.weight
        matched |= group_mask
    if word_query.has_several_terms and not word_query.any_word:
        matched = index.mask_of(id_array(entries_matching(word_query, using), "code_id"))
    return matched, relevance


def find(
    parsed,
    *,
    sees_drafts,
    selected=None,
    sort=SortOrder.RELEVANCE,
    relax=True,
    complete_last_word=False,
    count_facets=True,
    using="default",
):
    """Search for a ParsedQuery, filter by the selected facet values and count the facets.

    `selected` maps a facet name to the query-string values chosen for it: values within
    a facet widen, facets narrow each other, and each facet is counted over the matches
    filtered by every other facet (unless `count_facets` is off: the typeahead shows none).
    """
    index = current_index(using)
    visible = index.visible(sees_drafts)
    word_query, relaxed, relevance = None, False, None
    if parsed.kind == QueryKind.EMPTY:
        matched = visible
    elif parsed.is_code_lookup:
        codes = code_lookup(CodeProcedure.objects.using(using), parsed)
        matched = index.mask_of(id_array(codes, "pk")) & visible
    else:
        ranked = sort == SortOrder.RELEVANCE
        word_query = word_query_for(parsed, prefix=complete_last_word)
        matched, relevance = word_matches(index, word_query, using, ranked)
        matched &= visible
        if relax and word_query.has_several_terms and not matched.any():
            word_query = word_query_for(parsed, any_word=True, prefix=complete_last_word)
            relaxed = True
            matched, relevance = word_matches(index, word_query, using, ranked)
            matched &= visible

    chosen = {
        name: index.facets[name].having(values)
        for name, values in (selected or {}).items()
        if values
    }
    counts = {}
    if count_facets:
        for name, facet in index.facets.items():
            counts[name] = facet.counts(narrowed(matched, chosen, leave_out=name))
    ids = index.in_code_order(narrowed(matched, chosen))
    if relevance is not None:
        # A stable sort keeps code order among codes of equal relevance.
        ids = ids[np.argsort(-relevance[ids], kind="stable")]
    best = int(relevance[ids[0]]) if relevance is not None and len(ids) else 0
    return Found(ids, counts, index, word_query, relaxed, best)


def narrowed(matched, chosen, leave_out=None):
    scope = matched
    for name, mask in chosen.items():
        if name != leave_out:
            scope = scope & mask
    return scope
