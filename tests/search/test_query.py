"""codes/search/query.py: what a coder typed becomes a structured query."""

import pytest

from codes.search.query import MAX_QUERY_LENGTH, QueryKind, parse_query

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "kind", "codes"),
    [
        (" 64868 ", QueryKind.CODE, ("64868",)),
        ("0001f", QueryKind.CODE, ("0001F",)),
        ("6486", QueryKind.PREFIX, ("6486",)),
        ("64864-64868", QueryKind.RANGE, ("64864", "64868")),
        ("64864 to 64868", QueryKind.RANGE, ("64864", "64868")),
        ("64868 – 64864", QueryKind.RANGE, ("64864", "64868")),
        ("64866, 64868", QueryKind.LIST, ("64866", "64868")),
        ("64866 64868 64866", QueryKind.LIST, ("64866", "64868")),
        ("tongue nerve", QueryKind.WORDS, ()),
        ("", QueryKind.EMPTY, ()),
        ("\x00\x00", QueryKind.EMPTY, ()),
    ],
)
def test_query_kinds(text, kind, codes):
    parsed = parse_query(text)
    assert parsed.kind == kind
    assert parsed.codes == codes


def test_long_query_is_cut_with_a_note():
    parsed = parse_query("nerve " * 2000)
    assert len(parsed.text) <= MAX_QUERY_LENGTH
    assert parsed.truncated and parsed.notes


@pytest.mark.parametrize(
    ("text", "modifier"),
    [
        ("CPT 64868", ""),
        ("cpt64868", ""),
        ("CPT: 64868", ""),
        ("64868-50", "50"),
        ("64868 RT", "RT"),
        ("64868-rt", "RT"),
        ("cpt 64868 - 80", "80"),
    ],
)
def test_a_coders_habits_around_a_code_still_find_the_code(text, modifier):
    parsed = parse_query(text)
    assert parsed.kind == QueryKind.CODE
    assert parsed.codes == ("64868",)
    assert parsed.modifier == modifier


def test_cpt_before_a_range_and_words_alone_keep_their_meaning():
    assert parse_query("CPT 64864-64868").codes == ("64864", "64868")
    assert parse_query("cpt codes for nerve").kind == QueryKind.WORDS
