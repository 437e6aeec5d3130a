"""What every CMS file reader shares: finding the files in a file, a folder or a zip,
decoding CMS's Latin-1 text strictly, and one error type that names the file, the line and
the reason."""

import gzip
import hashlib
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
        unzipped = gzip.GzipFile(fileobj=stream, mode="rb")
        close_unzipped = unzipped.close

        def close():  # the file closes with its decompressor
            close_unzipped()
            stream.close()

        unzipped.close = close
        return unzipped

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
    stream = archive.open(member)
    stream_close = stream.close

    def close():  # the archive closes with its member
        stream_close()
        archive.close()

    stream.close = close
    return stream


def text_lines(name, stream):
    """Yield a binary stream's lines as text (Windows-1252, CMS's encoding), refusing the
    file at the first line that is not Latin-1 text."""
    for number, raw in enumerate(stream, start=1):
        if number == 1:
            if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw:
                raise CmsFileError(
                    name, 1, "wrong encoding: this is UTF-16; CMS's files are Latin-1"
                )
            if raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
        try:
            yield raw.decode("cp1252")
        except UnicodeDecodeError as error:
            raise CmsFileError(
                name, number, f"wrong encoding: byte 0x{raw[error.start]:02x} is not Latin-1 text"
            ) from None
