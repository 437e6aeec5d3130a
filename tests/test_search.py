"""Search as a coder meets it: codes, ranges, words, lay terms, typos, facets, bad input.

The same tests run on SQLite (FTS5) and on PostgreSQL (tsvector) in CI.
"""

import re

import pytest
from django.core.cache import cache
from django.db import connection

from codes.models import CodeProcedure, Nerve, Specialty
from codes.search.matching import search_codes
from codes.search.query import parse_query
from codes.search.spelling import suggest_spelling
from codes.search.query import MAX_QUERY_LENGTH, QueryKind

pytestmark = pytest.mark.django_db


def found(text):
    results = search_codes(CodeProcedure.objects.published(), text)
    return [code.code for code in results.queryset]


def page(client, **params):
    response = client.get("/search/", params)
    return response, response.content.decode()


# Parsing -------------------------------------------------------------------------------


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


# Code lookups ----------------------------------------------------------------------------


def test_exact_code_redirects_to_its_page(client):
    for text in ["64868", " 64868 ", "64868\n"]:
        response = client.get("/search/", {"q": text})
        assert response.status_code == 302
        assert response["Location"] == "/codes/64868/"


def test_prefix_lists_codes_in_code_order():
    assert found("6486") == ["64861", "64862", "64864", "64865", "64866", "64868"]


def test_range_lists_the_codes_in_it():
    assert found("64864-64868") == ["64864", "64865", "64866", "64868"]
    assert found("64864 to 64868") == ["64864", "64865", "64866", "64868"]


def test_list_finds_those_codes_and_offers_to_compare(client):
    assert found("64866, 64868") == ["64866", "64868"]
    _, html = page(client, q="64866, 64868")
    assert "/compare/?codes=64866,64868" in html


def test_unknown_code_shows_the_nearest_codes(client):
    response, html = page(client, q="64867")
    assert response.status_code == 200
    assert "no code 64867" in html and "/codes/64866/" in html and "/codes/64868/" in html


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


# Words -----------------------------------------------------------------------------------


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


def test_words_that_find_nothing_together_fall_back_to_any_word(client):
    results = search_codes(CodeProcedure.objects.published(), "hypoglossal zebra")
    assert results.relaxed and "64868" in [c.code for c in results.queryset]
    _, html = page(client, q="hypoglossal zebra")
    assert "No code matches all of your words" in html


def test_results_show_a_highlighted_snippet(client):
    _, html = page(client, q="tongue nerve")
    assert "<mark>tongue</mark>" in html.lower() or "<mark>Tongue</mark>" in html


def test_snippet_escapes_what_an_editor_wrote(client):
    CodeProcedure.objects.filter(code="64868").update(
        summary="Tongue <script>alert(1)</script> nerve"
    )
    _, html = page(client, q="tongue nerve")
    # PostgreSQL's headline drops the tag, SQLite's snippet keeps it escaped; either way
    # the only script elements on the page are our own files.
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts and all('src="/static/js/' in tag for tag in scripts)


def test_index_follows_edits_made_with_update_and_bulk_create():
    CodeProcedure.objects.filter(code="64831").update(title="Zanzibar repair")
    assert found("zanzibar") == ["64831"]
    nerve = Nerve.objects.get(slug="digital-nerves")
    Nerve.objects.filter(pk=nerve.pk).update(aliases="quokka nerve")
    assert "64831" in found("quokka")


def test_index_follows_many_to_many_changes():
    code = CodeProcedure.objects.get(code="64840")
    specialty = Specialty.objects.create(slug="podiatry", name="Podiatry")
    code.specialties.add(specialty)
    assert found("podiatry") == ["64840"]
    code.specialties.remove(specialty)
    assert found("podiatry") == []


def test_deleting_a_code_removes_it_from_the_index():
    assert found("tube") == ["64910"]
    CodeProcedure.objects.filter(code="64910").delete()
    assert found("tube") == []


def test_drafts_are_not_found_by_the_public(client, draft_code):
    assert "64999" not in page(client, q="unlisted draft")[1]


# Did you mean ----------------------------------------------------------------------------


def test_misspelling_suggests_the_indexed_word(client):
    assert suggest_spelling(parse_query("hypoglosal")) == "hypoglossal"
    response, html = page(client, q="hypoglosal")
    assert response.status_code == 200
    assert "Did you mean" in html and "q=hypoglossal" in html
    assert "/codes/" in html  # a way back to browsing


