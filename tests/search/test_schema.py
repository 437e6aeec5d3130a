"""codes/search/schema.py: the index the triggers keep is the index a full rebuild makes."""

import re

import pytest
from django.core.cache import cache
from django.db import connection

from codes.models import CodeProcedure, Nerve, Specialty
from tests.search.helpers import found, search_documents

pytestmark = pytest.mark.django_db


def test_index_follows_edits_made_with_update_and_bulk_create():
    CodeProcedure.objects.filter(code="64831").update(title="Zanzibar repair")
    assert found("zanzibar") == ["64831"]
    nerve = Nerve.objects.get(slug="digital-nerves")
    Nerve.objects.filter(pk=nerve.pk).update(aliases="quokka nerve")
    assert "64831" in found("quokka")


def test_index_follows_many_to_many_changes():
    code = CodeProcedure.objects.get(code="64840")
    specialty = Specialty.objects.create(slug="chiropody", name="Chiropody")
    code.specialties.add(specialty)
    assert found("chiropody") == ["64840"]
    code.specialties.remove(specialty)
    assert found("chiropody") == []


def test_deleting_a_code_removes_it_from_the_index():
    assert found("tube") == ["64910"]
    CodeProcedure.objects.filter(code="64910").delete()
    assert found("tube") == []


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


def test_a_change_rewrites_only_the_rows_it_changes():
    """PostgreSQL keeps a rewritten row's old version until vacuum, and a vacuumed table keeps
    its size: refreshing every part of a code for each link it gains left a bulk-loaded
    catalogue's search tables four times their live size, and a common word's search read
    all of it. So a refresh writes only the rows whose text changed."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's row versions; SQLite's FTS5 tables are written by FTS5")
    from codes.search.fulltext import FIELD_GROUPS

    code = CodeProcedure.objects.get(code="64868")

    def row_versions():
        tables = ["codes_searchentry", *(group.part_table for group in FIELD_GROUPS)]
        with connection.cursor() as cursor:
            versions = {}
            for table in tables:
                # The row version's place: a rewrite moves it, within one transaction too.
                cursor.execute(f"SELECT ctid::text FROM {table} WHERE rowid = %s", [code.pk])
                versions[table] = cursor.fetchone()[0]
            cursor.execute(
                "SELECT word, ctid::text FROM codes_searchvocabulary_public WHERE code_id = %s",
                [code.pk],
            )
            return versions, dict(cursor.fetchall())

    before, public_before = row_versions()
    code.specialties.add(Specialty.objects.create(slug="chiropody", name="Chiropody"))
    after, public_after = row_versions()
    changed = {table for table in before if before[table] != after[table]}
    assert changed == {"codes_searchentry", "codes_searchpart_tags"}
    # One new public word; the others stay the rows they were.
    assert set(public_after) - set(public_before) == {"chiropody"}
    assert all(public_after[word] == public_before[word] for word in public_before)

    CodeProcedure.objects.filter(pk=code.pk).update(summary=code.summary)  # no change
    assert row_versions() == (after, public_after)


def tables_named_in(sql):
    """The catalogue tables an SQL text reads (the index's own tables left out)."""
    return {
        table
        for table in re.findall(r"\bcodes_[a-z_]+", sql)
        if not table.startswith(("codes_search", "codes_catalogueversion"))
    }


def tables_with_triggers(prefix):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname LIKE %s",
                [prefix.replace("_", r"\_") + "%"],
            )
        else:
            cursor.execute(
                "SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE %s ESCAPE '\\'",
                [prefix.replace("_", r"\_") + "%"],
            )
        return {table for (table,) in cursor.fetchall()}


def test_every_table_the_document_reads_has_search_triggers():
    from codes.search import schema

    read = tables_named_in(schema.document_select_sql(connection.vendor))
    assert {"codes_codeprocedure", "codes_nerve", "codes_codemodifier"} <= read
    assert read <= tables_with_triggers(schema.SEARCH_TRIGGER_PREFIX)


def test_every_table_search_reads_moves_the_generation():
    from django.test.utils import CaptureQueriesContext

    from codes.search import schema
    from codes.search.facet_index import CatalogueIndex

    with CaptureQueriesContext(connection) as captured:
        CatalogueIndex(generation=1)
    read = set().union(*(tables_named_in(query["sql"]) for query in captured.captured_queries))
    read |= tables_named_in(schema.document_select_sql(connection.vendor))
    assert "codes_codeprocedure_places_of_service" in read  # read by a facet only
    assert read <= tables_with_triggers(schema.GENERATION_TRIGGER_PREFIX)


def test_clinical_examples_are_searchable_and_follow_their_edits(client):
    from codes.models import ClinicalExample

    example = ClinicalExample.objects.filter(code__code="64868").first()
    example.text = "A quokkaword scenario for the search index."
    example.save()
    assert found("quokkaword") == ["64868"]
    example.delete()
    assert found("quokkaword") == []
