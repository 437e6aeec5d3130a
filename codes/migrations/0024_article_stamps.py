"""Article stamps: a number per code (and one shared by every article) that the database
moves whenever what a code page's article shows may have changed (codes/stamps.py).

On PostgreSQL the triggers note the codes a statement changes in a pending table and write
their stamps once, when the transaction commits (in code order: writers never wait on each
other's stamps in a cycle). Its rows live only inside the transaction that wrote them, so
it is unlogged. SQLite writes the stamps at once and has no such table.
"""

from django.db import migrations, models

POSTGRESQL_PENDING = "CREATE UNLOGGED TABLE codes_articlestamp_pending (code varchar(5) NOT NULL)"


def create_pending(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_PENDING)


def drop_pending(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TABLE IF EXISTS codes_articlestamp_pending")


class Migration(migrations.Migration):
    dependencies = [
        ("codes", "0023_public_words_by_word"),
    ]

    operations = [
        migrations.CreateModel(
            name="ArticleStamp",
            fields=[
                ("code", models.CharField(max_length=5, primary_key=True, serialize=False)),
                ("number", models.BigIntegerField()),
            ],
            options={
                "db_table": "codes_articlestamp",
            },
        ),
        migrations.RunPython(create_pending, drop_pending),
    ]