def test_no_suggestion_when_words_are_known():
    assert suggest_spelling(parse_query("hypoglossal nerve")) == ""


# Facets ----------------------------------------------------------------------------------


def test_facet_narrows_results_and_counts_the_others(client):
    response = client.get("/search/", {"q": "nerve", "specialty": "otolaryngology"})
    assert response.status_code == 200
    codes = [code.code for code in response.context["page"].object_list]
    assert set(codes) == {"64866", "64868"}
    facets = {facet.name: facet for facet in response.context["facets"]}
    specialty = {value.value: value for value in facets["specialty"].values}
    # The specialty facet counts over results filtered by every *other* facet.
    assert specialty["otolaryngology"].selected
    assert specialty["neurosurgery"].count == 2
    nerve = {value.value: value.count for value in facets["nerve"].values}
    assert nerve["hypoglossal-nerve"] == 1


def test_two_values_of_one_facet_widen_and_two_facets_narrow(client):
    response = client.get("/search/", {"nerve": ["hypoglossal-nerve", "spinal-accessory-nerve"]})
    assert {c.code for c in response.context["page"].object_list} == {"64866", "64868"}
    response = client.get("/search/", {"nerve": "hypoglossal-nerve", "modifier": "22"})
    assert {c.code for c in response.context["page"].object_list} == {"64868"}


def test_selected_facet_can_be_removed(client):
    response, html = page(client, q="nerve", specialty="otolaryngology")
    assert 'aria-current="true"' in html
    assert "Clear all filters" in html
    selected = next(
        value for facet in response.context["facets"] for value in facet.values if value.selected
    )
    assert "specialty" not in selected.query and selected.query["q"] == "nerve"


@pytest.mark.parametrize(
    "params",
    [
        {"add_on": "yes"},
        {"status": "active", "add_on": "no"},
        {"inpatient_only": "yes"},
        {"section": "neurorrhaphy"},
        {"place": "21"},
    ],
)
def test_every_facet_filters(client, params):
    response = client.get("/search/", params)
    assert response.status_code == 200
    assert 0 < response.context["page"].paginator.count < 38


def test_add_on_facet(client):
    response = client.get("/search/", {"add_on": "yes"})
    codes = {c.code for c in response.context["page"].object_list}
    assert codes == {"64832", "64837", "64859", "64872", "64874", "64876", "64901",
                     "64902", "64913"}  # fmt: skip


def test_sort_by_code(client):
    response = client.get("/search/", {"q": "facial", "sort": "code"})
    codes = [c.code for c in response.context["page"].object_list]
    assert codes == sorted(codes)


def add_published_codes(count, title):
    """Add `count` published codes titled "<title> <n>" (0000T, 0001T, ...)."""
    section = CodeProcedure.objects.get(code="64831").section
    CodeProcedure.objects.bulk_create(
        CodeProcedure(
            code=f"0{n:03d}T",
            title=f"{title} {n}",
            summary=f"Synthetic {title.lower()}.",
            section=section,
            editorial_state="published",
        )
        for n in range(count)
    )


def test_results_are_paginated_by_fifty(client):
    add_published_codes(60, "Temporary nerve procedure")
    response = client.get("/search/", {"q": "temporary nerve procedure"})
    assert response.context["page"].paginator.count == 60
    assert len(response.context["page"].object_list) == 50
    assert "page=2" in response.content.decode()
    second = client.get("/search/", {"q": "temporary nerve procedure", "page": 2})
    assert len(second.context["page"].object_list) == 10


# Hostile input ---------------------------------------------------------------------------

HOSTILE_QUERIES = [
    "x" * 5000,
    '"unbalanced quote',
    'tongue "nerve',
    "C-arm",
    "NEAR(",
    "NEAR(a b, 3)",
    "*",
    "AND",
    "OR OR OR",
    "nerve AND OR NOT",
    "\x00",
    "nerve\x00graft",
    "😀 nerve 🧠",
    "'; DROP TABLE codes_codeprocedure; --",
    "title:nerve",
    "^nerve",
    "{code title}: nerve",
    "-",
    "(((",
    "\\",
    "%",
    "_",
    "64864--64868",
    "6486*",
    "ﬁnger",
    "ｎｅｒｖｅ",
]


