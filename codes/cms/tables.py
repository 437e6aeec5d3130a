"""Read CMS's delimited tables (NCCI PTP, MUE, the add-on code list, OPPS Addendum B): find
the header by its cells' text past whatever CMS puts above it (a copyright line, a title,
blank rows), locate each column by its name, and stream the rows with their line numbers.

Names are compared with case and every space (line breaks inside a cell too) removed, so
"HCPCS/<line break>CPT Code" is "HCPCS/CPT Code". A column is found by the start of its name:
CMS writes the meaning of the values into some names ("Modifier 0=not allowed 1=allowed…").
"""

import csv
import datetime
import itertools
import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from codes.cms.files import CmsFileError, text_lines

# Lines a check reads past ({file name: line numbers}), so that it goes on to report the next
# bad line after one (codes/cms/edits_import.py: check_file).
SKIPPED_LINES = ContextVar("skipped_lines", default=None)


@contextmanager
def skipping(name, lines):
    token = SKIPPED_LINES.set({name: lines})
    try:
        yield
    finally:
        SKIPPED_LINES.reset(token)


# How far down a file the header may be.
MAX_PREAMBLE_LINES = 40
HCPCS_RE = re.compile(r"^[0-9A-Z]{5}$")


def squeezed(text):
    """A header name without case, spaces, line breaks, underscores or hyphens."""
    return re.sub(r"[\s_-]+", "", text).lower()


@dataclass(frozen=True)
class Column:
    """A column to find: its field, and the starts of the header names it may have."""

    field: str
    names: tuple
    required: bool = True
    exact: bool = False  # short names (SI, APC) must match whole

    def matches(self, header_cell):
        cell = squeezed(header_cell)
        wanted = [squeezed(name) for name in self.names]
        if self.exact:
            return cell in wanted
        return any(cell.startswith(name) for name in wanted)


class Table:
    """A CMS table being read: `positions` maps each field to its column; `rows()` yields
    (line number, cells) for every data row, skipping blank rows and, before the first data
    row, rows continuing the header (their key cell is not a code)."""

    def __init__(self, name, stream, columns, *, what, key="hcpcs"):
        self.name, self.columns, self.what, self.key = name, columns, what, key
        lines = text_lines(name, stream)
        above = list(itertools.islice(lines, MAX_PREAMBLE_LINES))
        delimiter = "\t" if any("\t" in line for line in above) else ","
        self.reader = csv.reader(itertools.chain(above, lines), delimiter=delimiter)
        self.positions = self.find_header()
        self.width = max(self.positions.values()) + 1

    def find_header(self):
        required = [column for column in self.columns if column.required]
        for cells in self.reader:
            if self.reader.line_num > MAX_PREAMBLE_LINES:
                break
            found = {}
            for column in self.columns:
                index = next((i for i, cell in enumerate(cells) if column.matches(cell)), None)
                if index is not None:
                    found[column.field] = index
            if found.get(self.key) is None:
                continue
            missing = [c.names[0] for c in required if c.field not in found]
            if missing:
                raise CmsFileError(
                    self.name,
                    self.reader.line_num,
                    f"not {self.what}: no column {', '.join(missing)} in the header",
                )
            self.header_line = self.reader.line_num
            return found
        raise CmsFileError(
            self.name,
            None,
            f"not {self.what}: no header row naming "
            f"{', '.join(c.names[0] for c in required)} in its first {MAX_PREAMBLE_LINES} lines",
        )

    def rows(self):
        key = self.positions[self.key]
        width = self.width
        reader = self.reader
        started = False
        skipped = (SKIPPED_LINES.get() or {}).get(self.name, ())
        for cells in reader:
            if skipped and reader.line_num in skipped:
                continue
            if len(cells) < width:
                if not any(cell.strip() for cell in cells):
                    continue
                cells = cells + [""] * (width - len(cells))
            if not started:
                if not HCPCS_RE.match(cells[key].strip()):
                    continue  # the header's continuation, or a note under it
                started = True
            yield reader.line_num, cells

    def error(self, line, reason):
        """A fault in one data row: a check reports it and reads on."""
        error = CmsFileError(self.name, line, reason)
        error.in_row = True
        return error

    def once(self, key, line, what=None):
        """Refuse a key (a code, a pair) met on an earlier line of the table."""
        seen = self.__dict__.setdefault("seen", {})
        if key in seen:
            raise self.error(line, f"{what or key} repeats line {seen[key]}")
        seen[key] = line


def checked_code(table, line, text, what):
    """Return a code cell cleaned and checked, or raise CmsFileError."""
    cleaned = text.strip().upper()
    if not HCPCS_RE.match(cleaned):
        raise table.error(line, f"{what} “{text.strip()[:20]}” is not a five-character code")
    return cleaned


def ymd_date(text):
    """YYYYMMDD → date, or ValueError."""
    if len(text) != 8 or not text.isdigit():
        raise ValueError(text)
    return datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))


def julian_date(text):
    """YYYYDDD (CMS's Julian dates in the add-on list) → date, or ValueError."""
    if len(text) != 7 or not text.isdigit() or not 1 <= int(text[4:]) <= 366:
        raise ValueError(text)
    return datetime.date(int(text[:4]), 1, 1) + datetime.timedelta(days=int(text[4:]) - 1)


class DateCells(dict):
    """Date cells as ISO text, each distinct cell parsed once (a PTP quarter has a few
    thousand distinct dates over 2.5 million rows). Empty and `*` are "no date"."""

    def __init__(self, table, what, parse=ymd_date, form="YYYYMMDD"):
        super().__init__({"": None, "*": None})
        self.table, self.what, self.parse_text, self.form = table, what, parse, form

    def parse(self, line, text):
        if text in self:
            return self[text]
        cleaned = text.strip()
        if cleaned in self:
            return self[cleaned]
        try:
            value = self.parse_text(cleaned).isoformat()
        except ValueError:
            raise self.table.error(
                line, f"{self.what} “{cleaned[:20]}” is not a date ({self.form}, or * for none)"
            ) from None
        self[text] = value
        return value
