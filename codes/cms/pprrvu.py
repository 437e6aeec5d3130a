"""Read CMS's PPRRVU file (the fee schedule's relative values), in its CSV or fixed-width form.

The CSV's columns are found by their header names (CMS stacks each name over several rows),
never by position, so a column CMS adds does not shift the others. The fixed-width form is
read by CMS's record layout. Every row is checked: known indicator values, numbers that are
numbers, totals equal to work + practice expense + malpractice within 0.01. The AMA
descriptor is read only so a licensed deployment can use it; it is never part of a row.
"""

import csv
import datetime
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from codes.cms.files import CmsFileError, CmsFileErrors, decode
from codes.cms.indicators import ALLOWED_VALUES

# Each stored field and the column's stacked header name in the CSV.
COLUMNS = {
    "hcpcs": "HCPCS",
    "modifier": "MOD",
    "status": "STATUS CODE",
    "not_used_for_medicare": "NOT USED FOR MEDICARE PAYMENT",
    "work_rvu": "WORK RVU",
    "nonfacility_pe_rvu": "NON-FAC PE RVU",
    "nonfacility_na": "NON-FAC NA INDICATOR",
    "facility_pe_rvu": "FACILITY PE RVU",
    "facility_na": "FACILITY NA INDICATOR",
    "mp_rvu": "MP RVU",
    "nonfacility_total": "NON-FACILITY TOTAL",
    "facility_total": "FACILITY TOTAL",
    "pctc": "PCTC IND",
    "global_days": "GLOB DAYS",
    "preop": "PRE OP",
    "intraop": "INTRA OP",
    "postop": "POST OP",
    "multiple_procedure": "MULT PROC",
    "bilateral": "BILAT SURG",
    "assistant": "ASST SURG",
    "co_surgeons": "CO-SURG",
    "team_surgery": "TEAM SURG",
    "endoscopic_base": "ENDO BASE",
    "conversion_factor": "CONV FACTOR",
    "supervision": "PHYSICIAN SUPERVISION OF DIAGNOSTIC PROCEDURES",
    "calculation_flag": "CALCULATION FLAG",
    "imaging_family": "DIAGNOSTIC IMAGING FAMILY INDICATOR",
    "opps_nonfacility_pe": "NON-FACILITY PE USED FOR OPPS PAYMENT AMOUNT",
    "opps_facility_pe": "FACILITY PE USED FOR OPPS PAYMENT AMOUNT",
    "opps_mp": "MP USED FOR OPPS PAYMENT AMOUNT",
}
DESCRIPTION = "DESCRIPTION"

# CMS's record layout for the fixed-width form: (first, last) columns, 1-based, inclusive.
LAYOUT = {
    "hcpcs": (1, 5),
    "modifier": (6, 7),
    "description": (8, 57),
    "status": (58, 58),
    "not_used_for_medicare": (59, 59),
    "work_rvu": (60, 65),
    "nonfacility_pe_rvu": (67, 72),
    "nonfacility_na": (73, 74),
    "facility_pe_rvu": (76, 81),
    "facility_na": (82, 83),
    "mp_rvu": (85, 89),
    "nonfacility_total": (91, 96),
    "facility_total": (97, 102),
    "pctc": (103, 103),
    "global_days": (104, 106),
    "preop": (107, 109),
    "intraop": (110, 112),
    "postop": (113, 115),
    "multiple_procedure": (116, 116),
    "bilateral": (117, 117),
    "assistant": (118, 118),
    "co_surgeons": (119, 119),
    "team_surgery": (120, 120),
    "endoscopic_base": (128, 132),
    "conversion_factor": (133, 140),
    "supervision": (142, 143),
    "calculation_flag": (144, 144),
    "imaging_family": (146, 147),
    "opps_nonfacility_pe": (152, 157),
    "opps_facility_pe": (159, 164),
    "opps_mp": (166, 171),
}
FIXED_WIDTH_MIN_LENGTH = 147

