"""The full-text index (see codes/search/schema.py).

This creates the storage, with the SQL as it stood when the migration was written (a
migration never imports live search code, so its meaning never changes). The triggers that
keep the index in step are installed, and the index filled, after every migrate run
(CodesConfig.ready connects codes.search.schema); they drop before any migration runs, so
the reverse only drops the tables.
"""

import django.db.models.deletion
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

STORAGE = {
    "sqlite": [
        # Porter stemming so "sutures" finds "suture"; diacritics folded.
        "CREATE VIRTUAL TABLE codes_searchentry USING fts5("
        "code, title, terms, tags, body, "
        "tokenize = 'porter unicode61 remove_diacritics 2')",
        # The words a user may type, unstemmed, for spelling suggestions.
        "CREATE VIRTUAL TABLE codes_searchwords USING fts5("
        "words, tokenize = 'unicode61 remove_diacritics 2')",
        "CREATE VIRTUAL TABLE codes_searchwords_vocab USING fts5vocab(codes_searchwords, row)",
    ],
    "postgresql": [
        """CREATE TABLE codes_searchentry (
            -- No foreign key: the triggers delete a code's entry with the code, and a key
            -- would stop Django's flush (TRUNCATE) of codes_codeprocedure in tests.
            rowid bigint PRIMARY KEY,
            document tsvector NOT NULL,
            words text NOT NULL,
            body text NOT NULL
        )""",
        "CREATE INDEX codes_searchentry_document ON codes_searchentry USING gin (document)",
        "CREATE INDEX codes_searchentry_words_trgm ON codes_searchentry "
        "USING gin (words gin_trgm_ops)",
    ],
}

DROP_STORAGE = {
    "sqlite": [
        "DROP TABLE IF EXISTS codes_searchwords_vocab",
        "DROP TABLE IF EXISTS codes_searchwords",
        "DROP TABLE IF EXISTS codes_searchentry",
    ],
    "postgresql": ["DROP TABLE IF EXISTS codes_searchentry"],
}


def create_storage(apps, schema_editor):
    for statement in STORAGE[schema_editor.connection.vendor]:
        schema_editor.execute(statement, params=None)


def drop_storage(apps, schema_editor):
    for statement in DROP_STORAGE[schema_editor.connection.vendor]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("codes", "0002_code_search_terms"),
    ]

    operations = [
        # pg_trgm serves spelling suggestions on PostgreSQL; a no-op on SQLite.
        TrigramExtension(),
        migrations.CreateModel(
            name="SearchEntry",
            fields=[
                (
                    "code",
                    django.db.models.OneToOneField(
                        db_column="rowid",
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="search_entry",
                        serialize=False,
                        to="codes.codeprocedure",
                    ),
                ),
                # The document is never selected, and the table is unmanaged: its
                # historical type does not matter (the live one is SearchDocumentField).
                ("document", models.TextField()),
            ],
            options={
                "db_table": "codes_searchentry",
                "managed": False,
            },
        ),
        migrations.RunPython(create_storage, drop_storage),
    ]
