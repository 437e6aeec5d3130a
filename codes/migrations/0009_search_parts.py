"""One full-text table per part of the search document (see codes/search/schema.py): FTS5
on SQLite, a tsvector with a GIN index on PostgreSQL, and PostgreSQL's vocabulary for
spelling suggestions. The SQL is as it stood when the migration was written. The tables are
filled, with the rest of the index, after migrate; the triggers that name them drop before
any migration runs, so the reverse only drops the tables."""

from django.db import migrations

PARTS = {
    # table: its columns of the whole document (codes_searchentry)
    "codes_searchpart_title": "code, title",
    "codes_searchpart_terms": "terms",
    "codes_searchpart_tags": "tags",
    "codes_searchpart_body": "body",
}

PART_STORAGE = {
    "sqlite": [
        f"CREATE VIRTUAL TABLE {table} USING fts5({columns}, "
        "content='codes_searchentry', content_rowid='rowid', "
        "tokenize = 'porter unicode61 remove_diacritics 2')"
        for table, columns in PARTS.items()
    ],
    "postgresql": [
        *(
            statement
            for table in PARTS
            for statement in (
                f"CREATE TABLE {table} (rowid bigint PRIMARY KEY, doc tsvector NOT NULL)",
                f"CREATE INDEX {table}_doc ON {table} USING gin (doc)",
            )
        ),
        "CREATE TABLE codes_searchvocabulary (word text PRIMARY KEY)",
        "CREATE INDEX codes_searchvocabulary_trgm ON codes_searchvocabulary "
        "USING gin (word gin_trgm_ops)",
    ],
}

DROP_PART_STORAGE = {
    "sqlite": [f"DROP TABLE IF EXISTS {table}" for table in PARTS],
    "postgresql": [
        *(f"DROP TABLE IF EXISTS {table}" for table in PARTS),
        "DROP TABLE IF EXISTS codes_searchvocabulary",
    ],
}


def create_part_tables(apps, schema_editor):
    for statement in PART_STORAGE.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def drop_part_tables(apps, schema_editor):
    for statement in DROP_PART_STORAGE.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("codes", "0008_catalogue_version"),
    ]

    operations = [migrations.RunPython(create_part_tables, drop_part_tables)]