DECIMAL_FIELDS = {
    "work_rvu",
    "nonfacility_pe_rvu",
    "facility_pe_rvu",
    "mp_rvu",
    "nonfacility_total",
    "facility_total",
    "preop",
    "intraop",
    "postop",
    "conversion_factor",
    "opps_nonfacility_pe",
    "opps_facility_pe",
    "opps_mp",
}
TOTAL_TOLERANCE = Decimal("0.01")
HCPCS_RE = re.compile(r"^[0-9A-Z]{5}$")
MONTHS = {"JAN": ("A", 1), "APR": ("B", 4), "JUL": ("C", 7), "OCT": ("D", 10)}
MONTH_NAMES = {"JANUARY": "JAN", "APRIL": "APR", "JULY": "JUL", "OCTOBER": "OCT"}
TITLE_RE = re.compile(
    r"(20\d\d) National Physician Fee Schedule Relative Value File (\w+) Release", re.I
)
RELEASED_RE = re.compile(r"RELEASED\s+(\d\d)/(\d\d)/(\d{4})", re.I)
FILE_NAME_RE = re.compile(r"PPRRVU(?:20)?(\d\d)_?(JAN|APR|JUL|OCT)", re.I)


@dataclass
class ReleaseFacts:
    """What a file says about its own release; None where it is silent."""

    label: str | None = None
    released_on: datetime.date | None = None
    effective_from: datetime.date | None = None


@dataclass
class PprrvuFile:
    name: str
    rows: list = field(default_factory=list)
    descriptors: dict = field(default_factory=dict)
    # Where each row came from, for messages: (hcpcs, modifier) -> line number.
    lines: dict = field(default_factory=dict)
    facts: ReleaseFacts = field(default_factory=ReleaseFacts)
    # Every bad line, so that one check names them all.
    errors: list = field(default_factory=list)

    def checked(self):
        """Return the file read, or raise CmsFileErrors naming every bad line."""
        if self.errors:
            raise CmsFileErrors(self.errors)
        return self


def looks_like_pprrvu(name):
    return bool(FILE_NAME_RE.search(name)) and name.lower().endswith((".csv", ".txt"))


def release_from_name(name):
    """Read the release from a name such as PPRRVU2025_Oct.csv (label RVU25D, from 1 October)."""
    match = FILE_NAME_RE.search(name)
    if not match:
        return ReleaseFacts()
    year, month = match.group(1), match.group(2).upper()
    letter, month_number = MONTHS[month]
    return ReleaseFacts(
        label=f"RVU{year}{letter}",
        effective_from=datetime.date(2000 + int(year), month_number, 1),
    )


def read(name, data, on_row=None):
    """Read a PPRRVU file's bytes (CSV or fixed-width); raise CmsFileError if it is not one."""
    text = decode(name, data)
    first = text.lstrip()[:3]
    if first == "HDR" or name.lower().endswith(".txt"):
        return read_fixed_width(name, text, on_row)
    return read_csv(name, text, on_row)


def normalise(name):
    return re.sub(r"-\s+", "-", " ".join(name.upper().split()))


def read_csv(name, text, on_row=None):
    result = PprrvuFile(name)
    reader = csv.reader(io.StringIO(text, newline=""))
    above = []
    header = None
    for row in reader:
        if row and row[0].strip().upper() == "HCPCS":
            header = row
            break
        above.append(row)
        if len(above) > 30:
            break
    if header is None:
        raise CmsFileError(name, None, "not a PPRRVU file: no header row starting with HCPCS")
    header_line = reader.line_num
    result.facts = csv_release_facts(above)
    # A column's name is its cells stacked over the rows above the HCPCS row; preamble
    # rows (the title, the copyright notices, the release date) are not part of it.
    stacked = [row for row in above[-4:] if not is_preamble(row)]
    names = []
    for index, cell in enumerate(header):
        parts = [row[index] for row in stacked if index < len(row)] + [cell]
        names.append(normalise(" ".join(part for part in parts if part.strip())))
    positions = {column: index for index, column in enumerate(names)}
    missing = [column for column in COLUMNS.values() if column not in positions]
    if missing:
        raise CmsFileError(name, header_line, f"missing column {', '.join(missing)}")
    where = {name_: positions[column] for name_, column in COLUMNS.items()}
    description = positions.get(DESCRIPTION)
    width = max(where.values()) + 1
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < width:
            result.errors.append(
                CmsFileError(name, line, f"{len(row)} cells where the header has {width}")
            )
            continue
        values = {name_: row[index].strip() for name_, index in where.items()}
        descriptor = row[description].strip() if description is not None else ""
        add_row(result, line, values, descriptor)
        if on_row:
            on_row()
    return result.checked()


def is_preamble(row):
    text = " ".join(row).upper()
    return "RELEASED" in text or "COPYRIGHT" in text or "RELATIVE VALUE FILE" in text


