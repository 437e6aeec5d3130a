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


@pytest.fixture
def draft_with_made_up_word(draft_code):
    draft_code.title = "Zylophrenic nerve graft"
    draft_code.save()
    return draft_code


def test_a_drafts_words_are_never_suggested_to_the_public(client, draft_with_made_up_word):
    assert suggest_spelling(parse_query("zylofrenic")) == ""
    response, html = page(client, q="zylofrenic")
    assert response.status_code == 200
    assert "zylophrenic" not in html.lower()


def test_editors_are_suggested_drafts_words(draft_with_made_up_word, editor_client):
    assert suggest_spelling(parse_query("zylofrenic"), sees_drafts=True) == "zylophrenic"
    _response, html = page(editor_client, q="zylofrenic")
    assert "q=zylophrenic" in html


def test_a_word_reaches_the_public_vocabulary_when_its_code_is_published_and_leaves_after(
    draft_with_made_up_word,
):
    from codes.models import EditorialState

    draft_with_made_up_word.editorial_state = EditorialState.PUBLISHED
    draft_with_made_up_word.save()
    assert suggest_spelling(parse_query("zylofrenic")) == "zylophrenic"
    draft_with_made_up_word.editorial_state = EditorialState.DRAFT
    draft_with_made_up_word.save()
    assert suggest_spelling(parse_query("zylofrenic")) == ""


def test_a_published_codes_old_word_leaves_the_public_vocabulary_when_it_is_retitled(
    draft_with_made_up_word,
):
    """The public vocabulary is kept word by word (schema.py's refresh): a word the code
    no longer holds goes, a new one comes, the others stay."""
    from codes.models import EditorialState

    draft_with_made_up_word.editorial_state = EditorialState.PUBLISHED
    draft_with_made_up_word.save()
    draft_with_made_up_word.title = "Quaggaphonic nerve graft"
    draft_with_made_up_word.save()
    assert suggest_spelling(parse_query("zylofrenic")) == ""
    assert suggest_spelling(parse_query("quagaphonic")) == "quaggaphonic"
