"""Read CMS's LOCCO file: which counties each Medicare locality covers.

CMS writes the contractor and locality numbers without their leading zeros in the CSV
(2102 for 02102, 0 for 00), names the state only on a state's first row and sometimes
lists one locality on two rows; the counties of such rows are joined.
"""

import csv
import io
import re

from codes.cms.files import CmsFileError, decode


def looks_like_locco(name):
    return bool(re.search(r"\d\dLOCCO\.(csv|txt)$", name, re.I))


def read(name, data):
    """Return {(contractor, locality number): counties}."""
    text = decode(name, data)
    pairs = read_fixed_width(text) if name.lower().endswith(".txt") else read_csv(name, text)
    counties = {}
    for key, text_ in pairs:
        counties.setdefault(key, [])
        if text_ and text_ not in counties[key]:
            counties[key].append(text_)
    if not counties:
        raise CmsFileError(name, None, "not a LOCCO file: no localities found")
    return {key: "; ".join(parts) for key, parts in counties.items()}


def read_csv(name, text):
    reader = csv.reader(io.StringIO(text, newline=""))
    header = None
    for row in reader:
        if any(cell.strip().lower() == "counties" for cell in row):
            header = [cell.strip().lower() for cell in row]
            break
    if header is None:
        raise CmsFileError(name, None, "not a LOCCO file: no header naming the counties")
    try:
        contractor = next(i for i, cell in enumerate(header) if "contractor" in cell)
        number = header.index("locality number")
        counties = header.index("counties")
    except (StopIteration, ValueError):
        raise CmsFileError(
            name, reader.line_num, "missing column: contractor, locality number or counties"
        ) from None
    for row in reader:
        if len(row) > counties and row[contractor].strip().isdigit():
            key = (row[contractor].strip().zfill(5), row[number].strip().zfill(2))
            yield key, " ".join(row[counties].split())


def read_fixed_width(text):
    for line in text.splitlines():
        match = re.match(r"^\s*(\d{4,5})\s+(\d{1,2})\s+(.*)$", line)
        if match:
            parts = re.split(r"\s{3,}", match.group(3).strip())
            yield (match.group(1).zfill(5), match.group(2).zfill(2)), parts[-1] if parts else ""
