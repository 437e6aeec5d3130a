"""The real server: gunicorn with two workers sharing the cache, and the deploy check."""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def site_env(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CACHE_DIR": str(tmp_path / "cache"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    for command in (
        ["migrate", "-v0"],
        ["load_reference_data", "-v0"],
        ["collectstatic", "--noinput", "-v0"],
    ):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)
    return env


def start_gunicorn(env, port):
    """The project's gunicorn.conf.py with two workers of two threads."""
    return subprocess.Popen(
        [str(GUNICORN), "--config", "gunicorn.conf.py", "--workers", "2", "--threads", "2",
         "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def test_an_edit_is_visible_at_once_through_two_workers(site_env):
    port = free_port()
    server = start_gunicorn(site_env, port)
    url = f"http://127.0.0.1:{port}/codes/64868/"
    try:
        for _ in range(100):
            try:
                fetch(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.1)
        # Both workers serve, and cache, the page as it is.
        assert all("Edited through the ORM" not in fetch(url) for _ in range(12))
        edit = (
            "from codes.models import CodeProcedure\n"
            "code = CodeProcedure.objects.get(code='64868')\n"
            "code.summary = 'Edited through the ORM'\n"
            "code.save()\n"
        )
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-v0", "-c", edit],
            cwd=ROOT, env=site_env, check=True,
        )  # fmt: skip
        assert all("Edited through the ORM" in fetch(url) for _ in range(12))
    finally:
        server.terminate()
        server.wait(timeout=20)


def children(pid):
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def loads_spacy(pid):
    return "/spacy/" in Path(f"/proc/{pid}/maps").read_text()


def test_the_case_check_reads_in_its_own_process_and_workers_stay_small(site_env):
    """gunicorn's master starts the case check's reader; the web workers send it the note
    and never load spaCy (codes/casecheck/reader.py); it goes when gunicorn goes."""
    port = free_port()
    server = start_gunicorn(site_env, port)
    note = "The left facial nerve was repaired with a 3 cm sural nerve graft."
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/check",
        data=json.dumps({"note": note}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        for _ in range(200):
            try:
                fetch(f"http://127.0.0.1:{port}/healthz")
                with urllib.request.urlopen(request, timeout=30) as response:
                    answer = json.loads(response.read())
                break
            except OSError:  # not started yet, or the reader still building (503)
                time.sleep(0.1)
        assert [p["code"] for p in answer["proposed"]] == ["64885"]
        processes = children(server.pid)
        reader = [pid for pid in processes if "codes.casecheck.reader" in cmdline(pid)]
        workers = [pid for pid in processes if pid not in reader]
        assert len(reader) == 1 and len(workers) == 2
        assert loads_spacy(reader[0])
        assert not any(loads_spacy(pid) for pid in workers)
    finally:
        server.terminate()
        server.wait(timeout=20)
    for _ in range(100):
        if not Path(f"/proc/{reader[0]}").exists():
            break
        time.sleep(0.1)
    assert not Path(f"/proc/{reader[0]}").exists()


def cmdline(pid):
    return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")


def test_deploy_check_is_clean_with_production_settings():
    env = {
        "PATH": os.environ["PATH"],
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "reference.example.org",
        "HTTPS": "true",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_gunicorn_instance_gets_its_own_control_socket(monkeypatch):
    import runpy
    from types import SimpleNamespace

    monkeypatch.setenv("CASECHECK_READER", "in-worker")  # no reader process from a test
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    paths = []
    for pid in (1001, 1002):
        values = {"control_socket": config["control_socket"]}
        server = SimpleNamespace(
            cfg=SimpleNamespace(set=values.__setitem__),
            log=SimpleNamespace(info=lambda *args: None),
        )
        server.cfg.control_socket = values["control_socket"]
        monkeypatch.setattr(os, "getpid", lambda pid=pid: pid)
        config["on_starting"](server)
        paths.append(values["control_socket"])
    assert paths[0] != paths[1]
    assert all(str(pid) in path for pid, path in zip((1001, 1002), paths, strict=True))
    assert not any(".gunicorn" in path for path in paths)
    assert config["control_socket_mode"] == 0o600


def test_a_socket_path_too_long_goes_to_a_folder_of_the_users_own(monkeypatch):
    import runpy
    import stat

    monkeypatch.setenv("CASECHECK_READER", "in-worker")
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    path = Path(config["instance_socket"]("casecheck-1.sock", Path("/no/" + "deep/" * 30)))
    folder = path.parent.stat()
    assert path.name.endswith(".sock") and len(str(path)) < 100
    assert path.parent.name == f"cpt-reference-{os.getuid()}"  # never /tmp itself
    assert folder.st_uid == os.getuid() and stat.S_IMODE(folder.st_mode) == 0o700
