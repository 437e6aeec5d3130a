"""The JSON API, sitemap, robots.txt, canonical links, structured data and licensing."""

import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from codes.models import CodeProcedure, EditorialState

pytestmark = pytest.mark.django_db


def test_code_api_returns_the_published_fields(client):
    data = client.get("/api/codes/64866").json()
    assert data["code"] == "64866" and data["title"]
    assert {m["code"] for m in data["modifiers"]} >= {"22", "51"}
    assert all(m["note"] for m in data["modifiers"])
    assert {s["slug"] for s in data["specialties"]} == {
        "neurosurgery", "otolaryngology", "plastic-surgery"
    }  # fmt: skip
    assert {n["slug"] for n in data["nerves"]} == {"facial-nerve", "spinal-accessory-nerve"}
    assert {p["code"] for p in data["places_of_service"]} == {"21", "24"}
    assert data["inpatient_only"] == {
        "status": "unknown",
        "as_of": None,
        "verified": False,
        "note": data["inpatient_only"]["note"],
    }
    # Verified by CMS's release, which the answer names.
    assert data["global_period"] == "090"
    assert data["medicare"]["release"]["label"] == "RVU25D"
    assert any(r["code"] == "64868" for r in data["relations"]) and data["sources"]


@pytest.mark.parametrize(
    ("url", "status"), [("/api/codes/64867", 404), ("/api/codes/6486", 404), ("/api/codes/x", 404)]
)
def test_code_api_has_the_same_404s_as_the_pages(client, url, status):
    response = client.get(url)
    assert response.status_code == status and "error" in response.json()


def test_code_api_hides_drafts_from_the_public(client):
    CodeProcedure.objects.filter(code="64868").update(editorial_state=EditorialState.DRAFT)
    assert client.get("/api/codes/64868").status_code == 404


def test_sitemap_lists_published_codes_and_browse_pages(client):
    CodeProcedure.objects.filter(code="64868").update(editorial_state=EditorialState.DRAFT)
    index = client.get("/sitemap.xml").content.decode()
    assert "/sitemap-codes.xml" in index and "/sitemap-browse.xml" in index
    codes = client.get("/sitemap-codes.xml").content.decode()
    assert "/codes/64866/" in codes and "/codes/64868/" not in codes
    browse = client.get("/sitemap-browse.xml").content.decode()
    assert "/nerves/hypoglossal-nerve/" in browse and "/modifiers/22/" in browse


def test_a_large_catalogue_is_listed_over_several_sitemap_pages(client, monkeypatch):
    from codes.sitemaps import CodeSitemap

    monkeypatch.setattr(CodeSitemap, "limit", 10)  # 50,000 in production
    index = client.get("/sitemap.xml").content.decode()
    assert "/sitemap-codes.xml?p=4" in index and "/sitemap-codes.xml?p=5" not in index
    last = client.get("/sitemap-codes.xml", {"p": 4}).content.decode()
    assert last.count("<url>") == 38 - 30
    assert client.get("/sitemap-codes.xml", {"p": 9}).status_code == 404


def test_robots_txt_points_to_the_sitemap(client):
    text = client.get("/robots.txt").content.decode()
    assert "Disallow: /admin/" in text and "Sitemap: http://testserver/sitemap.xml" in text


def test_code_page_has_canonical_link_description_and_json_ld(client):
    html = client.get("/codes/64868/?utm=x").content.decode()
    assert '<link rel="canonical" href="http://testserver/codes/64868/">' in html
    assert '<meta name="description" content="64868: Joins the facial nerve' in html
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(block.group(1))
    assert data["@type"] == "MedicalProcedure"
    assert data["code"] == {"@type": "MedicalCode", "codeValue": "64868", "codingSystem": "CPT"}


def test_json_ld_cannot_break_out_of_its_script(client):
    CodeProcedure.objects.filter(code="64868").update(title="</script><script>alert(1)")
    html = client.get("/codes/64868/").content.decode()
    assert "</script><script>alert(1)" not in html


def test_footer_carries_the_ama_notice_and_our_copyright(client):
    html = client.get("/").content.decode()
    assert "CPT copyright 2026 American Medical Association. All rights reserved." in html
    assert "© " in html and "CPT Reference" in html


def test_without_a_licence_the_descriptor_is_not_shown(client, settings):
    settings.CPT_LICENSED = False
    CodeProcedure.objects.filter(code="64868").update(official_descriptor="OFFICIAL TEXT")
    html = client.get("/codes/64868/").content.decode()
    assert "OFFICIAL TEXT" not in html
    assert "official descriptor for 64868 is in the AMA" in html


def test_with_a_licence_the_imported_descriptor_is_shown_with_the_ama_line(
    client, settings, tmp_path
):
    settings.CPT_LICENSED = True
    path = tmp_path / "descriptors.csv"
    path.write_text("code,descriptor\n64868,LICENSED DESCRIPTOR TEXT\n99999,x\n")
    out = io.StringIO()
    call_command("import_descriptors", str(path), stdout=out)
    assert "Changed 1 descriptors" in out.getvalue() and "99999" in out.getvalue()
    html = client.get("/codes/64868/").content.decode()
    descriptor = html.index("LICENSED DESCRIPTOR TEXT")
    assert html.index("CPT copyright", descriptor) > descriptor


def test_descriptor_import_refuses_without_a_licence(settings, tmp_path):
    settings.CPT_LICENSED = False
    path = tmp_path / "descriptors.csv"
    path.write_text("code,descriptor\n64868,x\n")
    with pytest.raises(CommandError, match="AMA copyright"):
        call_command("import_descriptors", str(path))


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # The code with its section, replacement and fact sources (1), eight prefetches;
        # CMS's release in effect, its row for the code and the localities (3).
        ("/api/codes/64866", 12),
        # The index: the codes' number of pages (1) and newest change (1); the browse
        # pages' sections, specialties, nerves and modifiers (4).
        ("/sitemap.xml", 6),
        # Published codes: their number (1) and the page of them (1).
        ("/sitemap-codes.xml", 2),
        # Once the facet index is built (see test_search): the catalogue version (1), one
        # full-text query per field group (4), the codes shown (1); the diagnoses: the
        # current release's span (1), their count and ids (2 on SQLite, 1 on PostgreSQL,
        # which counts them as it orders them) and rows (1).
        ("/api/search?terms=nerve&maxList=3", {"sqlite": 10, "postgresql": 9}),
        # ...or for a code prefix, the version (1), the range (1), the codes shown (1); a CPT
        # prefix is never a diagnosis, so none are looked for.
        ("/api/search?terms=6486&maxList=3", 3),
    ],
)
def test_api_and_sitemap_query_budgets(client, django_assert_num_queries, url, queries):
    client.get("/api/search?terms=warm")  # builds the in-memory facet index
    if isinstance(queries, dict):
        queries = queries[connection.vendor]
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
