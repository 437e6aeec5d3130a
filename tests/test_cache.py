"""Anonymous pages come from the cache; any content save shows at the next request."""

import pytest
from django.db import OperationalError

from codes.models import CodeProcedure, Nerve

pytestmark = pytest.mark.django_db


def test_second_anonymous_request_is_served_from_the_cache(client, django_assert_num_queries):
    first = client.get("/codes/64868/")
    with django_assert_num_queries(0):
        second = client.get("/codes/64868/")
    assert second.content == first.content


def test_a_save_shows_at_the_next_request(client):
    client.get("/codes/64868/")
    code = CodeProcedure.objects.get(code="64868")
    code.summary = "Changed just now."
    code.save()
    assert "Changed just now." in client.get("/codes/64868/").content.decode()


def test_a_related_change_shows_too(client):
    client.get("/nerves/")
    nerve = Nerve.objects.get(slug="hypoglossal-nerve")
    nerve.name = "Hypoglossal nerve (renamed)"
    nerve.save()
    assert "Hypoglossal nerve (renamed)" in client.get("/nerves/").content.decode()


def test_conditional_request_gets_304(client):
    first = client.get("/codes/64868/")
    etag = first["ETag"]
    again = client.get("/codes/64868/", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again["ETag"] == etag
    code = CodeProcedure.objects.get(code="64868")
    code.save()
    assert client.get("/codes/64868/", headers={"If-None-Match": etag}).status_code == 200


def test_pages_for_staff_are_never_cached(editor_client, draft_code):
    from django.test import Client

    response = editor_client.get(draft_code.get_absolute_url())
    assert response.status_code == 200
    assert "private" in response["Cache-Control"] and not response.has_header("ETag")
    assert Client().get(draft_code.get_absolute_url()).status_code == 404


def test_healthz_reports_503_when_the_database_is_unreachable(client, monkeypatch):
    from django.db import connection

    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable"}
