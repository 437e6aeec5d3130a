"""One contentless FTS5 table per part of the search document, on SQLite (see
codes/search/schema.py). They are filled, with the rest of the index, after migrate."""

from django.db import migrations

from codes.search import schema


def create_part_tables(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in schema.SQLITE_PART_STORAGE:
            schema_editor.execute(statement, params=None)


def drop_part_tables(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        # The triggers name these tables; they are put back without them after migrate.
        for statement in [*schema.sqlite_drop_triggers(), *schema.SQLITE_DROP_PART_STORAGE]:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("codes", "0008_catalogue_version"),
    ]

    operations = [migrations.RunPython(create_part_tables, drop_part_tables)]
