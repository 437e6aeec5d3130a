"""codes/search/matching.py: codes, ranges and words matched and ranked, on SQLite (FTS5)
and PostgreSQL (tsvector) alike."""

import pytest
from django.db import connection

from codes.models import CodeProcedure
from codes.search.matching import search_codes
from tests.search.helpers import found

pytestmark = pytest.mark.django_db


def test_prefix_lists_codes_in_code_order():
    assert found("6486") == ["64861", "64862", "64864", "64865", "64866", "64868"]


def test_range_lists_the_codes_in_it():
    assert found("64864-64868") == ["64864", "64865", "64866", "64868"]
    assert found("64864 to 64868") == ["64864", "64865", "64866", "64868"]


def test_code_lookups_use_the_index():
    # The plan for a prefix must use the unique index on code, not scan the table.
    queryset = search_codes(CodeProcedure.objects.all(), "6486").queryset
    plan = queryset.explain()
    if connection.vendor == "sqlite":
        assert "SEARCH codes_codeprocedure USING INDEX" in plan and "code>?" in plan
    else:
        # With 38 rows PostgreSQL may rightly prefer a scan; forbid that to see the index.
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")
            plan = queryset.explain()
            cursor.execute("SET enable_seqscan = on")
        assert "Index" in plan


@pytest.mark.parametrize(
    ("text", "expected_first", "expected_all"),
    [
        ("tongue nerve", "64868", {"64868"}),
        ("CN XII", "64868", {"64868"}),
        ("cranial nerve 12", "64868", {"64868"}),
        ("accessory nerve", "64866", {"64866"}),
        ("spinal accessory", "64866", {"64866"}),
        ("hypoglossal", "64868", {"64868"}),
        ("nerve transfer", None, {"64866", "64868"}),
        ("facial reanimation", None, {"64864", "64866", "64868"}),
        ("cable graft", None, {"64895", "64896", "64897", "64898"}),
        ("nerve tube", "64910", {"64910"}),
    ],
)
def test_lay_terms_find_the_right_codes(text, expected_first, expected_all):
    codes = found(text)
    assert expected_all <= set(codes), codes
    if expected_first:
        assert codes[0] == expected_first, codes


def test_stemming_finds_other_forms_of_a_word():
    assert "64864" in found("sutures")
    assert "64864" in found("suturing")


def test_title_words_rank_above_body_words():
    codes = found("hypoglossal")
    assert codes[0] == "64868"


def test_quoted_phrase_must_appear_together():
    assert set(found('"spinal accessory"')) >= {"64866"}


def test_both_databases_drop_the_same_stop_words():
    # PostgreSQL's English configuration drops "other" and "under"; SQLite indexes them.
    assert found("other nerve under") == found("nerve")


def test_what_coders_type_for_a_facial_graft_finds_the_graft_codes_first():
    assert {"64885", "64886"} <= set(found("facial nerve graft")[:3])
