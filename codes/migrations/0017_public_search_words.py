"""The words of published codes only, for "Did you mean" to anonymous readers.

The suggestion vocabulary held every code's words, drafts' included, so a draft's made-up
title word could be suggested to the public. These tables hold one row per published code
(SQLite: an FTS5 table whose rowid is the code's id, and its vocabulary; PostgreSQL: one
row per word and code, under a trigram index), so a word leaves the vocabulary as soon as
no published code holds it. The SQL is as it stood when the migration was written; the
tables are filled, with the rest of the index, after migrate; the triggers that name them
drop before any migration runs, so the reverse only drops the tables.
"""

from django.db import migrations

STORAGE = {
    "sqlite": [
        "CREATE VIRTUAL TABLE codes_searchwords_public USING fts5("
        "words, tokenize = 'unicode61 remove_diacritics 2')",
        "CREATE VIRTUAL TABLE codes_searchwords_public_vocab "
        "USING fts5vocab(codes_searchwords_public, row)",
    ],
    "postgresql": [
        "CREATE TABLE codes_searchvocabulary_public ("
        "word text NOT NULL, code_id bigint NOT NULL, PRIMARY KEY (code_id, word))",
        "CREATE INDEX codes_searchvocabulary_public_trgm ON codes_searchvocabulary_public "
        "USING gin (word gin_trgm_ops)",
    ],
}

DROP_STORAGE = {
    "sqlite": [
        "DROP TABLE IF EXISTS codes_searchwords_public_vocab",
        "DROP TABLE IF EXISTS codes_searchwords_public",
    ],
    "postgresql": ["DROP TABLE IF EXISTS codes_searchvocabulary_public"],
}


def create_tables(apps, schema_editor):
    for statement in STORAGE.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def drop_tables(apps, schema_editor):
    for statement in DROP_STORAGE.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("codes", "0016_ncci"),
    ]

    operations = [migrations.RunPython(create_tables, drop_tables)]
