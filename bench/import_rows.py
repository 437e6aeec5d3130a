"""What one row of `manage.py import_codes` costs, in-process, with no other load of ours.

    .venv/bin/python bench/import_rows.py [--rows 2000] [--profile]

It builds a fresh SQLite database in a temporary folder (migrated, reference content
loaded, one superuser, a file cache there: as bench/import_under_load.py does), writes a
CSV of `--rows` new codes in the import's own format, imports it, then imports a second
file changing the title and summary of each of those codes (drafts, so each change is
applied at once, as an editor's would be), and prints for each run the time and the queries
per row. The time is given twice: the whole run, and the run without the pauses after each
commit (`codes.import_rule.pause`, 0.1 s a batch on SQLite so a waiting save gets in),
which are time the import holds no lock and does no work. `--profile` prints the
functions that took the most time (cProfile) for each run. Results: docs/reliability.md.
"""

import argparse
import cProfile
import io
import os
import pstats
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

WORK = Path(tempfile.mkdtemp(prefix="import-rows-"))
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "cptsite.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{WORK / 'db.sqlite3'}",
        "CACHE_DIR": str(WORK / "cache"),
        "LOG_LEVEL": "WARNING",
    }
)

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from import_under_load import write_csv  # noqa: E402

from codes import import_rule  # noqa: E402
from codes.csv_format import COLUMNS  # noqa: E402
from codes.models import CodeProcedure  # noqa: E402


def changed_csv(source, target):
    """The same codes with another title and summary."""
    lines = source.read_text().splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        out.append(line.replace("Synthetic nerve procedure", "Renamed nerve procedure", 1))
        out[-1] = out[-1].replace("Synthetic summary", "Changed summary", 1)
    target.write_text("\n".join(out) + "\n")


def timed_import(path, rows, profile):
    paused = [0.0]
    pause = import_rule.pause

    def counted_pause():
        started = time.monotonic()
        pause()
        paused[0] += time.monotonic() - started

    import_rule.pause = counted_pause
    profiler = cProfile.Profile() if profile else None
    out = io.StringIO()
    queries = []

    def counter(execute, sql, params, many, context):
        queries.append(1)
        return execute(sql, params, many, context)

    try:
        # Counted by a wrapper, not CaptureQueriesContext: its log keeps 9,000 at most.
        with connection.execute_wrapper(counter):
            started = time.monotonic()
            if profiler:
                profiler.enable()
            call_command("import_codes", str(path), "--user", "bench-editor", stdout=out)
            if profiler:
                profiler.disable()
            seconds = time.monotonic() - started
    finally:
        import_rule.pause = pause
    working = seconds - paused[0]
    print(
        f"  {out.getvalue().strip().splitlines()[-1]}\n"
        f"  {seconds:.2f} s in all ({seconds / rows * 1000:.1f} ms a row); without the "
        f"pauses after commits {working:.2f} s ({working / rows * 1000:.2f} ms a row); "
        f"{len(queries)} queries ({len(queries) / rows:.2f} a row)"
    )
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(45)
        print(text.getvalue())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--profile", action="store_true")
    options = parser.parse_args()

    call_command("migrate", verbosity=0)
    call_command("load_reference_data", verbosity=0)
    User.objects.create_superuser("bench-editor", "bench@example.org", secrets.token_hex(8))
    taken = set(CodeProcedure.objects.values_list("code", flat=True))
    created, changed = WORK / "new.csv", WORK / "changed.csv"
    write_csv(created, options.rows, taken, COLUMNS)
    changed_csv(created, changed)
    print(f"work folder {WORK}; {len(taken)} codes before; {options.rows:,} rows a file")
    print(f"new codes ({options.rows:,}):")
    timed_import(created, options.rows, options.profile)
    print(f"changed codes ({options.rows:,}, drafts: applied at once):")
    timed_import(changed, options.rows, options.profile)


if __name__ == "__main__":
    main()
