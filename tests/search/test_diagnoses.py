"""Search across procedures and ICD-10-CM diagnoses (codes/search/diagnoses.py), on the
real release; runs on SQLite (FTS5) and on PostgreSQL (tsvector, GIN) alike."""

import pytest

from codes.models import CodeProcedure, DiagnosisGroup, SupportingDiagnosis
from codes.search.diagnoses import RANKED_AT_MOST, find_diagnoses

pytestmark = pytest.mark.django_db


def codes_of(found):
    return [row.display_code for row in found.rows]


@pytest.mark.parametrize("typed", ["G51.0", "g510", "G510", " g51.0 "])
def test_a_code_finds_its_diagnosis_however_it_is_typed(typed):
    found = find_diagnoses(typed)
    assert found.exact.display_code == "G51.0"
    assert codes_of(found) == ["G51.0"]


def test_a_seventh_character_code_is_found_and_its_stem_offers_the_complete_codes():
    assert find_diagnoses("S04.51XA").exact.title.startswith("Injury of facial nerve, right")
    stem = find_diagnoses("S04.51X")
    assert stem.exact is None  # not a code itself
    assert codes_of(stem) == ["S04.51XA", "S04.51XD", "S04.51XS"]


def test_a_prefix_finds_the_code_and_everything_under_it_in_code_order():
    found = find_diagnoses("S04.5")
    assert codes_of(found)[:2] == ["S04.5", "S04.50"]
    assert "S04.51XA" in codes_of(found)
    assert found.total == 13


def test_words_find_a_title():
    assert codes_of(find_diagnoses("Bell's palsy"))[0] == "G51.0"


def test_words_find_an_inclusion_term():
    assert "G51.0" in codes_of(find_diagnoses("facial palsy"))


def test_several_words_find_the_titles_that_hold_them_all():
    found = find_diagnoses("facial nerve injury right side")
    assert set(codes_of(found)) == {"S04.51", "S04.51XA", "S04.51XD", "S04.51XS"}


def test_a_common_word_is_counted_whole_and_shown_in_tabular_order():
    found = find_diagnoses("encounter")
    assert found.total > RANKED_AT_MOST
    assert len(found.rows) == 20
    assert [row.code for row in found.rows] == sorted(row.code for row in found.rows)


def test_the_typeahead_completes_the_last_word():
    assert "G51.0" in codes_of(find_diagnoses("bell's pal", complete_last_word=True))


@pytest.mark.parametrize("typed", ["64868", "6486", "", "   ", "of the", '"', "*", "(("])
def test_procedure_codes_and_empty_words_find_no_diagnosis(typed):
    assert not find_diagnoses(typed)


def test_the_search_page_shows_diagnoses_as_a_labelled_group_with_their_procedures(client):
    response = client.get("/search/", {"q": "Bell's palsy"})
    assert response.status_code == 200
    page = response.content.decode()
    group = page[page.index('id="diagnoses-h"') :]
    assert "ICD-10-CM diagnoses" in group
    assert 'href="/diagnoses/G51.0/"' in group
    assert 'href="/codes/64866/"' in group  # seeded: Bell's palsy supports 64866


def test_a_diagnosis_code_typed_in_the_search_box_lands_on_it(client):
    page = client.get("/search/", {"q": "G51.0"}).content.decode()
    assert 'href="/diagnoses/G51.0/"' in page


def test_the_typeahead_suggests_procedures_and_diagnoses(client):
    total, codes, _, shown = client.get("/api/search", {"terms": "facial", "maxList": 8}).json()
    assert any(code[0].isdigit() for code in codes)
    assert any(code[0].isalpha() for code in codes)
    assert len(codes) == len(shown) <= 8
    assert total >= len(codes)


def test_a_procedure_search_for_a_linked_diagnosis_ranks_the_procedures_it_supports(client):
    melkersson = CodeProcedure.objects.get(code="64864")
    SupportingDiagnosis.objects.create(
        code=melkersson, diagnosis_code="G512", group=DiagnosisGroup.FACIAL_NERVE
    )
    found = client.get("/search/", {"q": "Melkersson"}).context["page"].object_list
    assert [code.code for code in found] == ["64864"]
    SupportingDiagnosis.objects.filter(code=melkersson, diagnosis_code="G512").delete()
    found = client.get("/search/", {"q": "Melkersson"}).context["page"].object_list
    assert list(found) == []


def test_bells_palsy_ranks_the_reanimation_codes_first(client):
    found = client.get("/search/", {"q": "Bell's palsy"}).context["page"].object_list
    assert {"64866", "64868"} <= {code.code for code in found[:4]}
