"""Anonymous pages come from the cache; any content save shows at the next request.

A code page's kept article moves only with what it shows: tests/test_stamps.py."""

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


def test_unknown_query_parameters_are_answered_but_not_cached(client, django_assert_num_queries):
    first = client.get("/codes/64868/", {"utm_source": "x"})
    assert not first.has_header("ETag")  # the page was not stored
    # The article was: rendered once per change of what it shows, whatever the query
    # string; reading its code's stamp is the one query.
    with django_assert_num_queries(1):
        again = client.get("/codes/64868/", {"utm_source": "y"})
    assert not again.has_header("ETag")
    assert article(again) == article(first)


def article(response):
    html = response.content.decode()
    return html[html.index('<article class="code-page') : html.index("</article>")]


def test_the_article_is_rendered_again_after_a_change_of_its_code(
    client, django_assert_num_queries
):
    client.get("/codes/64868/", {"utm_source": "x"})
    code = CodeProcedure.objects.get(code="64868")
    code.summary = "Changed after the article was kept."
    code.save()
    # The code page's article again: 20 queries (its stamps, then the article), not the
    # first request's 22: the code's PTP rows of a release are kept in the shared cache
    # (edit_facts.ptp_rows), the release's localities in the process
    # (facts.current_release_and_localities).
    with django_assert_num_queries(20):
        response = client.get("/codes/64868/", {"utm_source": "x"})
    assert "Changed after the article was kept." in response.content.decode()
    # A change the database's triggers see, with no signal (the catalogue generation).
    CodeProcedure.objects.filter(code="64868").update(summary="Changed by an update().")
    from codes.search import generation

    generation.forget_recent_generation()
    assert "Changed by an update()." in client.get("/codes/64868/", {"n": "2"}).content.decode()


def test_logged_in_readers_get_the_shared_article_and_editors_their_own(
    client, django_user_model, draft_code, django_assert_max_num_queries
):
    from django.test import Client

    reader = Client()
    reader.force_login(django_user_model.objects.create_user("reader", password="a-long-pw-1"))
    reader.get("/codes/64868/")
    # The session, the user and the article's stamps; no content query.
    with django_assert_max_num_queries(3):
        response = reader.get("/codes/64868/")
    assert response.status_code == 200 and "private" in response["Cache-Control"]
    assert article(response) == article(client.get("/codes/64868/", {"n": "1"}))

    editor = django_user_model.objects.create_user("ed", password="a-long-pw-2", is_staff=True)
    from django.contrib.auth.models import Permission

    editor.user_permissions.add(Permission.objects.get(codename="view_codeprocedure"))
    staff = Client()
    staff.force_login(editor)
    draft_url = draft_code.get_absolute_url()
    assert "Only editors can see this page" in staff.get(draft_url).content.decode()
    # What an editor was shown is never kept for anyone else.
    assert reader.get(draft_url).status_code == 404
    assert client.get(draft_url, {"n": "1"}).status_code == 404


def test_each_variant_of_the_article_is_its_own(client):
    national = client.get("/codes/64868/", {"n": "1"}).content.decode()
    alaska = client.get("/codes/64868/", {"n": "1", "locality": "02102-01"}).content.decode()
    assert "Alaska (AK)" not in national and "Alaska (AK)" in alaska
    asked = client.get("/codes/64868/", {"n": "1", "modifier": "50"}).content.decode()
    assert "with modifier 50" in asked and "with modifier 50" not in national


def test_each_host_gets_its_own_cached_page(settings):
    from django.test import Client

    settings.ALLOWED_HOSTS = ["a.example", "b.example"]
    first = Client(HTTP_HOST="a.example").get("/codes/64868/").content.decode()
    second = Client(HTTP_HOST="b.example").get("/codes/64868/").content.decode()
    assert "http://a.example/codes/64868/" in first
    assert "http://b.example/codes/64868/" in second and "a.example" not in second


def test_a_draft_replacement_is_not_named_to_the_public(client):
    from codes.models import CodeProcedure, EditorialState

    CodeProcedure.objects.filter(code="64861").update(editorial_state=EditorialState.DRAFT)
    old = CodeProcedure.objects.get(code="64862")
    old.status = "deleted"
    old.replaced_by = CodeProcedure.objects.get(code="64861")
    old.save()
    assert "/codes/64861/" not in client.get("/codes/64862/").content.decode()
    assert client.get("/api/codes/64862").json()["replaced_by"] is None


def test_a_change_made_without_signals_shows_within_a_second(client):
    # update() sends no signal to bump the cache's version; the database's triggers move
    # the catalogue version, which the page cache reads at most once a second.
    from codes.models import CodeProcedure
    from codes.search.generation import forget_recent_generation

    assert "Facial nerve to hypoglossal" in client.get("/codes/64868/").content.decode()
    CodeProcedure.objects.filter(code="64868").update(title="Renamed without signals")
    forget_recent_generation()  # as a second passing would
    assert "Renamed without signals" in client.get("/codes/64868/").content.decode()


def test_a_flood_of_distinct_searches_stays_within_the_cache_bound(client, settings):
    from django.core.cache import cache

    settings.PAGE_CACHE_SLOTS = 8
    for n in range(60):
        assert client.get("/search/", {"q": f"nerve{n}"}).status_code == 200
    assert len(cache._cache) <= 8 + 1  # the slots and the content generation


