"""The diagnosis page /diagnoses/<code>/ on the real ICD-10-CM release (loaded once per
session by tests/conftest.py)."""

import subprocess
import sys

import pytest

from codes.models import CodeProcedure, DiagnosisGroup, EditorialState, SupportingDiagnosis

pytestmark = pytest.mark.django_db


def text(response):
    return response.content.decode()


def link(code, diagnosis, state=None):
    procedure = CodeProcedure.objects.get(code=code)
    if state:
        CodeProcedure.objects.filter(pk=procedure.pk).update(editorial_state=state)
    return SupportingDiagnosis.objects.update_or_create(
        code=procedure, diagnosis_code=diagnosis, defaults={"group": DiagnosisGroup.FACIAL_NERVE}
    )[0]


def test_a_billable_code_shows_its_title_path_and_inclusion_terms(client):
    response = client.get("/diagnoses/G51.0/")
    assert response.status_code == 200
    page = text(response)
    assert "Bell&#x27;s palsy" in page
    assert "Billable" in page
    assert "Facial palsy" in page  # the inclusion term
    assert "Nerve, nerve root and plexus disorders (G50-G59)" in page  # the block
    assert 'href="/diagnoses/G51/"' in page  # its parent


@pytest.mark.parametrize("typed", ["g510", "G510", "g51.0"])
def test_any_spelling_redirects_to_the_canonical_code(client, typed):
    response = client.get(f"/diagnoses/{typed}/")
    assert response.status_code == 301
    assert response["Location"] == "/diagnoses/G51.0/"


def test_a_header_says_it_cannot_be_billed_and_lists_its_children(client):
    page = text(client.get("/diagnoses/G51.3/"))
    assert "Header, not billable" in page
    for child in ["G51.31", "G51.32", "G51.33", "G51.39"]:
        assert f'href="/diagnoses/{child}/"' in page


def test_a_seventh_character_code_explains_its_character_and_the_placeholder(client):
    page = text(client.get("/diagnoses/S04.51XA/"))
    assert "initial encounter" in page
    assert "placeholder <strong>X</strong>" in page
    assert "any associated intracranial injury (S06.-)" in page  # code first, from S04


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("/diagnoses/S04.51X/", "is incomplete: codes here need a 7th character"),
        ("/diagnoses/S04.51XB/", "the 7th character B is not one this category allows"),
        ("/diagnoses/351.0/", "ICD-9-CM"),
        ("/diagnoses/0FB00ZZ/", "ICD-10-PCS"),
        ("/diagnoses/64868/", "CPT procedure code"),
        ("/diagnoses/G5%25%3Cscript%3E/", "not the shape of an ICD-10-CM code"),
        ("/diagnoses/Z99.99/", "not a code of the current ICD-10-CM release"),
    ],
)
def test_a_code_that_is_not_in_the_release_gets_a_404_that_says_why(client, url, words):
    response = client.get(url)
    assert response.status_code == 404
    assert words in text(response)
    assert "<script>" not in text(response)


def test_an_invalid_code_offers_the_nearest_valid_codes(client):
    page = text(client.get("/diagnoses/S04.51X/"))
    assert 'href="/diagnoses/S04.51XA/"' in page
    assert 'href="/diagnoses/S04.51XS/"' in page


def test_the_page_lists_the_published_procedures_it_supports(client):
    link("64866", "G510")
    link("64868", "G510", state=EditorialState.DRAFT)
    link("64864", "G510", state=EditorialState.DRAFT)
    page = text(client.get("/diagnoses/G51.0/"))
    assert 'href="/codes/64866/"' in page
    assert "/codes/64868/" not in page
    assert "/codes/64864/" not in page
    assert "judgement" in page


def test_diagnosis_page_query_budget(client, django_assert_num_queries):
    link("64866", "G510")
    link("64864", "G510")
    link("64868", "G510")
    # 1 the code and its ancestors (with the release); 1 its children; 1 the procedures it
    # supports, visible ones only.
    with django_assert_num_queries(3):
        assert client.get("/diagnoses/G51.0/").status_code == 200


def test_diagnosis_not_found_query_budget(client, django_assert_num_queries):
    # 1 the code and its ancestors; 1 a deleted code of that name; 1 the nearest codes.
    with django_assert_num_queries(3):
        assert client.get("/diagnoses/S04.51XB/").status_code == 404


def test_the_web_process_never_imports_the_package():
    """Rendering a diagnosis page reads the database: the package's data must not sit in a
    worker's memory. In a fresh interpreter, so no other test's import counts."""
    code = (
        "import os, sys, django;"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'tests.settings');"
        "django.setup();"
        "from django.urls import resolve, reverse;"
        "import cptsite.urls, codes.views.diagnoses, codes.views.search, codes.admin;"
        "assert 'simple_icd_10_cm' not in sys.modules, 'imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_code_page_groups_its_supporting_diagnoses_with_titles_from_the_release(client):
    page = text(client.get("/codes/64866/"))
    section = page[page.index('id="supporting-diagnoses"') :]
    section = section[: section.index("</section>")]
    assert "Facial nerve disorders" in section
    assert 'href="/diagnoses/G51.0/"' in section
    assert "Bell&#x27;s palsy" in section
    assert "judgement" in section
    assert section.index("Facial nerve disorders") < section.index("Nerve injuries")
