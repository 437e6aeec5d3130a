"""What every CMS file reader shares: finding the files in a file, a folder or a zip,
decoding CMS's Latin-1 text strictly, and one error type that names the file, the line and
the reason."""

import gzip
import hashlib
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath
from typing import BinaryIO

UTF16 = "wrong encoding: this is UTF-16; CMS's files are Latin-1"


class CmsFileError(Exception):
    """A file that cannot be imported, with where and why."""

    def __init__(self, name, line, reason):
        super().__init__(name, line, reason)
        self.name, self.line, self.reason = name, line, reason

    def __str__(self):
        where = f"{self.name}, line {self.line}" if self.line else self.name
        return f"{where}: {self.reason}"


class CmsFileErrors(CmsFileError):
    """Every bad line a check found (`errors`, each a CmsFileError), reported together."""

    def __init__(self, errors, complete=True):
        first = errors[0]
        super().__init__(first.name, first.line, first.reason)
        self.errors, self.complete = list(errors), complete

    def __str__(self):
        if len(self.errors) == 1 and self.complete:
            return str(self.errors[0])
        more = "" if self.complete else " (the check stopped there: fix these and run it again)"
        lines = "\n".join(f"  {error}" for error in self.errors)
        return f"{len(self.errors)} bad lines, nothing stored{more}:\n{lines}"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def decode(name, data):
    """Return the text of a CMS file (Windows-1252, CMS's encoding), or refuse it.

    Every byte but five decodes in Windows-1252, so a file in another encoding is caught by
    what it contains: NUL bytes (UTF-16), a byte-order mark, or an undefined byte.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise CmsFileError(name, 1, UTF16)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise CmsFileError(
            name, line, f"wrong encoding: byte 0x{data[error.start]:02x} is not Latin-1 text"
        ) from None


# Files as a user gives them: one file, a folder, or CMS's zip; any of them gzip-compressed.
# Large files (a quarter of PTP edits is 165 MB) are read as streams, never whole.

CHUNK = 1 << 20


@dataclass(frozen=True)
class GivenFile:
    """A file to import: its name as given, and how to open it (binary, decompressed)."""

    name: str
    opener: Callable[[], BinaryIO] = field(compare=False, repr=False)

    def open(self):
        stream = self.opener()
        if not self.name.lower().endswith(".gz"):
            return stream
        return closing_too(gzip.GzipFile(fileobj=stream, mode="rb"), stream)

    def read_bytes(self):
        with self.open() as stream:
            return stream.read()

    @property
    def plain_name(self):
        """The name without .gz: what the file is."""
        return self.name[:-3] if self.name.lower().endswith(".gz") else self.name

    def sha256(self):
        """The SHA-256 of the bytes as given (compressed, if they came compressed)."""
        digest = hashlib.sha256()
        with self.opener() as stream:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest()


def given_files(path):
    """List the files in a file, a folder or a zip (a zip's members by their base name)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No such file or folder: {path}")
    if path.is_dir():
        return [
            GivenFile(p.name, partial(open, p, "rb"))
            for p in sorted(path.iterdir())
            if p.is_file() and not p.name.startswith(".")
        ]
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
        return [
            GivenFile(PurePosixPath(info.filename).name, partial(open_member, path, info.filename))
            for info in members
            if not PurePosixPath(info.filename).name.startswith(".")
        ]
    return [GivenFile(path.name, partial(open, path, "rb"))]


def open_member(path, member):
    archive = zipfile.ZipFile(path)
    return closing_too(archive.open(member), archive)


def closing_too(stream, underneath):
    """Make closing `stream` close what it reads from too (a file under its decompressor,
    a zip under its member)."""
    close_stream = stream.close

    def close():
        close_stream()
        underneath.close()

    stream.close = close
    return stream


def text_lines(name, stream):
    """Yield a binary stream's lines as text (Windows-1252, CMS's encoding), refusing the
    file at the first line that is not Latin-1 text. Decoded a megabyte of whole lines at a
    time: a quarter of PTP edits is 2.5 million lines."""
    lines_before, rest, first = 0, b"", True
    while True:
        block = stream.read(CHUNK)
        if not block:
            break
        block = rest + block
        cut = block.rfind(b"\n") + 1
        block, rest = block[:cut], block[cut:]
        if not block:
            continue
        if first:
            block, first = opening(name, block), False
        yield from decoded(name, block, lines_before)
        lines_before += block.count(b"\n")
    if rest:
        yield from decoded(name, opening(name, rest) if first else rest, lines_before)


def opening(name, data):
    """The first bytes of a file: refuse UTF-16, drop a UTF-8 byte-order mark."""
    first_line = data[: data.find(b"\n") + 1 or len(data)]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in first_line:
        raise CmsFileError(name, 1, UTF16)
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data


def decoded(name, block, lines_before):
    try:
        text = block.decode("cp1252")
    except UnicodeDecodeError as error:
        line = lines_before + block.count(b"\n", 0, error.start) + 1
        raise CmsFileError(
            name, line, f"wrong encoding: byte 0x{block[error.start]:02x} is not Latin-1 text"
        ) from None
    return io.StringIO(text, newline="\n")
