"""What every CMS file reader shares: decoding CMS's Latin-1 text strictly, and one error
type that names the file, the line and the reason."""

import hashlib


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
        raise CmsFileError(name, 1, "wrong encoding: this is UTF-16; CMS's files are Latin-1")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise CmsFileError(
            name, line, f"wrong encoding: byte 0x{data[error.start]:02x} is not Latin-1 text"
        ) from None
