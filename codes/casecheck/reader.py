"""Reading a note into facts: in this process, or in the case check's own process.

spaCy, its vocabulary and the pipeline take about 70 MB; a web worker that carried them
would pass the 150 MB a worker may use (docs/benchmarks.md). So under gunicorn the reading
runs in one process of its own, the reader, which gunicorn's master starts and restarts
(gunicorn.conf.py); web workers send it the note over a Unix socket that only the site's
user can open and get the facts back. The rules, the edits and the diagnoses stay in the
web worker: they read the database, the reader never does. Without
CASECHECK_READER_SOCKET (tests, `manage.py runserver`, a script) the reading runs in the
calling process.

The note crosses the socket and is dropped. The reader keeps nothing, logs no note and
answers a failure with its type only.

    python -m codes.casecheck.reader /path/to/socket     # what gunicorn's master runs
"""

import contextlib
import json
import logging
import os
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
from dataclasses import asdict

from codes.casecheck import MAX_NOTE_CHARS, NoteRefused
from codes.casecheck.facts import Evidence, Finding, NoteFacts

SOCKET_VARIABLE = "CASECHECK_READER_SOCKET"
# A 20,000-character note is at most 80 KB of UTF-8 and its facts a few hundred KB of
# JSON; anything much larger is not ours.
MAX_MESSAGE_BYTES = 8 * 1024 * 1024
# A 2,000-word note is read in well under a second; the check's answer must not hang a
# web thread when the reader is stuck.
TIMEOUT_SECONDS = 15
UNAVAILABLE = (
    "The case check's reader is not running just now (it restarts by itself): try again in "
    "a moment. Nothing of the note was kept."
)

logger = logging.getLogger(__name__)


def read_note(text):
    """The note's facts (`NoteFacts`), read by the reader process when there is one."""
    path = os.environ.get(SOCKET_VARIABLE)
    if not path:
        return read_here(text)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(TIMEOUT_SECONDS)
            connection.connect(path)
            send(connection, {"text": text})
            reply = receive(connection)
    except (OSError, ValueError) as error:
        logger.error("case check reader unavailable: %s", type(error).__name__)
        raise NoteRefused(UNAVAILABLE, status=503) from None
    if "facts" not in reply:
        # The reader failed on this note; it logged where, by type only.
        raise ReaderFailed(reply.get("error", "unknown"))
    return facts_from_json(reply["facts"])


class ReaderFailed(RuntimeError):
    """The reader process failed on a note; the message is the error's type only."""


def read_here(text):
    from codes.casecheck.facts import read
    from codes.casecheck.pipeline import get_pipeline

    return read(get_pipeline()(text))


# The facts as JSON and back ------------------------------------------------------------


def facts_to_json(facts):
    return asdict(facts)


def facts_from_json(data):
    def finding(item):
        return Finding(**{**item, "evidence": Evidence(**item["evidence"])})

    return NoteFacts(
        findings=[finding(item) for item in data["findings"]],
        not_counted=[finding(item) for item in data["not_counted"]],
        words=data["words"],
    )


# Messages: a 4-byte length, then that many bytes of JSON ---------------------------------


def send(connection, message):
    # ASCII JSON: a lone surrogate in a pasted note travels as an escape, not an error.
    body = json.dumps(message).encode()
    connection.sendall(struct.pack(">I", len(body)) + body)


def receive(connection):
    (length,) = struct.unpack(">I", receive_exactly(connection, 4))
    if length > MAX_MESSAGE_BYTES:
        raise ValueError("message too large")
    return json.loads(receive_exactly(connection, length))


def receive_exactly(connection, size):
    chunks, left = [], size
    while left:
        chunk = connection.recv(min(left, 65536))
        if not chunk:
            raise ConnectionError("the other side closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


# The reader process ----------------------------------------------------------------------


class ReadOneNote(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(TIMEOUT_SECONDS)
        try:
            text = receive(self.request).get("text")
            if not isinstance(text, str) or len(text) > MAX_NOTE_CHARS:
                raise ValueError("not a note")
            reply = {"facts": facts_to_json(read_here(text))}
        except Exception as error:
            # Never the message or the locals: either could quote the note.
            logger.error("case check reader failed: %s", type(error).__name__)
            reply = {"error": type(error).__name__}
        # An OSError: the web worker gave up waiting and has answered its reader already.
        with contextlib.suppress(OSError):
            send(self.request, reply)


class ReaderServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    request_queue_size = 64


def serve(path):
    """Listen on `path` (owner only), build the pipeline, then read notes until stopped."""
    if os.path.exists(path):
        os.unlink(path)  # a socket left by a reader that was killed
    previous = os.umask(0o177)
    try:
        server = ReaderServer(path, ReadOneNote)
    finally:
        os.umask(previous)
    # Watched from the start: a master that dies while the pipeline builds is noticed too.
    threading.Thread(target=exit_with_parent, args=(os.getppid(),), daemon=True).start()
    # Connections made while the pipeline builds (about a second) wait in the queue.
    from codes.casecheck.pipeline import get_pipeline

    get_pipeline()
    try:
        server.serve_forever()
    finally:
        server.server_close()
        if os.path.exists(path):
            os.unlink(path)


def exit_with_parent(parent):
    """A master killed outright cannot stop its reader: the reader stops when orphaned."""
    while os.getppid() == parent:
        time.sleep(2)
    os.kill(os.getpid(), signal.SIGTERM)


def stop(signum, frame):
    raise SystemExit(0)  # unwinds through serve(): the socket file is removed


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="[casecheck reader] %(message)s")
    if len(sys.argv) != 2:
        sys.exit("usage: python -m codes.casecheck.reader SOCKET_PATH")
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    serve(sys.argv[1])
