"""One full-text table per part of the search document (see codes/search/schema.py): FTS5
on SQLite, a tsvector with a GIN index on PostgreSQL. They are filled, with the rest of the
index, after migrate."""

from django.db import migrations

from codes.search import schema


def create_part_tables(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in schema.PART_STORAGE.get(vendor, []):
        schema_editor.execute(statement, params=None)


def drop_part_tables(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor in schema.PART_STORAGE:
        # The triggers name these tables; they are put back without them after migrate.
        for statement in [*schema.DROP_TRIGGERS[vendor](), *schema.DROP_PART_STORAGE[vendor]]:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("codes", "0008_catalogue_version"),
    ]

    operations = [migrations.RunPython(create_part_tables, drop_part_tables)]