@pytest.mark.parametrize("text", HOSTILE_QUERIES)
def test_hostile_text_never_breaks_search(client, text):
    response = client.get("/search/", {"q": text})
    assert response.status_code in {200, 302, 400}


def test_overlong_query_is_capped_with_a_clear_message(client):
    response, html = page(client, q="nerve " * 1000)
    assert response.status_code == 200
    assert "only the first part was used" in html


@pytest.mark.parametrize(
    "params",
    [
        {"specialty": "no-such-specialty"},
        {"nerve": ["facial-nerve", "nope"]},
        {"modifier": "ZZ"},
        {"place": "99"},
        {"status": "sideways"},
        {"add_on": "maybe"},
        {"inpatient_only": "perhaps"},
        {"sort": "random"},
        {"page": "abc"},
        {"page": "-1"},
        {"page": "1e9"},
        {"section": "\x00"},
    ],
)
def test_bad_facet_values_get_a_400_with_a_message(client, params):
    response = client.get("/search/", params)
    assert response.status_code == 400
    assert "We could not use part of that search" in response.content.decode()


def test_page_past_the_end_shows_the_last_page(client):
    response = client.get("/search/", {"q": "nerve", "page": 999})
    assert response.status_code == 200
    assert response.context["page"].number == response.context["page"].paginator.num_pages


def test_repeated_single_value_parameters_use_the_last(client):
    response = client.get("/search/?q=hypoglossal&sort=code&sort=relevance")
    assert response.status_code == 200


# Query budget ----------------------------------------------------------------------------


# Building the in-memory facet index: the codes (1), the four link tables (4) and the
# vocabularies of specialty, nerve, modifier, place and section (5).
INDEX_BUILD_QUERIES = 10


def search_queries(text, ranked=True):
    """The queries of one search page once the facet index is built: the catalogue
    version (1); for words, ranked: one full-text query per field group (4) and one more
    for several words that must all match, or in code order: one full-text query (1);
    the snippets (1); the page of codes (1)."""
    words = len(text.split())
    if not words:
        return 1 + 1
    matching = (4 + (1 if words > 1 else 0)) if ranked else 1
    return 1 + matching + 1 + 1


@pytest.mark.parametrize("params", [{"q": "nerve"}, {"q": "nerve graft"}, {}])
def test_search_page_query_count_does_not_grow_with_results(
    client, django_assert_num_queries, params
):
    expected = search_queries(params.get("q", ""))
    client.get("/search/", params)  # builds the facet index
    with django_assert_num_queries(expected):
        client.get("/search/", params | {"page": "1"})
    with django_assert_num_queries(search_queries(params.get("q", ""), ranked=False)):
        client.get("/search/", params | {"sort": "code"})
    add_published_codes(80, "Extra nerve graft")
    cache.clear()  # bulk_create sends no signals; measure the page, not the cache
    # The database's triggers moved the catalogue version, so the index is built again
    # (the version read again once the build lock is held, and the build)...
    with django_assert_num_queries(expected + 1 + INDEX_BUILD_QUERIES):
        response = client.get("/search/", params)
    assert response.context["page"].paginator.count >= 80
    # ...once.
    with django_assert_num_queries(expected):
        client.get("/search/", params | {"page": "1"})


def test_selected_facets_add_one_validation_query_each(client, django_assert_num_queries):
    client.get("/search/", {"q": "nerve"})
    with django_assert_num_queries(search_queries("nerve") + 2):
        client.get("/search/", {"q": "nerve", "specialty": "neurosurgery", "nerve": "facial-nerve"})


def test_a_selected_column_facet_still_lists_its_other_values(client, django_assert_num_queries):
    client.get("/search/", {"q": "nerve"})
    with django_assert_num_queries(search_queries("nerve") + 1):
        response = client.get("/search/", {"q": "nerve", "section": "neurorrhaphy"})
    sections = next(f for f in response.context["facets"] if f.name == "section")
    assert {v.value for v in sections.values} == {"neurorrhaphy", "neurorrhaphy-with-graft"}


