"""The case check's reader process (codes/casecheck/reader.py): the same facts and the same
answer as reading in the web process, a socket only the site's user can open, a clear 503
while it is down, and no note in anything it prints."""

import json
import logging
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from codes.casecheck.reader import (
    SOCKET_VARIABLE,
    UNAVAILABLE,
    facts_from_json,
    facts_to_json,
    read_here,
)

ROOT = Path(__file__).resolve().parents[2]
NOTES = sorted((Path(__file__).parent / "notes").glob("*.txt"))
MARKER = "ZQXJREADER4417"
NOTE = (
    f"{MARKER}. The left facial nerve was repaired with a 3 cm sural nerve graft. "
    "No transposition was required."
)


def test_every_notes_facts_cross_the_socket_unchanged():
    assert len(NOTES) > 50
    for path in NOTES:
        facts = read_here(path.read_text())
        crossed = facts_from_json(json.loads(json.dumps(facts_to_json(facts))))
        assert crossed == facts, path.name


@pytest.fixture
def reader():
    """A reader process on a socket of its own (a short path: Unix sockets allow ~107)."""
    folder = tempfile.mkdtemp(prefix="reader-", dir="/tmp")
    path = os.path.join(folder, "r.sock")
    output = open(os.path.join(folder, "output.txt"), "w+")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "codes.casecheck.reader", path],
        cwd=ROOT, stdout=output, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        for _ in range(300):
            if os.path.exists(path):
                break
            time.sleep(0.05)
        assert os.path.exists(path), "the reader did not start"
        yield path, process, output
    finally:
        process.terminate()
        process.wait(timeout=10)
        output.close()
        shutil.rmtree(folder, ignore_errors=True)


def check(client, note=NOTE):
    return client.post("/api/check", json.dumps({"note": note}), content_type="application/json")


@pytest.mark.django_db
def test_the_reader_answers_as_the_web_process_would(client, reader, monkeypatch, caplog):
    path, process, output = reader
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    here = check(client)
    assert here.status_code == 200 and here.json()["proposed"]
    odd_here = check(client, "\ud800 " + NOTE)  # in this process too: never a 500
    assert odd_here.status_code == 200
    monkeypatch.setenv(SOCKET_VARIABLE, path)
    with caplog.at_level(logging.DEBUG):
        there = check(client)
        refused = check(client, "x" * 20_001)  # refused before it reaches the reader
    assert there.status_code == 200 and there.json() == here.json()
    assert refused.status_code == 413
    # A lone surrogate (pasted from a broken document) crosses as an escape, not an error.
    odd = check(client, "\ud800 " + NOTE)
    assert odd.status_code == 200 and odd.json() == odd_here.json()
    # Nothing it printed, and nothing logged here, holds the note.
    process.terminate()
    process.wait(timeout=10)
    output.seek(0)
    assert MARKER not in output.read()
    assert MARKER not in caplog.text
    assert not os.path.exists(path)  # removed on the way out


@pytest.mark.django_db
def test_a_reader_that_is_down_gets_a_clear_503(client, monkeypatch, caplog):
    monkeypatch.setenv(SOCKET_VARIABLE, "/tmp/no-such-reader.sock")
    with caplog.at_level(logging.DEBUG):
        response = check(client)
        page = client.post("/check/", {"note": NOTE})
    assert response.status_code == 503 and response.json() == {"error": UNAVAILABLE}
    assert page.status_code == 503 and "is not running just now" in page.content.decode()
    assert MARKER not in caplog.text and "reader unavailable" in caplog.text


def test_the_reader_refuses_what_is_not_a_note(reader):
    import socket

    from codes.casecheck.reader import receive, send

    path, _, _ = reader
    for message in ({"text": 42}, {"nothing": "here"}, {"text": "x" * 20_001}):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(10)
            connection.connect(path)
            send(connection, message)
            assert receive(connection) == {"error": "ValueError"}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(10)
        connection.connect(path)
        connection.sendall(b"\xff\xff\xff\xff")  # a length past the limit
        connection.shutdown(socket.SHUT_WR)
        assert receive(connection) == {"error": "ValueError"}
