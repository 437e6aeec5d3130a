"""Where a search page's time goes: the whole request and its SQL, per query of the mix.

    DATABASE_URL=postgres://.../bench .venv/bin/python bench/search_sql.py [label ...]

Runs each query of `manage.py bench_search`'s mix (or those whose label holds one of the
words given) through the whole Django stack in this process, with no cache, as bench_search
does: two untimed runs, then five, each with Django's query log; prints the median run's
total and SQL time and its slowest statements. Django logs each statement's time to the
millisecond. Use it on the catalogue `make bench-search` or `make bench-search-postgres`
built. Results: docs/benchmarks.md.
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cptsite.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

from codes.cache import forget_hot_pages  # noqa: E402
from codes.management.commands.bench_search import NO_CACHE, QUERY_MIX, WORST_CASE  # noqa: E402

RUNS = 5
SHOWN_STATEMENTS = 4


def one_run(client, params):
    forget_hot_pages()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get("/search/", params)
        elapsed = (time.perf_counter() - started) * 1000
    return elapsed, response.status_code, queries.captured_queries


def main(labels):
    with override_settings(CACHES=NO_CACHE):
        client = Client(SERVER_NAME="localhost")
        for label, params in [*QUERY_MIX, WORST_CASE]:
            if labels and not any(word in label for word in labels):
                continue
            for _ in range(2):
                one_run(client, params)
            runs = sorted((one_run(client, params) for _ in range(RUNS)), key=lambda run: run[0])
            elapsed, status, queries = runs[RUNS // 2]
            sql = sum(float(query["time"]) for query in queries) * 1000
            print(f"{label:32} {status}  {elapsed:6.1f} ms, SQL {sql:5.1f} ms in {len(queries)}")
            slowest = sorted(queries, key=lambda query: -float(query["time"]))
            for query in slowest[:SHOWN_STATEMENTS]:
                statement = " ".join(query["sql"].split())
                print(f"    {float(query['time']) * 1000:5.1f}  {statement[:150]}")


if __name__ == "__main__":
    main(sys.argv[1:])
