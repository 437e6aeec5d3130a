"""Read CMS's GPCI file: the geographic practice cost indices of each Medicare locality.

The CSV has a title row, a blank row, then a header whose GPCI columns carry the year
("2025 PW GPCI (with 1.0 Floor)"), so columns are found by what their names contain. Rows
that do not start with a contractor number (CMS's footnotes) are not localities.
"""

import csv
import io
import re
from decimal import Decimal, InvalidOperation

from codes.cms.files import CmsFileError, decode

# Each field and a piece of text its column's header contains (case-insensitive).
COLUMNS = {
    "contractor": "contractor",
    "state": "state",
    "number": "locality number",
    "name": "locality name",
    "work_gpci": "pw gpci",
    "pe_gpci": "pe gpci",
    "mp_gpci": "mp gpci",
}
GPCI_FIELDS = ("work_gpci", "pe_gpci", "mp_gpci")
FIXED_WIDTH_RE = re.compile(
    r"^\s*(\d{4,5})\s+([A-Z]{2})\s+(\d{1,2})\s+(.+?)\s+(\d+\.\d+)\s+(\d+\.\d+)\s+(\d+\.\d+)\s*$"
)


def looks_like_gpci(name):
    return bool(re.search(r"GPCI\d{4}\.(csv|txt)$", name, re.I))


def read(name, data):
    """Return the localities as dicts; raise CmsFileError for a file that is not a GPCI file."""
    text = decode(name, data)
    rows = read_fixed_width(name, text) if name.lower().endswith(".txt") else read_csv(name, text)
    if not rows:
        raise CmsFileError(name, None, "not a GPCI file: no localities found")
    seen = {}
    for line, row in rows:
        key = (row["contractor"], row["number"])
        if key in seen:
            raise CmsFileError(name, line, f"locality {'-'.join(key)} repeats line {seen[key]}")
        seen[key] = line
    return [row for _line, row in rows]


def read_csv(name, text):
    reader = csv.reader(io.StringIO(text, newline=""))
    header = None
    for row in reader:
        if any("locality number" in cell.lower() for cell in row):
            header = [cell.strip().lower() for cell in row]
            break
    if header is None:
        raise CmsFileError(name, None, "not a GPCI file: no header naming the locality number")
    header_line = reader.line_num
    where = {}
    for field_name, text_in_name in COLUMNS.items():
        matches = [index for index, cell in enumerate(header) if text_in_name in cell]
        if field_name == "state":
            matches = [index for index, cell in enumerate(header) if cell == "state"]
        if not matches:
            raise CmsFileError(name, header_line, f"missing column {text_in_name!r}")
        where[field_name] = matches[0]
    rows = []
    for row in reader:
        if not row or not row[0].strip().isdigit():
            continue  # blank rows and CMS's footnotes
        values = {field_name: row[index].strip() for field_name, index in where.items()}
        rows.append((reader.line_num, clean(name, reader.line_num, values)))
    return rows


def read_fixed_width(name, text):
    rows = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        match = FIXED_WIDTH_RE.match(line)
        if match:
            values = dict(zip(COLUMNS, match.groups(), strict=True))
            rows.append((line_number, clean(name, line_number, values)))
    return rows


def clean(name, line, values):
    row = dict(values)
    row["contractor"] = row["contractor"].zfill(5)
    row["number"] = row["number"].zfill(2)
    for field_name in GPCI_FIELDS:
        try:
            row[field_name] = Decimal(row[field_name])
        except InvalidOperation:
            raise CmsFileError(
                name, line, f"{field_name.replace('_', ' ')} “{values[field_name]}” is not a number"
            ) from None
    return row