def csv_release_facts(preamble):
    facts = ReleaseFacts()
    text = "\n".join(" ".join(cell for cell in row if cell.strip()) for row in preamble)
    title = TITLE_RE.search(text)
    if title:
        year, month = title.group(1), MONTH_NAMES.get(title.group(2).upper())
        if month:
            letter, month_number = MONTHS[month]
            facts.label = f"RVU{year[2:]}{letter}"
            facts.effective_from = datetime.date(int(year), month_number, 1)
    released = RELEASED_RE.search(text)
    if released:
        month, day, year = (int(part) for part in released.groups())
        facts.released_on = datetime.date(year, month, day)
    return facts


def read_fixed_width(name, text, on_row=None):
    result = PprrvuFile(name)
    seen_data = False
    for line_number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("HDR") or not line.strip():
            continue
        if len(line.rstrip()) < FIXED_WIDTH_MIN_LENGTH or not HCPCS_RE.match(line[:5]):
            if not seen_data:
                raise CmsFileError(
                    name,
                    line_number,
                    "not a PPRRVU file: the line does not follow CMS's fixed-width record layout",
                )
            result.errors.append(
                CmsFileError(
                    name, line_number, "the line does not follow CMS's fixed-width record layout"
                )
            )
            continue
        seen_data = True
        values = {
            field_name: line[first - 1 : last].strip()
            for field_name, (first, last) in LAYOUT.items()
        }
        descriptor = values.pop("description")
        add_row(result, line_number, values, descriptor)
        if on_row:
            on_row()
    if not seen_data:
        raise CmsFileError(name, None, "not a PPRRVU file: no data records")
    return result.checked()


def add_row(result, line, values, descriptor):
    """Add a checked row to the result, or its fault to the result's errors."""
    try:
        row = clean_row(result.name, line, values)
    except CmsFileError as error:
        result.errors.append(error)
        return
    key = (row["hcpcs"], row["modifier"])
    if key in result.lines:
        result.errors.append(
            CmsFileError(
                result.name,
                line,
                f"{'-'.join(filter(None, key))} repeats line {result.lines[key]}",
            )
        )
        return
    result.lines[key] = line
    result.rows.append(row)
    if descriptor and not row["modifier"]:
        result.descriptors[row["hcpcs"]] = descriptor


def clean_row(name, line, values):
    """Return a row's typed values, or raise CmsFileError saying what is wrong."""
    row = dict(values)
    if not HCPCS_RE.match(row["hcpcs"]):
        raise CmsFileError(name, line, f"HCPCS code “{row['hcpcs']}” is not five letters or digits")
    for field_name in DECIMAL_FIELDS:
        try:
            row[field_name] = Decimal(row[field_name] or "0")
        except InvalidOperation:
            raise CmsFileError(
                name, line, f"{COLUMNS[field_name]} “{values[field_name]}” is not a number"
            ) from None
    for field_name, meanings in ALLOWED_VALUES.items():
        if row[field_name] not in meanings:
            raise CmsFileError(
                name,
                line,
                f"unknown {COLUMNS[field_name]} value “{row[field_name]}” for {row['hcpcs']}",
            )
    for field_name in ("nonfacility_na", "facility_na"):
        if row[field_name] not in {"", "NA"}:
            raise CmsFileError(
                name, line, f"{COLUMNS[field_name]} must be NA or empty, not “{row[field_name]}”"
            )
        row[field_name] = row[field_name] == "NA"
    row["not_used_for_medicare"] = bool(row["not_used_for_medicare"])
    for setting, pe, total in (
        ("non-facility", "nonfacility_pe_rvu", "nonfacility_total"),
        ("facility", "facility_pe_rvu", "facility_total"),
    ):
        parts = row["work_rvu"] + row[pe] + row["mp_rvu"]
        if abs(parts - row[total]) > TOTAL_TOLERANCE:
            raise CmsFileError(
                name,
                line,
                f"{row['hcpcs']}: the {setting} total {row[total]} is not work + PE + MP "
                f"({row['work_rvu']} + {row[pe]} + {row['mp_rvu']} = {parts})",
            )
    return row


def release_from_container(name):
    """Read the release from CMS's zip or folder name, e.g. RVU25D.zip or rvu25d."""
    match = re.search(r"RVU(\d\d)([A-D])(R?)", name or "", re.I)
    if not match:
        return ReleaseFacts()
    year, letter = match.group(1), match.group(2).upper()
    month = {"A": 1, "B": 4, "C": 7, "D": 10}[letter]
    return ReleaseFacts(
        label=f"RVU{year}{letter}{match.group(3).upper()}",
        effective_from=datetime.date(2000 + int(year), month, 1),
    )
