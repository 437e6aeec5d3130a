"""gunicorn settings: threaded workers sized from the machine, logs to stdout.

Every value can be overridden with gunicorn's own GUNICORN_CMD_ARGS or the variables below.
"""

import hashlib
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"


# gunicorn's control socket defaults to one path per user (~/.gunicorn/gunicorn.ctl), so
# starting or stopping one instance removed another's. Unless one is given (the variable, or
# --control-socket), each instance gets its own when it starts (`on_starting`).
PER_INSTANCE = "per-instance"
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or PER_INSTANCE
control_socket_mode = 0o600


ROOT = Path(__file__).resolve().parent


def instance_control_socket(pid):
    return instance_socket(f"gunicorn-{pid}.ctl")


def instance_socket(name, root=ROOT):
    """This checkout's var/run/<name> (the folder owner only); a path too long for a Unix
    socket goes to a folder of this user's own in the temporary folder, under a hash of it
    (never straight into /tmp, where another user could take the name first)."""
    run_dir = root / "var" / "run"
    path = run_dir / name
    if len(str(path)) > 100:
        digest = hashlib.sha256(str(path).encode()).hexdigest()[:16]
        suffix = name.rsplit(".", 1)[-1]
        run_dir = Path(tempfile.gettempdir()) / f"cpt-reference-{os.getuid()}"
        path = run_dir / f"{digest}.{suffix}"
    run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder = run_dir.stat()
    if folder.st_uid != os.getuid() or folder.st_mode & 0o077:
        raise SystemExit(f"{run_dir} must belong to this user alone (mode 0700) to hold sockets")
    return str(path)


def on_starting(server):
    if server.cfg.control_socket == PER_INSTANCE:
        server.cfg.set("control_socket", instance_control_socket(os.getpid()))
    server.log.info("Control socket: %s", server.cfg.control_socket)
    if os.environ.get("CASECHECK_READER", "process") != "in-worker":
        start_case_check_reader(server)


# The case check's reader (codes/casecheck/reader.py): spaCy and the pipeline live in one
# process of their own, so the web workers stay small; the workers, forked after this, find
# its socket in their environment. CASECHECK_READER=in-worker reads in each worker instead.
# Its state hangs on the arbiter, which outlives a reload (HUP re-reads this file).
READER_STATE = "casecheck_reader"


def start_case_check_reader(server):
    path = instance_socket(f"casecheck-{os.getpid()}.sock")
    os.environ["CASECHECK_READER_SOCKET"] = path
    state = {"process": None, "stopping": False}
    setattr(server, READER_STATE, state)

    def keep_running():
        pause = 1
        while not state["stopping"]:
            started = time.monotonic()
            process = subprocess.Popen(
                [sys.executable, "-m", "codes.casecheck.reader", path], cwd=ROOT
            )
            state["process"] = process
            server.log.info("Case check reader started (pid %s): %s", process.pid, path)
            code = process.wait()
            if state["stopping"]:
                break
            # One that keeps failing at start is retried ever more slowly (up to a minute),
            # not every second with spaCy loaded each time.
            pause = 1 if time.monotonic() - started > 60 else min(pause * 2, 60)
            server.log.warning(
                "Case check reader stopped (exit %s); restarting in %s s", code, pause
            )
            time.sleep(pause)

    threading.Thread(target=keep_running, name="casecheck-reader", daemon=True).start()


def stop_case_check_reader(server, stopping=True):
    state = getattr(server, READER_STATE, None)
    if state is None:
        return
    state["stopping"] = stopping
    process = state["process"]
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def on_reload(server):
    """A reload (HUP) brings new code: the reader is stopped and started again by its
    keeper with it."""
    stop_case_check_reader(server, stopping=False)


def on_exit(server):
    stop_case_check_reader(server)


worker_class = "gthread"
# Pages are short database reads: a few processes with a few threads each keep both
# cores busy without the memory of one process per request.
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count())))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = 30
graceful_timeout = 20
keepalive = 5
# Recycle a worker now and then as a guard against slow leaks; rarely enough that restarts
# do not cap throughput (at 1,000 requests/s, 5,000 restarted each worker every few seconds).
max_requests = 200_000
max_requests_jitter = 20_000
accesslog = "-"
errorlog = "-"
wsgi_app = "cptsite.wsgi:application"


def post_worker_init(worker):
    """Build the search page's in-memory facet index before the first request, so no
    reader waits for it (about 0.3 s at 100,000 codes; codes/search/facet_index.py)."""
    import time

    from django.db import DatabaseError, connections

    from codes.search.facet_index import current_index

    try:
        started = time.perf_counter()
        index = current_index()
        worker.log.info(
            "Facet index built: %d codes in %d ms",
            len(index.by_code),
            (time.perf_counter() - started) * 1000,
        )
    except DatabaseError as error:  # not migrated yet: the first search builds it
        worker.log.warning("Facet index not built at start: %s", error)
    finally:
        # Opened in the worker's main thread, which serves no requests: close it.
        connections.close_all()
