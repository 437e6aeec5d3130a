"""ICD-10-CM benchmark: loading the release, the check that skips a stored release, and a
gunicorn worker's memory while it serves diagnosis pages and searches.

    .venv/bin/python bench/icd10.py [--runs 1]

Works on its own SQLite file, var/bench/icd10.sqlite3 (never the site's database), created
afresh: migrate and load the reference content, then time `manage.py load_icd10cm` (the
whole release the pinned package carries) and the same command again (found by SHA-256,
nothing read), each as a separate process, wall clock; and, in-process, the check alone.
Then it starts gunicorn on that database (gunicorn.conf.py, 2 workers), requests every
diagnosis page of the family and a set of searches, and reads each worker's VmRSS and
VmHWM from /proc (the package's data, about 300 MB parsed, is never in a worker:
tests/test_views_diagnoses.py holds the web process to never importing it).
The report is Markdown on stdout. Targets (issue 17): load <= 60 s, worker < 150 MB.
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATABASE = ROOT / "var" / "bench" / "icd10.sqlite3"
PAGES = [
    "/diagnoses/G51.0/",
    "/diagnoses/G51/",
    "/diagnoses/S04.51XA/",
    "/diagnoses/S04.5/",
    "/diagnoses/S04.51XB/",
    "/diagnoses/C07/",
    "/codes/64866/",
    "/codes/64864/",
    "/search/?q=G51.0",
    "/search/?q=S04.5",
    "/search/?q=Bell%27s+palsy",
    "/search/?q=facial+nerve+injury+right+side",
    "/search/?q=fracture",
    "/search/?q=encounter",
    "/api/search?terms=bell",
    "/api/search?terms=S04",
]


def manage(*args, env):
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - started


def fresh_database(env):
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DATABASE}{suffix}").unlink(missing_ok=True)
    DATABASE.parent.mkdir(parents=True, exist_ok=True)
    manage("migrate", "--noinput", "-v0", env=env)
    manage("load_reference_data", "-v0", env=env)


def check_in_process(env, runs=20):
    """Median ms of the check a second `load_icd10cm` makes before anything else."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cptsite.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from codes.icd10 import loader

    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        assert loader.already_loaded(loader.package_files()) is not None
        samples.append((time.perf_counter() - started) * 1000)
    assert "simple_icd_10_cm" not in sys.modules
    return statistics.median(samples)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def proc_status(pid):
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return fields


def children(pid):
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(child) for child in text]
    return found


def worker_memory(env):
    port = free_port()
    env = {**env, "PORT": str(port), "WEB_CONCURRENCY": "2", "DJANGO_DEBUG": "false"}
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "--config", "gunicorn.conf.py"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        workers = children(server.pid)
        before = {pid: int(proc_status(pid)["VmRSS"].split()[0]) // 1024 for pid in workers}
        statuses = {}
        for _ in range(3):  # both workers answer some of them
            for path in PAGES:
                try:
                    statuses[path] = urllib.request.urlopen(base + path, timeout=30).status
                except urllib.error.HTTPError as error:
                    statuses[path] = error.code
        rows = []
        for pid in workers:
            status = proc_status(pid)
            rows.append(
                (
                    pid,
                    before[pid],
                    int(status["VmRSS"].split()[0]) // 1024,
                    int(status["VmHWM"].split()[0]) // 1024,
                )
            )
        return rows, statuses
    finally:
        server.terminate()
        server.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="Loads to time (fresh each).")
    args = parser.parse_args()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{DATABASE}",
        "DJANGO_SETTINGS_MODULE": "cptsite.settings",
    }
    env.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    loads, reloads = [], []
    for _ in range(args.runs):
        fresh_database(env)
        loads.append(manage("load_icd10cm", "-v0", env=env))
        reloads.append(manage("load_icd10cm", "-v0", env=env))
    startup = statistics.median(manage("check", env=env) for _ in range(3))
    rows, statuses = worker_memory(env)
    check_ms = check_in_process(env)

    print(f"Machine: {os.cpu_count()} CPUs; Python {sys.version.split()[0]}; SQLite file.\n")
    print("| measure | value | target |")
    print("| --- | ---: | --- |")
    print(f"| `load_icd10cm`, whole release, fresh database | {statistics.median(loads):.1f} s "
          "| <= 60 s |")  # fmt: skip
    print(f"| `load_icd10cm` again (stored: nothing read) | {statistics.median(reloads):.2f} s "
          "| well under a second of work |")  # fmt: skip
    print(f"| of which Django start-up (`manage.py check`) | {startup:.2f} s | |")
    print(f"| the check alone, in-process (hash two files, one query) | {check_ms:.0f} ms | |")
    print("\n| gunicorn worker | RSS after start MB | RSS after the pages MB | peak MB |")
    print("| --- | ---: | ---: | ---: |")
    for pid, before, after, peak in rows:
        print(f"| {pid} | {before} | {after} | {peak} |")
    bad = {path: status for path, status in statuses.items() if status not in {200, 404}}
    print(f"\nPages requested: {len(PAGES)} x 3; unexpected statuses: {bad or 'none'}.")


if __name__ == "__main__":
    main()
