"""NCCI import benchmark: a whole quarter of practitioner PTP edits (four files, 2.5 million
rows, 165 MB unzipped), its re-import, and the query counts of the pages that read them.

    .venv/bin/python bench/ncci_import.py [FOLDER]   # default ../shared/data/cms/ncci-2024-07

Works on its own SQLite file, var/bench/ncci.sqlite3 (never the site's database), created
afresh each run: migrate, load the reference content, then time `manage.py import_cms_edits
FOLDER --kind ncci_ptp` (the four ccipra-…-f1…f4 files) and the same command again
(recognised by SHA-256, nothing stored), each as a separate process: wall clock and the
process's peak resident memory (ru_maxrss from wait4). Then it imports the MUE table and the
add-on list and counts the queries of a code page, the pair check and compare on the full
data in-process. The report is Markdown on stdout. Targets (issue 15): import <= 90 s and
<= 400 MB.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from cms_import import fresh_database, pages_in_process

ROOT = Path(__file__).resolve().parents[1]
DATABASE = ROOT / "var" / "bench" / "ncci.sqlite3"
DEFAULT_PATH = ROOT.parent / "shared" / "data" / "cms" / "ncci-2024-07"


def measured(*args, env):
    """Run a manage.py command; return (seconds, peak RSS in MB) of that process alone."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed ({process.returncode})")
    return time.perf_counter() - started, usage.ru_maxrss / 1024  # KiB on Linux


def page_queries(env):
    in_process = pages_in_process(env)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from codes.models import PtpEdit

    results = {}
    with in_process:
        for url, code in (
            ("/codes/64910/", "64910"),
            ("/codes/64868/", "64868"),
            ("/edits/?codes=64885,64886,69990,64910x4", None),
            ("/api/edits?codes=64885,64886", None),
            ("/compare/?codes=64885,64886", None),
        ):
            client = Client()
            client.get(url)  # warm: the catalogue version read, templates compiled
            times = []
            for _ in range(5):
                started = time.perf_counter()
                with CaptureQueriesContext(connection) as queries:
                    status = client.get(url).status_code
                times.append(time.perf_counter() - started)
            edits = (
                PtpEdit.objects.filter(column_1=code).count()
                + PtpEdit.objects.filter(column_2=code).count()
                if code
                else None
            )
            results[url] = (status, len(queries), statistics.median(times) * 1000, edits)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=str(DEFAULT_PATH))
    parser.add_argument("--runs", type=int, default=1)
    options = parser.parse_args()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{DATABASE}"}
    folder = Path(options.path)

    imports, reimports = [], []
    for run in range(options.runs):
        print(f"run {run + 1}/{options.runs}", file=sys.stderr)
        fresh_database(env, DATABASE)
        imports.append(measured("import_cms_edits", folder, "--kind", "ncci_ptp", "-v0", env=env))
        reimports.append(measured("import_cms_edits", folder, "--kind", "ncci_ptp", "-v0", env=env))
    for name in ("AOC_V2024Q3-MCR.txt", "MCR_MUE_PractitionerServices_Eff_07-01-2024.csv"):
        measured("import_cms_edits", folder / name, "-v0", env=env)
    pages = page_queries(env)

    print(f"Files: `{folder}` (`ccipra-v302r0-f1…f4.TXT.gz`); {options.runs} run(s); "
          "wall clock and peak RSS of the whole command.\n")  # fmt: skip
    print("| step | median s | max s | peak RSS MB | target |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name, values, target in (
        ("import of the quarter's PTP edits (2,546,017 rows)", imports, "≤ 90 s, ≤ 400 MB"),
        ("re-import of the same files", reimports, "at once"),
    ):
        seconds = [s for s, _ in values]
        print(f"| {name} | {statistics.median(seconds):.1f} | {max(seconds):.1f} | "
              f"{max(m for _, m in values):.0f} | {target} |")  # fmt: skip
    size = DATABASE.stat().st_size / 1e6
    print(f"\nDatabase after the import: {size:.0f} MB.\n")
    print("| page (full July 2024 tables) | status | queries | median ms | PTP edits of the code |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for url, (status, count, ms, edits) in pages.items():
        print(f"| `{url}` | {status} | {count} | {ms:.0f} | {edits if edits is not None else ''} |")


if __name__ == "__main__":
    main()
