"""The full-text index (see codes/search/schema.py).

This creates the storage. The triggers that keep it in sync are installed, and the index
filled, after every migrate run (CodesConfig.ready connects codes.search.schema).
"""

import django.db.models.deletion
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

import codes.fulltext
from codes.search import schema


def create_storage(apps, schema_editor):
    for statement in schema.STORAGE[schema_editor.connection.vendor]:
        schema_editor.execute(statement, params=None)


def drop_storage(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in [*schema.DROP_TRIGGERS[vendor](), *schema.DROP_STORAGE[vendor]]:
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
                ("document", codes.fulltext.SearchDocumentField()),
            ],
            options={
                "db_table": "codes_searchentry",
                "managed": False,
            },
        ),
        migrations.RunPython(create_storage, drop_storage),
    ]
