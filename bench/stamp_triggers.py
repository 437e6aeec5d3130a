"""What the article stamps' triggers (codes/stamps.py) cost a large import, on SQLite or
PostgreSQL.

    .venv/bin/python bench/stamp_triggers.py [--rows 100000] [--batch 1000]
        [--postgresql postgres://postgres@127.0.0.1:5432/postgres]

In a fresh database of its own (a SQLite file in a temporary folder, or a scratch database
made on the PostgreSQL server named, dropped at the end), migrated with the reference
content loaded, it runs three times over `--rows` new codes of their own: with the stamps'
triggers, without them (dropped), and with them again (installed anew), so the order of the
runs shows; `--without-first` runs without, with, without. Each run creates its codes with
`bulk_create` (published, so each statement stamps the codes' neighbours too) and then
retitles them with one `update()` a batch, a transaction a batch as
`import_rule.commit_batches` does, and prints the time of each step. The search index's
triggers run in every run: the difference between the runs is the stamps'.
Results: docs/benchmarks.md.
"""

import argparse
import os
import secrets
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def scratch_postgresql(server_url):
    """Make a scratch database on the server; return (its URL, a function dropping it)."""
    import psycopg

    name = f"stamps_bench_{uuid.uuid4().hex[:10]}"
    base = server_url.rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{base}/{name}", drop


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--postgresql", help="a PostgreSQL server's URL (else SQLite)")
    parser.add_argument("--keep", action="store_true", help="keep the database, to look into")
    parser.add_argument("--without-first", action="store_true", help="without, with, without again")
    options = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="stamp-triggers-"))
    drop = None
    if options.postgresql:
        url, drop = scratch_postgresql(options.postgresql)
    else:
        url = f"sqlite:///{work / 'db.sqlite3'}"
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "cptsite.settings",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": url,
            "CACHE_DIR": str(work / "cache"),
            "LOG_LEVEL": "WARNING",
        }
    )
    try:
        run(options)
    finally:
        if options.keep:
            print(f"kept: {url}")
        elif drop is not None:
            from django.db import connections

            connections.close_all()
            drop()


def run(options):
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from codes import stamps
    from codes.models import CodeProcedure, EditorialState, Section
    from codes.search import schema

    call_command("migrate", verbosity=0)
    call_command("load_reference_data", verbosity=0)
    section = Section.objects.get(slug="neurorrhaphy")
    taken = set(CodeProcedure.objects.values_list("code", flat=True))
    free = (code for code in (f"{n:05d}" for n in range(100_000)) if code not in taken)
    print(f"{connection.vendor}: {options.rows:,} codes a run, {options.batch:,} a batch")

    def one_run(label):
        codes = [next(free) for _ in range(options.rows)]
        batches = [codes[i : i + options.batch] for i in range(0, len(codes), options.batch)]
        started = time.perf_counter()
        for batch in batches:
            with transaction.atomic():
                CodeProcedure.objects.bulk_create(
                    CodeProcedure(
                        code=code,
                        title=f"Bench code {code}",
                        section=section,
                        editorial_state=EditorialState.PUBLISHED,
                    )
                    for code in batch
                )
        created = time.perf_counter() - started
        started = time.perf_counter()
        for batch in batches:
            with transaction.atomic():
                CodeProcedure.objects.filter(code__in=batch).update(title="Bench code retitled")
        retitled = time.perf_counter() - started
        per_row = 1000 / options.rows
        print(
            f"  {label}: bulk_create {created:.1f} s ({created * per_row:.2f} ms a row), "
            f"update() {retitled:.1f} s ({retitled * per_row:.2f} ms a row)"
        )

    def drop():
        with connection.cursor() as cursor:
            for statement in schema.DROP_TRIGGERS[connection.vendor](connection):
                if stamps.STAMP_TRIGGER_PREFIX in statement:
                    cursor.execute(statement)

    def install():
        with transaction.atomic():
            schema.execute_all(connection, stamps.TRIGGERS[connection.vendor]())

    if options.without_first:
        drop()
        one_run("without the stamps' triggers")
        install()
        one_run("with them")
        drop()
        one_run("without them again")
    else:
        one_run("with the stamps' triggers")
        drop()
        one_run("without them")
        install()
        one_run("with them again")


if __name__ == "__main__":
    main()