def test_facet_index_build_runs_a_fixed_number_of_queries(django_assert_num_queries):
    from codes.search.facet_index import CatalogueIndex

    with django_assert_num_queries(INDEX_BUILD_QUERIES):
        CatalogueIndex(generation=1)
    add_published_codes(80, "Extra nerve graft")
    with django_assert_num_queries(INDEX_BUILD_QUERIES):
        CatalogueIndex(generation=2)


# Autocomplete API ------------------------------------------------------------------------


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


# The page's engine and the ORM agree -------------------------------------------------------


def orm_results(params, user=None):
    """What the ORM alone finds for a search page's parameters, in the page's order."""
    from urllib.parse import urlencode

    from django.http import QueryDict

    from codes.search.facets import CodeSearchFilter

    codes = CodeProcedure.objects.published()
    filterset = CodeSearchFilter(QueryDict(urlencode(params, doseq=True)), queryset=codes)
    assert filterset.is_valid()
    matching = search_codes(codes, params.get("q", ""))
    ranked = filterset.filter_queryset(matching.queryset)
    if params.get("sort") == "code" or not matching.word_query:
        return list(ranked.order_by("code").values_list("code", flat=True))
    return list(ranked.values_list("code", flat=True))


@pytest.mark.parametrize(
    "params",
    [
        {"q": "nerve"},
        {"q": "facial nerve"},
        {"q": "nerve", "sort": "code"},
        {"q": "graft", "specialty": "plastic-surgery"},
        {"q": "nerve", "nerve": ["facial-nerve", "hypoglossal-nerve"], "add_on": "no"},
        {"q": "repair", "place": "21", "inpatient_only": ["unknown", "yes"]},
        {"q": "6486"},
        {"q": "64700-64999", "section": "neurorrhaphy-with-graft"},
        {"q": "hypoglossal zebra"},
        {"modifier": "22"},
        {},
    ],
)
def test_the_page_lists_what_the_orm_finds_in_the_same_order(client, params):
    response = client.get("/search/", params)
    assert response.status_code == 200
    paginator = response.context["page"].paginator
    listed = [code.code for number in paginator.page_range
              for code in client.get("/search/", {**params, "page": number})
              .context["page"].object_list]  # fmt: skip
    assert listed == orm_results(params)
    assert paginator.count == len(listed)


@pytest.mark.parametrize(
    "params",
    [
        {"q": "nerve"},
        {"q": "nerve", "specialty": "neurosurgery", "add_on": "no"},
        {"q": "graft", "nerve": "median-nerve", "section": "neurorrhaphy-with-graft"},
    ],
)
def test_each_facet_count_is_what_choosing_that_value_would_list(client, params):
    response = client.get("/search/", params)
    for facet in response.context["facets"]:
        for value in facet.values:
            if value.selected:
                continue
            # The facet's own selection is left out of its counts: each value is counted
            # as if it alone were chosen there.
            chosen = {**params, facet.name: value.value}
            assert value.count == len(orm_results(chosen)), (facet.name, value.value)


def facet_count(response, facet_name, value):
    facet = next(f for f in response.context["facets"] if f.name == facet_name)
    return next((v.count for v in facet.values if v.value == value), 0)


def test_catalogue_version_moves_with_every_kind_of_change():
    from codes.models import PlaceOfService
    from codes.search.generation import read_generation as catalogue_version

    seen = [catalogue_version()]

    def moved():
        seen.append(catalogue_version())
        return seen[-1] != seen[-2]

    code = CodeProcedure.objects.get(code="64868")
    CodeProcedure.objects.filter(pk=code.pk).update(is_add_on=True)
    assert moved()
    code.places_of_service.add(PlaceOfService.objects.get(code="11"))
    assert moved()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE codes_placeofservice SET name = name || ' (renamed)'")
    assert moved()
    code.places_of_service.clear()
    assert moved()


def test_facets_follow_changes_made_without_signals(client):
    before = facet_count(client.get("/search/", {"q": "nerve"}), "add_on", "yes")
    CodeProcedure.objects.filter(code="64868").update(is_add_on=True)
    cache.clear()  # update() sends no signal to the page cache; the index needs none
    after = facet_count(client.get("/search/", {"q": "nerve"}), "add_on", "yes")
    assert after == before + 1


