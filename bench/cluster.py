"""Two app servers on one PostgreSQL and one Redis, under load, while reviewers approve edits.

The standard way past one machine: stateless gunicorn instances that share PostgreSQL (content)
and Redis (the page cache and its content version). This script runs that shape on one machine:

- a fresh PostgreSQL database (`cluster_bench` next to BENCH_PG_URL's) and Redis db 14 (flushed);
- two independent gunicorn instances, A and B, on their own ports (as two servers would be);
- wrk on each instance for --seconds across code, search, browse, check and API URLs;
- a reviewer who approves an edit through A's admin every --edit-interval seconds (an editor
  proposes it first, as the workflow wants) and then reads the code page through B at once:
  the new text must be there (no stale page) and, at the end, in the database and its history
  (no lost edit);
- half way, instance B is stopped (SIGTERM, graceful) and started again; while it is down, the
  reviewer reads through A instead and wrk's errors against B are counted apart.

    .venv/bin/python bench/cluster.py [--seconds 60] [--connections 32]
    make bench-cluster

PostgreSQL and Redis are this machine's (127.0.0.1:5432, trust auth; 127.0.0.1:6379).
"""

import argparse
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from soak import parse_wrk, wait_for  # the sibling script's helpers

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
WORK = ROOT / "var" / "cluster"
PATHS_LUA = Path(__file__).resolve().parent / "wrk" / "cluster_paths.lua"
CODES = ("64868", "64866", "64864", "64885")

# Run inside Django (the instances' settings): the reviewer's account and the editor's
# proposals. Passwords are random per run and never leave this process tree.
ACCOUNTS = r"""
import sys
import django
django.setup()
from django.contrib.auth.models import Group, User
for name, group in (("cluster-editor", "Editors"), ("cluster-reviewer", "Reviewers")):
    user = User.objects.create_user(name, password=sys.argv[1], is_staff=True)
    user.groups.add(Group.objects.get(name=group))
"""

PROPOSER = r"""
import json, sys
import django
django.setup()
from django.contrib.auth.models import User
from codes import editorial
from codes.models import CodeProcedure
editor = User.objects.get(username="cluster-editor")
for line in sys.stdin:
    code, summary = json.loads(line)
    procedure = CodeProcedure.objects.get(code=code)
    revision = editorial.propose(
        CodeProcedure, procedure, {"fields": {"summary": summary}}, editor, "cluster bench edit"
    )
    print(revision.pk, flush=True)
"""

CHECK = r"""
import django
django.setup()
from codes.models import CodeProcedure, Revision
approved = Revision.objects.filter(note="cluster bench edit", state="approved").count()
history = CodeProcedure.history.filter(
    history_change_reason__startswith="cluster bench edit"
).count()
print(json.dumps({"approved": approved, "history": history,
      "final": {c.code: c.summary for c in CodeProcedure.objects.filter(code__in=CODES)}}))
""".replace("import django", "import json\nCODES = " + repr(CODES) + "\nimport django", 1)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Instance:
    """One gunicorn instance (an 'app server') on its own port and log."""

    def __init__(self, name, env):
        self.name, self.env, self.port = name, env, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = WORK / f"gunicorn-{name}.log"
        self.process = None

    def start(self):
        log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [
                str(GUNICORN),
                "--config",
                "gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--access-logfile",
                "/dev/null",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for(self.base + "/healthz", seconds=30)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


class KeepRedirects(urllib.request.HTTPRedirectHandler):
    """Answer a redirect as it is: the approval's 302 says where the admin sends the reviewer,
    and following it would render the whole review queue each time."""

    def redirect_request(self, *args, **kwargs):
        return None


class Reviewer:
    """A reviewer's browser session on one instance's admin (cookies, CSRF)."""

    def __init__(self, instance, password):
        self.instance = instance
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), KeepRedirects()
        )
        self.opener.open(instance.base + "/admin/login/", timeout=10).read()  # the CSRF cookie
        where = self.post("/admin/login/", {"username": "cluster-reviewer", "password": password})
        if "/login/" in where:
            raise SystemExit("the reviewer could not log in")

    def post(self, path, data):
        """POST as the admin's forms do; return where the answer redirects to."""
        token = next(c.value for c in self.jar if c.name == "csrftoken")
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(
            self.instance.base + path, data=body, headers={"Referer": self.instance.base + path}
        )
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.geturl()  # 200: the form again, with its errors
        except urllib.error.HTTPError as answer:
            if answer.code in (301, 302, 303):
                return answer.headers["Location"]
            raise

    def approve(self, revision_id):
        path = f"/admin/codes/revision/{revision_id}/change/"
        where = self.post(path, {"revision": revision_id, "decision": "approve", "comment": ""})
        if where.rstrip("/").endswith("/change"):  # sent back to the revision: not applied
            raise RuntimeError(f"approval of revision {revision_id} was not accepted")


