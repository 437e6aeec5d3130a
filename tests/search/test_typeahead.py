"""The typeahead API (/api/search) over codes/search/page.py's `typeahead`."""

import pytest

from tests.search.helpers import HOSTILE_QUERIES

pytestmark = pytest.mark.django_db


def test_autocomplete_returns_the_clinical_tables_shape(client):
    data = client.get("/api/search", {"terms": "tongue ner", "maxList": 7}).json()
    total, codes, extra, rows = data
    assert total >= 1 and codes[0] == "64868" and extra is None
    assert rows[0][0] == "64868" and rows[0][1]


def test_autocomplete_completes_a_code_prefix(client):
    total, codes, _, _ = client.get("/api/search", {"terms": "6486", "maxList": 3}).json()
    assert codes == ["64861", "64862", "64864"] and total == 6


def test_autocomplete_empty_terms(client):
    assert client.get("/api/search", {"terms": ""}).json() == [0, [], None, []]


@pytest.mark.parametrize("max_list", ["abc", "0", "-3", "1000", "7.5"])
def test_autocomplete_rejects_a_bad_max_list(client, max_list):
    response = client.get("/api/search", {"terms": "nerve", "maxList": max_list})
    assert response.status_code == 400
    assert "maxList" in response.json()["error"]


@pytest.mark.parametrize("text", HOSTILE_QUERIES)
def test_autocomplete_survives_hostile_text(client, text):
    assert client.get("/api/search", {"terms": text}).status_code == 200
