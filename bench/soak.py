"""Soak test: the site under load while editors save and a worker dies.

gunicorn serves code and search pages to wrk (64 connections, 60 s by default) while a
separate process saves an edit every 100 ms through the ORM, as an editor would, and half
way through one gunicorn worker is killed with SIGKILL. Afterwards it checks that every
edit the editor process saved is in the database and its history, and that nothing logged
"database is locked" or an error.

    .venv/bin/python bench/soak.py [--seconds 60] [--connections 64]

Everything runs on 127.0.0.1 against a fresh SQLite database under var/soak/.
"""

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
WORK = ROOT / "var" / "soak"
PATHS_LUA = Path(__file__).resolve().parent / "wrk" / "soak_paths.lua"

EDITOR = r"""
import sys, time
import django
django.setup()
from django.db import OperationalError
from codes.editorial import save_edit
from codes.models import CodeProcedure

interval, seconds = float(sys.argv[1]), float(sys.argv[2])
saved, failed = 0, []
deadline = time.monotonic() + seconds
number = 0
while time.monotonic() < deadline:
    number += 1
    started = time.monotonic()
    try:
        code = CodeProcedure.objects.get(code="64868" if number % 2 else "64866")
        code.summary = f"Soak edit {number}."
        save_edit(code, None, f"soak {number}")
        saved += 1
    except OperationalError as error:
        failed.append(f"{number}: {error}")
    time.sleep(max(0.0, interval - (time.monotonic() - started)))
print(f"EDITS saved={saved} failed={len(failed)} last={number}")
for line in failed[:20]:
    print("EDIT FAILED", line)
"""

CHECK = r"""
import django
django.setup()
from codes.editorial import save_edit
from codes.models import CodeProcedure
history = CodeProcedure.history.filter(history_change_reason__startswith="soak ")
numbers = sorted(int(r.history_change_reason.split()[1]) for r in history)
print("KEPT", len(numbers), numbers[-1] if numbers else 0)
for code in ("64866", "64868"):
    print("FINAL", code, CodeProcedure.objects.get(code=code).summary)
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(env, *args, **kwargs):
    return subprocess.run([str(PYTHON), *args], cwd=ROOT, env=env, check=True, text=True, **kwargs)


def wait_for(url, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server did not answer at {url}")


def worker_pids(master_pid):
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def parse_wrk(text):
    def number(pattern, default="0"):
        match = re.search(pattern, text)
        return match.group(1) if match else default

    return {
        "requests": int(number(r"(\d+) requests in")),
        "requests_per_second": float(number(r"Requests/sec:\s+([\d.]+)")),
        "p99": number(r"\s99%\s+([\d.]+\w+)", "n/a"),
        "non_2xx_3xx": int(number(r"Non-2xx or 3xx responses: (\d+)")),
        "socket_errors": text.split("Socket errors:")[1].splitlines()[0].strip()
        if "Socket errors:" in text
        else "none",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--edit-interval", type=float, default=0.1)
    options = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "SECRET_KEY": secrets.token_urlsafe(40),
        "DATABASE_URL": f"sqlite:///{WORK / 'db.sqlite3'}",
        "CACHE_DIR": str(WORK / "cache"),
        "STATIC_ROOT": str(WORK / "static"),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SETTINGS_MODULE": "cptsite.settings",
        "LOG_LEVEL": "WARNING",
    }
    run(env, "manage.py", "migrate", "-v0")
    run(env, "manage.py", "load_reference_data", "-v0")
    run(env, "manage.py", "collectstatic", "--noinput", "-v0")

    port = free_port()
    log_path = WORK / "gunicorn.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [str(GUNICORN), "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
             "--access-logfile", "/dev/null"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/healthz")
        editor = subprocess.Popen(
            [str(PYTHON), "-c", EDITOR, str(options.edit_interval), str(options.seconds)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        load = subprocess.Popen(
            ["wrk", "-t2", f"-c{options.connections}", f"-d{options.seconds}s", "--latency",
             "--timeout", "10s", "-s", str(PATHS_LUA), base],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        time.sleep(options.seconds / 2)
        victims = worker_pids(server.pid)
        killed = victims[0] if victims else None
        if killed:
            os.kill(killed, signal.SIGKILL)
        wrk_output, _ = load.communicate(timeout=options.seconds + 60)
        editor_output, _ = editor.communicate(timeout=options.seconds + 60)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    check_output = run(env, "-c", CHECK, capture_output=True).stdout
    log_text = log_path.read_text()
    results = parse_wrk(wrk_output)
    saved = int(re.search(r"saved=(\d+)", editor_output).group(1))
    failed = int(re.search(r"failed=(\d+)", editor_output).group(1))
    kept = int(re.search(r"KEPT (\d+)", check_output).group(1))
    locked = log_text.count("database is locked") + editor_output.count("database is locked")
    # The master's own note of the kill we caused is expected; anything else is not.
    errors_logged = len(
        [
            line
            for line in log_text.splitlines()
            if re.search(r"\bERROR\b|Traceback", line) and "was sent SIGKILL" not in line
        ]
    )

    print(f"Command: .venv/bin/python bench/soak.py --seconds {options.seconds} "
          f"--connections {options.connections}")  # fmt: skip
    print(f"Killed worker pid {killed} with SIGKILL after {options.seconds / 2:.0f} s.\n")
    print("| measure | result |")
    print("| --- | --- |")
    print(f"| requests served | {results['requests']:,} ({results['requests_per_second']:.0f}/s) |")
    print(f"| p99 latency | {results['p99']} |")
    print(f"| non-2xx/3xx responses | {results['non_2xx_3xx']} |")
    print(f"| socket errors (wrk) | {results['socket_errors']} |")
    print(f"| edits saved / failed | {saved} / {failed} |")
    print(f"| edits found in history afterwards | {kept} |")
    print(f"| 'database is locked' | {locked} |")
    print(f"| errors in the server log | {errors_logged} |")
    print()
    print(check_output.strip())
    ok = (
        results["non_2xx_3xx"] == 0
        and failed == 0
        and kept == saved
        and locked == 0
        and errors_logged == 0
    )
    print("\nPASS" if ok else "\nFAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
