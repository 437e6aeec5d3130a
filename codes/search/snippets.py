"""Highlighted snippets of the long text for a page of results, in one query."""

import html
import re
from dataclasses import replace

from django.db import connection

from codes.search.fulltext import FIELD_GROUPS

SNIPPET_WORDS = 24
BODY_GROUP = next(group for group in FIELD_GROUPS if group.name == "body")
# Private-use characters mark highlights inside the database's snippet, so the snippet can
# be HTML-escaped whole before the marks become <mark> tags.
MARK_START, MARK_END = "\ue000", "\ue001"
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
                    replace(word_query, any_word=True).fts5(),
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