def test_a_page_sharing_its_slot_with_another_is_never_served_for_it(client, settings):
    settings.PAGE_CACHE_SLOTS = 1
    first = client.get("/codes/64868/").content.decode()
    second = client.get("/codes/64866/").content.decode()
    assert "64866" in second and second != first
    assert client.get("/codes/64868/").content.decode() == first


def test_a_page_too_large_to_store_is_still_served(client, monkeypatch):
    from django.core.cache import cache

    from codes import cache as page_cache

    monkeypatch.setattr(page_cache, "MAX_CACHED_PAGE_BYTES", 10)
    assert client.get("/codes/64868/").status_code == 200
    assert not [key for key in cache._cache if "page-slot" in key]


def test_a_conditional_get_with_a_matching_etag_runs_no_query(client, django_assert_num_queries):
    etag = client.get("/codes/64868/")["ETag"]
    with django_assert_num_queries(0):
        again = client.get("/codes/64868/", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again["ETag"] == etag


HEADERS_OF_THE_STACK = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "Permissions-Policy",
    "Vary",
    "ETag",
    "Cache-Control",
    "X-Content-Type-Options",
    "Referrer-Policy",
)


def test_a_page_served_before_the_middleware_stack_has_the_stacks_headers(client):
    """PageCacheMiddleware answers cached pages before sessions, CSP and the rest; the page
    it stored carries the headers they added, and each response its own request id."""
    first = client.get("/codes/64868/")
    second = client.get("/codes/64868/")
    for header in HEADERS_OF_THE_STACK:
        assert second[header] == first[header], header
    assert "Cookie" in second["Vary"]
    assert second["X-Request-ID"] != first["X-Request-ID"]
    assert not second.cookies


def test_a_reader_with_a_session_goes_the_whole_way(editor_client, django_assert_num_queries):
    """A session cookie skips the early answer: an editor gets the page rendered for them
    (drafts, private), never the cached public one."""
    from django.test import Client

    Client().get("/codes/64868/")  # cached for the public
    response = editor_client.get("/codes/64868/")
    assert response.status_code == 200 and "private" in response["Cache-Control"]
    assert not response.has_header("ETag")


def test_only_views_of_the_page_cache_are_answered_early(client, settings):
    """The admin's login page (not a cached view) is never served from the page cache."""
    from django.test import RequestFactory

    from codes.cache import PageCacheMiddleware

    request = RequestFactory().get("/codes/64868/")
    assert PageCacheMiddleware.may_answer(request)
    assert not PageCacheMiddleware.may_answer(RequestFactory().get("/accounts/login/"))
    assert not PageCacheMiddleware.may_answer(RequestFactory().post("/codes/64868/"))
    settings.SITE_REQUIRE_LOGIN = True
    assert not PageCacheMiddleware.may_answer(request)


def test_a_hot_page_is_served_from_the_process_and_never_after_a_change(client):
    """The pages a process served last are kept in it by their full key; a save anywhere
    moves the generation in the shared cache, so the kept page is not served again."""
    from codes import cache as page_cache

    first = client.get("/codes/64868/")
    assert len(page_cache._hot_pages.values) == 1
    again = client.get("/codes/64868/")
    assert again.content == first.content and again["ETag"] == first["ETag"]
    assert again["Content-Type"] == first["Content-Type"]
    code = CodeProcedure.objects.get(code="64868")
    code.summary = "Changed since the page was kept."
    code.save()
    assert "Changed since the page was kept." in client.get("/codes/64868/").content.decode()
    assert len(page_cache._hot_pages.values) == 2


def test_junk_parameters_share_one_article(client, django_assert_num_queries):
    """What the article cannot show is not part of its key: a value that is no modifier,
    and the part of a bad locality past what the message quotes."""
    client.get("/codes/64868/", {"modifier": "junk", "locality": "x" * 30})
    with django_assert_num_queries(1):  # the article's stamps
        client.get("/codes/64868/", {"modifier": "also-junk", "locality": "x" * 40})
    asked = client.get("/codes/64868/", {"modifier": " 50 ", "n": "1"})
    with django_assert_num_queries(1):
        again = client.get("/codes/64868/", {"modifier": "50", "n": "2"})
    assert article(asked) == article(again) and "with modifier 50" in article(again)


def test_a_setting_a_page_shows_is_part_of_its_keys(client, settings):
    """Settings come from the environment: a restart with a new value must not meet pages
    or articles kept under the old one (codes.cache.SHOWN_SETTINGS)."""
    from codes.cache import article_generation

    assert "CPT copyright 1999" not in client.get("/codes/64868/").content.decode()
    article_key, year = article_generation("64868"), settings.CPT_COPYRIGHT_YEAR
    settings.CPT_COPYRIGHT_YEAR = 1999
    assert "CPT copyright 1999" in client.get("/codes/64868/").content.decode()
    assert article_generation("64868") != article_key
    settings.CPT_COPYRIGHT_YEAR = year
    assert article_generation("64868") == article_key
    settings.REVIEWER_SHOWN_AS = "role" if settings.REVIEWER_SHOWN_AS == "name" else "name"
    assert article_generation("64868") != article_key


def test_a_kept_article_is_served_while_the_database_is_away(client, monkeypatch):
    """As a kept page is: the stamps this process last read for the code serve."""
    from django.db import connection

    first = client.get("/codes/64868/", {"utm_source": "a"})  # not a page the cache keeps

    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    again = client.get("/codes/64868/", {"utm_source": "b"})
    assert again.status_code == 200 and article(again) == article(first)
    with pytest.raises(OperationalError):  # never read here: nothing to serve it from
        client.get("/codes/64866/", {"utm_source": "c"})
