"""Start-up benchmark: how soon a new gunicorn worker serves its first request, with the
100,000-code benchmark catalogue (var/bench/shared.sqlite3, as bench/serving.py builds it).

    .venv/bin/python bench/startup.py            # 5 starts, one worker each

Each start launches gunicorn as the project runs it (gunicorn.conf.py) with one worker and
polls, every 10 ms, a code page and a search page with facets (which needs the in-memory facet
index). It reports, per start: the time from launching the master to the first 200 of each
page, and what the worker's log says it built in post_worker_init (the facet index, with its
time). Then it kills the worker (SIGKILL, as a crash or the OOM killer would) and measures
how soon the master's replacement answers. Standard library only.
"""

import argparse
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import serving

PAGES = {"code page": f"/codes/{serving.CODE}/", "search with facets": "/search/?q=nerve"}
TARGET_S = 2.0


def first_answers(base, started, deadline_s=60):
    """Poll every page until each answers 200; return {page: seconds since `started`}."""
    answered = {}
    while len(answered) < len(PAGES) and time.monotonic() - started < deadline_s:
        for name, path in PAGES.items():
            if name in answered:
                continue
            try:
                with urllib.request.urlopen(base + path, timeout=10) as response:
                    if response.status == 200:
                        answered[name] = time.monotonic() - started
            except OSError:
                pass
        time.sleep(0.01)
    return answered


def worker_pids(master):
    return [int(pid) for pid in serving.child_pids(master)]


def one_start(env, log_path):
    port = serving.free_port()
    base = f"http://127.0.0.1:{port}"
    command = [
        str(serving.GUNICORN), "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
        "--workers", "1",
    ]  # fmt: skip
    with open(log_path, "wb") as output:
        started = time.monotonic()
        process = subprocess.Popen(
            command, cwd=serving.ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        cold = first_answers(base, started)
        pids = worker_pids(process.pid)
        restarted = {}
        if pids:
            killed_at = time.monotonic()
            os.kill(pids[0], signal.SIGKILL)
            # Distinct URLs, so the page cache (shared by workers, in files) cannot answer.
            restarted = first_answers(base, killed_at)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    log = log_path.read_text(errors="replace")
    built = re.findall(r"Facet index built: ([\d,]+) codes in (\d+) ms", log)
    return cold, restarted, built


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalog", type=Path, default=serving.VAR_BENCH / "catalog.sqlite3")
    parser.add_argument("--shared", type=Path, default=serving.VAR_BENCH / "shared.sqlite3")
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="cpt-startup-"))
    shared = args.shared.resolve()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(tmp)),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": str(tmp / "static"),
        "DATABASE_URL": f"sqlite:///{shared}",
    }
    serving.ensure_catalog(args.catalog.resolve(), env)
    serving.ensure_shared_copy(args.catalog.resolve(), shared, env)
    serving.manage("collectstatic", "--noinput", "-v0", env=env, database=shared)
    rows = []
    for number in range(args.starts):
        # A fresh page cache each start: the first requests are misses, as after a deploy.
        run_env = env | {"CACHE_DIR": str(tmp / f"cache-{number}")}
        cold, restarted, built = one_start(run_env, tmp / f"gunicorn-{number}.log")
        rows.append((cold, restarted, built))
        serving.log(f"start {number + 1}: {cold} / after a kill: {restarted} / built: {built}")
    print(f"Catalogue: {shared} (load average before: {os.getloadavg()[0]:.2f})\n")
    print("| start | master launched → code page | → search | worker killed → code page "
          "| → search | facet index build in the worker |")  # fmt: skip
    print("| ---: | ---: | ---: | ---: | ---: | --- |")
    for number, (cold, restarted, built) in enumerate(rows, 1):
        cells = [cold.get(p) for p in PAGES] + [restarted.get(p) for p in PAGES]
        shown = " | ".join("—" if c is None else f"{c:.2f} s" for c in cells)
        builds = ", ".join(f"{codes} codes, {ms} ms" for codes, ms in built) or "—"
        print(f"| {number} | {shown} | {builds} |")
    for label, index in (("master launched", 0), ("worker killed", 1)):
        for page in PAGES:
            values = [r[index][page] for r in rows if page in r[index]]
            if values:
                worst = max(values)
                print(
                    f"\n{label} → {page}: median {statistics.median(values):.2f} s, "
                    f"worst {worst:.2f} s (target {TARGET_S:.0f} s: "
                    f"{'met' if worst <= TARGET_S else 'missed'})",
                    end="",
                )
    print()


if __name__ == "__main__":
    main()
