"""Compact the full-text index after a bulk load.

Loading thousands of codes with their links refreshes each code's document once for the code
and again for each kind of link it gains. On PostgreSQL every refresh leaves the row it
replaced behind, and vacuum makes that space reusable but never gives it back: after the
100,000-code synthetic load the whole-document table held 530 MB for 130 MB of rows, and a
search for a common word reads a page for nearly every match, so it reads four times the pages
it needs. `VACUUM FULL` rewrites the tables at their live size. It locks each table while it
rewrites it (searches wait: a few seconds each at 100,000 codes), so run it after an import,
not under load. On SQLite the index is FTS5's: `optimize` merges each table's segments into
one.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from codes.search.schema import PUBLIC_WORDS_TABLE, document_tables

POSTGRESQL_TABLES = [
    *document_tables(),
    "codes_searchvocabulary",
    PUBLIC_WORDS_TABLE["postgresql"],
]
SQLITE_TABLES = [
    *document_tables(),
    "codes_searchwords",
    PUBLIC_WORDS_TABLE["sqlite"],
    "codes_diagnosis_fts",
]


class Command(BaseCommand):
    help = (
        "Compact the search index after a bulk load (PostgreSQL: VACUUM FULL of its tables, "
        "which locks each while it is rewritten; SQLite: FTS5 optimize)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, database, verbosity, **options):
        connection = connections[database]
        connection.ensure_connection()
        if connection.vendor == "postgresql":
            self.compact_postgresql(connection, verbosity)
        else:
            with connection.cursor() as cursor:
                for table in SQLITE_TABLES:
                    cursor.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
                    if verbosity:
                        self.stdout.write(f"{table}: optimized")

    def compact_postgresql(self, connection, verbosity):
        if connection.in_atomic_block:
            raise CommandError("VACUUM cannot run inside a transaction: run this command alone.")
        with connection.cursor() as cursor:
            for table in POSTGRESQL_TABLES:
                cursor.execute("SELECT pg_total_relation_size(%s)", [table])
                (before,) = cursor.fetchone()
                cursor.execute(f"VACUUM (FULL) {table}")
                # VACUUM FULL leaves the visibility map empty: a plain VACUUM fills it again
                # (index-only scans need it), and ANALYZE the statistics.
                cursor.execute(f"VACUUM (ANALYZE) {table}")
                cursor.execute("SELECT pg_total_relation_size(%s)", [table])
                (after,) = cursor.fetchone()
                if verbosity >= 2:
                    self.stdout.write(f"{table}: {before} -> {after} bytes")
                elif verbosity:
                    self.stdout.write(f"{table}: {megabytes(before)} -> {megabytes(after)}")


def megabytes(size):
    return f"{size / 1024 / 1024:,.1f} MB"