def test_the_page_finds_a_word_an_edit_put_in_the_title(client):
    # Through the part tables the page reads (SQLite), not only the whole document.
    CodeProcedure.objects.filter(code="64831").update(title="Wombat repair")
    response = client.get("/search/", {"q": "wombat"})
    assert [code.code for code in response.context["page"].object_list] == ["64831"]
    CodeProcedure.objects.filter(code="64831").update(title="Digital nerve repair")
    cache.clear()
    assert client.get("/search/", {"q": "wombat"}).context["page"].paginator.count == 0


def test_a_phrase_never_spans_two_parts_of_a_document(client):
    section = CodeProcedure.objects.get(code="64831").section
    CodeProcedure.objects.create(
        code="0999T", title="Alpha zebra", search_terms="quokka delta", section=section,
        editorial_state="published",
    )  # fmt: skip
    # "zebra" ends the title and "quokka" starts the lay words: never one phrase.
    assert found('"zebra quokka"') == []
    assert client.get("/search/", {"q": '"zebra quokka"'}).context["page"].paginator.count == 0
    assert found('"alpha zebra"') == ["0999T"]


def test_the_version_row_is_written_when_it_holds_no_writer_back():
    # On PostgreSQL, written at each change the version row would stay locked to the end of
    # every writing transaction, making concurrent writers queue or deadlock: it is written
    # at commit. SQLite has one writer at a time anyway, and writes it at each change.
    from codes.search.generation import read_generation as catalogue_version
    from codes.search.schema import postgresql_generation_triggers_immediate

    before = catalogue_version()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(postgresql_generation_triggers_immediate().replace("IMMEDIATE", "DEFERRED"))
    CodeProcedure.objects.filter(code="64868").update(title="Changed")
    CodeProcedure.objects.filter(code="64866").update(title="Changed too")
    if connection.vendor == "postgresql":
        assert catalogue_version() == before  # not yet: the transaction has not committed
        with connection.cursor() as cursor:
            cursor.execute(postgresql_generation_triggers_immediate())  # what commit runs
    assert catalogue_version() != before


def test_both_databases_drop_the_same_stop_words():
    # PostgreSQL's English configuration drops "other" and "under"; SQLite indexes them.
    assert found("other nerve under") == found("nerve")


def search_documents():
    """Everything the search index holds: the documents and, on SQLite, every word of every
    part table's index (read through fts5vocab, as the part tables keep no text)."""
    from codes.search.schema import SEARCH_PARTS

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT rowid, document::text, words, body FROM codes_searchentry")
            held = {"documents": sorted(cursor.fetchall())}
            for table, _ in SEARCH_PARTS:
                cursor.execute(f"SELECT rowid, doc::text FROM {table}")
                held[table] = sorted(cursor.fetchall())
            return held
        cursor.execute("SELECT rowid, code, title, terms, tags, body FROM codes_searchentry")
        held = {"documents": sorted(cursor.fetchall())}
        for table, _ in SEARCH_PARTS:
            cursor.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{table}_words "
                f"USING fts5vocab(main, {table}, instance)"
            )
            cursor.execute(f"SELECT term, doc, col, offset FROM temp.{table}_words")
            held[table] = sorted(cursor.fetchall())
        return held


def test_triggers_leave_the_index_as_a_full_rebuild_would():
    from codes.models import ClinicalExample, Modifier
    from codes.search import schema

    code = CodeProcedure.objects.get(code="64868")
    CodeProcedure.objects.filter(pk=code.pk).update(title="Tongue nerve hookup", summary="New.")
    code.nerves.remove(Nerve.objects.get(slug="hypoglossal-nerve"))
    code.specialties.add(Specialty.objects.get(slug="otolaryngology"))
    code.code_modifiers.create(modifier=Modifier.objects.get(code="XU"), note="Rare.")
    Nerve.objects.filter(slug="facial-nerve").update(aliases="CN VII\nseventh nerve")
    ClinicalExample.objects.filter(code=code).delete()
    CodeProcedure.objects.get(code="64866").delete()
    by_triggers = search_documents()

    vendor = connection.vendor
    assert "Tongue nerve hookup" in str(by_triggers)
    schema.execute_all(connection, schema.REBUILD[vendor](with_parts=True))
    # A part table left with a word its document no longer has would differ here.
    assert search_documents() == by_triggers
