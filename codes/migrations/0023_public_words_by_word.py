"""An index on the public suggestion vocabulary's words (PostgreSQL).

"Did you mean" looked similar words up in the public vocabulary itself, which holds a row
per word and published code: a common word ("nerve", in 80,000 codes of the benchmark
catalogue) made the trigram scan read every one of its rows (250 ms). It now finds similar
words in the distinct vocabulary and keeps those some published code holds, one index
lookup each, which needs this index; the trigram index on the public table then serves
nothing and only costs every refresh, so it goes. SQLite's public vocabulary is an FTS5
table with its own vocabulary: nothing to change there.
"""

from django.db import migrations

FORWARD = [
    "CREATE INDEX IF NOT EXISTS codes_searchvocabulary_public_word "
    "ON codes_searchvocabulary_public (word)",
    "DROP INDEX IF EXISTS codes_searchvocabulary_public_trgm",
]
BACKWARD = [
    "CREATE INDEX IF NOT EXISTS codes_searchvocabulary_public_trgm "
    "ON codes_searchvocabulary_public USING gin (word gin_trgm_ops)",
    "DROP INDEX IF EXISTS codes_searchvocabulary_public_word",
]


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement, params=None)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("codes", "0022_search_supporting_diagnoses"),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