def read_page(instance, code):
    with urllib.request.urlopen(f"{instance.base}/codes/{code}/", timeout=10) as response:
        return response.read().decode()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=32, help="per instance")
    parser.add_argument("--edit-interval", type=float, default=0.2)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    options = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")

    import psycopg
    import redis

    server_url = urllib.parse.urlsplit(options.postgres)
    database_url = urllib.parse.urlunsplit(server_url._replace(path="/cluster_bench"))
    with psycopg.connect(options.postgres, autocommit=True) as connection:
        connection.execute("DROP DATABASE IF EXISTS cluster_bench WITH (FORCE)")
        connection.execute("CREATE DATABASE cluster_bench")
    redis.Redis.from_url(options.redis).flushdb()

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    password = secrets.token_urlsafe(24)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "SECRET_KEY": secrets.token_urlsafe(40),
        "DATABASE_URL": database_url,
        "REDIS_URL": options.redis,
        "STATIC_ROOT": str(WORK / "static"),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SETTINGS_MODULE": "cptsite.settings",
        "LOG_LEVEL": "WARNING",
    }
    setup_started = time.monotonic()
    for command in (
        ["migrate", "-v0"],
        ["load_reference_data", "-v0"],
        ["load_icd10cm", "-v0"],
        ["import_cms_pfs", "fixtures/cms/rvu25d", "-v0"],
        ["import_cms_edits", "fixtures/cms/ncci-2024-07", "--keep-existing", "-v0"],
        ["collectstatic", "--noinput", "-v0"],
    ):
        subprocess.run([str(PYTHON), "manage.py", *command], cwd=ROOT, env=env, check=True)
    subprocess.run([str(PYTHON), "-c", ACCOUNTS, password], cwd=ROOT, env=env, check=True)
    setup_seconds = time.monotonic() - setup_started

    a, b = Instance("A", env), Instance("B", env)
    a.start()
    b.start()
    proposer = subprocess.Popen(
        [str(PYTHON), "-c", PROPOSER],
        cwd=ROOT,
        env=env,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    loads = {
        instance.name: subprocess.Popen(
            [
                "wrk",
                "-t1",
                f"-c{options.connections}",
                f"-d{options.seconds}s",
                "--latency",
                "--timeout",
                "10s",
                "-s",
                str(PATHS_LUA),
                instance.base,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for instance in (a, b)
    }
    reviewer = Reviewer(a, password)
    approved, stale, read_through_a, failures = [], [], 0, []
    latest = {}  # code -> the summary its last approved edit set
    restart = {"down_at": None, "up_at": None}
    started = time.monotonic()

    def restart_b():
        # In its own thread, so edits go on (read back through A) while B is down.
        restart["down_at"] = time.monotonic() - started
        b.stop()
        b.start()  # the same port, as a restarted server would come back
        restart["up_at"] = time.monotonic() - started

    restarter = None
    deadline = started + options.seconds
    number = 0
    try:
        while time.monotonic() < deadline:
            tick = time.monotonic()
            if restarter is None and tick - started >= options.seconds / 2:
                restarter = threading.Thread(target=restart_b)
                restarter.start()
            number += 1
            code = CODES[number % len(CODES)]
            summary = f"Cluster edit {number} {secrets.token_hex(4)}."
            try:
                proposer.stdin.write(json.dumps([code, summary]) + "\n")
                proposer.stdin.flush()
                revision_id = int(proposer.stdout.readline())
                reviewer.approve(revision_id)
                approved.append(summary)
                latest[code] = summary
                try:
                    page = read_page(b, code)
                except OSError:  # B is restarting: refused or reset
                    read_through_a += 1
                    page = read_page(a, code)
                if summary not in page:
                    stale.append((number, code))
            except (OSError, RuntimeError, ValueError) as error:
                failures.append(f"{number}: {error}")
            time.sleep(max(0.0, options.edit_interval - (time.monotonic() - tick)))
        if restarter is not None:
            restarter.join()
        outputs = {
            name: load.communicate(timeout=options.seconds + 60)[0] for name, load in loads.items()
        }
    finally:
        proposer.stdin.close()
        proposer.wait(timeout=30)
        for instance in (a, b):
            if instance.process and instance.process.poll() is None:
                instance.stop()

    check = json.loads(
        subprocess.run(
            [str(PYTHON), "-c", CHECK],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    lost = [code for code, summary in latest.items() if check["final"][code] != summary]
    results = {name: parse_wrk(text) for name, text in outputs.items()}
    errors_logged = sum(
        len(re.findall(r"\bERROR\b|Traceback", instance.log_path.read_text()))
        for instance in (a, b)
    )
    print(
        f"Command: .venv/bin/python bench/cluster.py --seconds {options.seconds} "
        f"--connections {options.connections} --edit-interval {options.edit_interval}"
    )
    print(f"Set-up (migrate, content, ICD-10-CM, CMS extracts): {setup_seconds:.0f} s")
    print(
        f"Instance B restarted: stopped at {restart['down_at']:.1f} s, serving again at "
        f"{restart['up_at']:.1f} s\n"
    )
    print("| instance | requests | req/s | p99 | non-2xx/3xx | socket errors |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, result in results.items():
        print(
            f"| {name} | {result['requests']:,} | {result['requests_per_second']:.0f} | "
            f"{result['p99']} | {result['non_2xx_3xx']} | {result['socket_errors']} |"
        )
    print()
    print("| edits | result |")
    print("| --- | --- |")
    print(f"| approved through A | {len(approved)} |")
    print(
        f"| read back through B at once, stale | {len(stale)} (read through A while B was "
        f"down: {read_through_a}) |"
    )
    print(f"| approvals that failed | {len(failures)} |")
    print(
        f"| approved revisions in the database / history rows | {check['approved']} / "
        f"{check['history']} |"
    )
    print(f"| codes whose final text is not their last approved edit | {len(lost)} |")
    print(f"| errors in the servers' logs | {errors_logged} |")
    for line in failures[:10]:
        print("FAILED", line)
    ok = (
        not stale
        and not failures
        and not lost
        and check["approved"] == check["history"] == len(approved)
        and all(result["non_2xx_3xx"] == 0 for result in results.values())
        and results["A"]["socket_errors"] == "none"
        and errors_logged == 0
    )
    print("\nPASS" if ok else "\nFAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
