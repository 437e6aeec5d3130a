"""The diagnosis word index on a stored tsvector (PostgreSQL).

The index of 0020 was over an expression, `to_tsvector('english', search_text)`, so ranking
a word's matches parsed each matched title and its inclusion terms again: 27 ms for the 828
titles holding "graft" in the benchmark database, 1 ms from a stored vector. The database
generates the column from `search_text`, so every write path keeps it (the loader's bulk
inserts, the ORM, raw SQL); Django does not know it and never selects it. SQLite's word index
is an FTS5 table: nothing to change there. Adding the column rewrites the table under an
exclusive lock (a few seconds for one release; searches and diagnosis pages wait).
"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE codes_diagnosis ADD COLUMN search_words tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english', search_text)) STORED",
    "CREATE INDEX codes_diagnosis_search_words ON codes_diagnosis USING gin (search_words)",
    "DROP INDEX IF EXISTS codes_diagnosis_words",
]
BACKWARD = [
    "CREATE INDEX IF NOT EXISTS codes_diagnosis_words ON codes_diagnosis "
    "USING gin (to_tsvector('english', search_text))",
    "ALTER TABLE codes_diagnosis DROP COLUMN IF EXISTS search_words",
]


def store_words(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement, params=None)


def drop_stored_words(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("codes", "0023_public_words_by_word"),
    ]

    operations = [migrations.RunPython(store_words, drop_stored_words)]
