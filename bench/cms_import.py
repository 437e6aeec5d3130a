"""CMS fee-schedule import benchmark: the full RVU25D release, a re-import, and the code
page's query count with the Medicare panel.

    .venv/bin/python bench/cms_import.py [PATH]   # default ../shared/data/cms/rvu25d

Works on its own SQLite file, var/bench/cms.sqlite3 (never the site's database), created
afresh each run: migrate, load the reference content, then time `manage.py import_cms_pfs
PATH` (the full release with its localities) and the same command again (recognised by
SHA-256, nothing stored), each as a separate process, wall clock, median of --runs. Then it
counts the queries of /codes/64868/?locality=… on that database in-process. The report is
Markdown on stdout. Targets (issue 12): import <= 20 s, re-import <= 10 s.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATABASE = ROOT / "var" / "bench" / "cms.sqlite3"
DEFAULT_PATH = ROOT.parent / "shared" / "data" / "cms" / "rvu25d"


def manage(*args, env):
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - started


def fresh_database(env, database=DATABASE):
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    database.parent.mkdir(parents=True, exist_ok=True)
    manage("migrate", "--noinput", "-v0", env=env)
    manage("load_reference_data", "-v0", env=env)


def pages_in_process(env):
    """Set Django up on the bench database; return settings for requesting pages in-process
    (any host name, no page cache, plain static files)."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cptsite.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.test.utils import override_settings

    return override_settings(
        ALLOWED_HOSTS=["testserver"],
        CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}},
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    )


def page_queries(env):
    in_process = pages_in_process(env)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    with in_process:
        for url in ("/codes/64868/", "/codes/64868/?locality=02102-01", "/codes/64901/"):
            client = Client()
            client.get(url)  # warm: the catalogue version read, templates compiled
            with CaptureQueriesContext(connection) as queries:
                status = client.get(url).status_code
            counts[url] = (status, len(queries))
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=str(DEFAULT_PATH))
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{DATABASE}"}

    imports, reimports = [], []
    for run in range(options.runs):
        print(f"run {run + 1}/{options.runs}", file=sys.stderr)
        fresh_database(env)
        imports.append(manage("import_cms_pfs", options.path, "-v0", env=env))
        reimports.append(manage("import_cms_pfs", options.path, "-v0", env=env))
    counts = page_queries(env)

    print(f"Release: `{options.path}`; {options.runs} runs; wall clock of the whole command.\n")
    print("| step | median s | min s | max s | target s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, values, target in (
        ("import (19,090 rows, 109 localities)", imports, 20),
        ("re-import of the same files", reimports, 10),
    ):
        print(f"| {name} | {statistics.median(values):.2f} | {min(values):.2f} | "
              f"{max(values):.2f} | {target} |")  # fmt: skip
    print("\n| page | status | queries |")
    print("| --- | ---: | ---: |")
    for url, (status, count) in counts.items():
        print(f"| `{url}` | {status} | {count} |")


if __name__ == "__main__":
    main()
