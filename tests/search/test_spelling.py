"""codes/search/spelling.py: "Did you mean"."""

import pytest

from codes.search.query import parse_query
from codes.search.spelling import suggest_spelling
from tests.search.helpers import page

pytestmark = pytest.mark.django_db


def test_misspelling_suggests_the_indexed_word(client):
    assert suggest_spelling(parse_query("hypoglosal")) == "hypoglossal"
    response, html = page(client, q="hypoglosal")
    assert response.status_code == 200
    assert "Did you mean" in html and "q=hypoglossal" in html
    assert "/codes/" in html  # a way back to browsing


def test_no_suggestion_when_words_are_known():
    assert suggest_spelling(parse_query("hypoglossal nerve")) == ""
