"""The full-text index and the triggers that keep it in sync (see codes/search/schema.py)."""

import django.db.models.deletion
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

import codes.search.fulltext
from codes.search import schema


def create_index(apps, schema_editor):
    for statement in schema.forwards_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


def drop_index(apps, schema_editor):
    for statement in schema.backwards_statements(schema_editor.connection.vendor):
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
                ("document", codes.search.fulltext.SearchDocumentField()),
            ],
            options={
                "db_table": "codes_searchentry",
                "managed": False,
            },
        ),
        migrations.RunPython(create_index, drop_index),
    ]
