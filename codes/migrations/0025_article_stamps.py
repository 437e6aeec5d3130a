"""Article stamps: a number per code (and one shared by every article) that the database
moves whenever what a code page's article shows may have changed (codes/stamps.py).

On PostgreSQL the triggers note the codes a statement changes in a pending table and write
their stamps once, when the transaction commits (in code order: writers never wait on each
other's stamps in a cycle). Its rows live only inside the transaction that wrote them, so
it is unlogged. SQLite writes the stamps at once and has no such table.
"""

from django.db import migrations, models

POSTGRESQL_PENDING = "CREATE UNLOGGED TABLE codes_articlestamp_pending (code varchar(5) NOT NULL)"
# The published code just below or above a code (the triggers find whose previous and next
# links a change moves; a code page finds its own). Without it PostgreSQL's planner, its
# statistics behind a catalogue filling up, read every code below or above each one instead
# of walking the code index until a published one. SQLite walks the code's own index and
# needs none (and a partial index on published codes would tempt it away from letting the
# full-text index lead a search, see codeprocedure_unpublished).
POSTGRESQL_PUBLISHED_CODE = (
    "CREATE INDEX codeprocedure_published_code ON codes_codeprocedure (code) "
    "WHERE editorial_state = 'published'"
)


def create_pending(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_PENDING)
        schema_editor.execute(POSTGRESQL_PUBLISHED_CODE)


def drop_pending(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS codeprocedure_published_code")
        schema_editor.execute("DROP TABLE IF EXISTS codes_articlestamp_pending")


class Migration(migrations.Migration):
    dependencies = [
        ("codes", "0024_diagnosis_stored_words"),
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
