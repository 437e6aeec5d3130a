"""Read CMS's medically unlikely edits table (`MCR_MUE_PractitionerServices_Eff_07-01-2024.csv`):
a copyright line, then a header (its first cell may hold a line break), then one row per
code. The adjudication indicator cell is a digit and its label ("3 Date of Service Edit:
Clinical"); the digit is the indicator.
"""

import datetime
import re

from codes.cms.pprrvu import ReleaseFacts
from codes.cms.tables import Column, Table, checked_code

WHAT = "an MUE table"
COLUMNS = (
    Column("hcpcs", ("HCPCS/CPT Code", "HCPCS")),
    Column("units", ("Practitioner Services MUE Value", "MUE Value")),
    Column("adjudication_indicator", ("MUE Adjudication Indicator",)),
    Column("rationale", ("MUE Rationale",), required=False),
)
FIELDS = ("hcpcs", "units", "adjudication_indicator", "rationale")
INDICATORS = {"1", "2", "3"}
FILE_NAME_RE = re.compile(r"MUE.*?(?:Eff|effective)[_ -]?(\d\d)-(\d\d)-(\d{4})", re.I)
MAX_UNITS = 1_000_000


def looks_like_mue(name):
    return "mue" in name.lower() and name.lower().endswith((".csv", ".txt"))


def release_from_name(name):
    """MCR_MUE_PractitionerServices_Eff_07-01-2024.csv → MUE-2024-07-01, from that day."""
    match = FILE_NAME_RE.search(name)
    if not match:
        return ReleaseFacts()
    month, day, year = (int(part) for part in match.groups())
    try:
        effective = datetime.date(year, month, day)
    except ValueError:
        return ReleaseFacts()
    return ReleaseFacts(label=f"MUE-{effective.isoformat()}", effective_from=effective)


def read(name, stream):
    """Yield (line, row tuple) for every code of an MUE table; raise CmsFileError on a bad one."""
    table = Table(name, stream, COLUMNS, what=WHAT)
    at = table.positions
    rationale = at.get("rationale")
    for line, cells in table.rows():
        code = checked_code(table, line, cells[at["hcpcs"]], "HCPCS code")
        table.once(code, line)
        units = cells[at["units"]].strip().replace(",", "")
        if not units.isdigit() or int(units) > MAX_UNITS:
            raise table.error(line, f"MUE value “{units[:20]}” for {code} is not a whole number")
        indicator = cells[at["adjudication_indicator"]].strip()
        if indicator[:1] not in INDICATORS or (len(indicator) > 1 and indicator[1].isdigit()):
            raise table.error(
                line,
                f"MUE adjudication indicator “{indicator[:30]}” for {code} does not start "
                "with 1, 2 or 3",
            )
        yield (
            line,
            (
                code,
                int(units),
                indicator[0],
                cells[rationale].strip() if rationale is not None else "",
            ),
        )
