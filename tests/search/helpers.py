"""Shared by the search tests: how to search through the ORM and the page, and the query
budgets the tests pin."""

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

from codes.models import CodeProcedure
from codes.search.matching import search_codes

ROOT = Path(__file__).resolve().parents[2]


def found(text):
    results = search_codes(CodeProcedure.objects.published(), text)
    return [code.code for code in results.queryset]


def page(client, **params):
    response = client.get("/search/", params)
    return response, response.content.decode()


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


# Building the in-memory facet index: the codes with their column facets (1), the four link
# tables (4), the vocabularies of specialty, nerve, modifier, place and section (5), and the
# fee schedule rows of the release in effect for the global period and Medicare status (2),
# and every code with whether CMS's add-on list in effect names it (1).
INDEX_BUILD_QUERIES = 13


def search_queries(text, ranked=True, with_diagnoses=True):
    """The queries of one search page once the facet index is built: the catalogue
    version (1); for words, ranked: one full-text query per field group (4) and one more
    for several words that must all match, or in code order: one full-text query (1);
    the snippets (1); the page of codes (1); the diagnoses (codes/search/diagnoses.py: the
    current release's span (1), the count (1), and when some match their ids (1: on
    PostgreSQL the count's query returns them), rows (1) and linked procedures (1)), unless
    a facet is chosen."""
    from codes.search.diagnoses import find_diagnoses

    words = len(text.split())
    if not words:
        return 1 + 1
    matching = (4 + (1 if words > 1 else 0)) if ranked else 1
    ids_apart = 0 if connection.vendor == "postgresql" else 1
    diagnoses = (2 + (ids_apart + 2 if find_diagnoses(text) else 0)) if with_diagnoses else 0
    return 1 + matching + 1 + 1 + diagnoses


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


def facet_count(response, facet_name, value):
    facet = next(f for f in response.context["facets"] if f.name == facet_name)
    return next((v.count for v in facet.values if v.value == value), 0)


def search_documents():
    """Everything the search index holds: the documents, the public vocabulary and, on
    SQLite, every word of every part table's index (read through fts5vocab, as the part
    tables keep no text)."""
    from codes.search.schema import PUBLIC_WORDS_TABLE, SEARCH_PARTS

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT rowid, document::text, words, body FROM codes_searchentry")
            held = {"documents": sorted(cursor.fetchall())}
            for table, _ in SEARCH_PARTS:
                cursor.execute(f"SELECT rowid, doc::text FROM {table}")
                held[table] = sorted(cursor.fetchall())
            cursor.execute(f"SELECT code_id, word FROM {PUBLIC_WORDS_TABLE['postgresql']}")
            held["public words"] = sorted(cursor.fetchall())
            return held
        cursor.execute("SELECT rowid, code, title, terms, tags, body FROM codes_searchentry")
        held = {"documents": sorted(cursor.fetchall())}
        cursor.execute(f"SELECT rowid, words FROM {PUBLIC_WORDS_TABLE['sqlite']}")
        held["public words"] = sorted(cursor.fetchall())
        for table, _ in SEARCH_PARTS:
            cursor.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{table}_words "
                f"USING fts5vocab(main, {table}, instance)"
            )
            cursor.execute(f"SELECT term, doc, col, offset FROM temp.{table}_words")
            held[table] = sorted(cursor.fetchall())
        return held


def manage(database_url, *args):
    """Run manage.py on another database (`scratch_database_url`); its output."""
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "tests"}
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@contextmanager
def writes_deferred_to_commit():
    """On PostgreSQL, hold the writes made at commit (the catalogue generation, the article
    stamps) deferred, as a real transaction does, and run them on leaving, as its commit
    would (the suite otherwise runs them at each statement: its transactions never commit).
    Yields whether they are deferred: SQLite writes them at each change."""
    from codes.search.schema import postgresql_generation_triggers_immediate

    deferred = connection.vendor == "postgresql"
    immediate = postgresql_generation_triggers_immediate()
    if deferred:
        with connection.cursor() as cursor:
            cursor.execute(immediate.replace("IMMEDIATE", "DEFERRED"))
    yield deferred
    if deferred:
        with connection.cursor() as cursor:
            cursor.execute(immediate)
