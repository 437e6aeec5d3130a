"""Read CMS's add-on code edit list (`AOC_V2024Q3-MCR.txt`): one line per add-on code and
primary code, with the edit's type (1: only with the listed primaries; 2: the contractor
names the primaries, written CCCCC; 3: listed primaries and others the contractor allows)
and Julian dates (YYYYDDD). A line with a deletion date is an edit that has ended.
"""

import datetime
import re

from codes.cms.pprrvu import ReleaseFacts
from codes.cms.tables import Column, DateCells, Table, checked_code, julian_date

WHAT = "an add-on code list"
COLUMNS = (
    Column("edit_type", ("AOC_Edit_Type", "AOC Type", "Edit Type")),
    Column("add_on", ("Add-On_Code", "Add-On Code")),
    Column("primary", ("Primary_Code", "Primary Code")),
    Column("add_on_deleted_on", ("AOC_DelDT",), required=False),
    Column("primary_deleted_on", ("Primary_Code_DelDT",), required=False),
    Column("effective_on", ("AOC_Edit_EffDT",), required=False),
    Column("deleted_on", ("AOC_Edit_DelDT",), required=False),
    Column("note", ("Special_Instruction",), required=False),
)
FIELDS = ("add_on", "primary", "edit_type", "effective_on", "deleted_on", "note")
TYPES = {"1", "2", "3"}
FILE_NAME_RE = re.compile(r"AOC_?V?(\d{4})Q([1-4])(?:_(\d+))?", re.I)


def looks_like_aoc(name):
    return bool(FILE_NAME_RE.search(name))


def release_from_name(name):
    """AOC_V2024Q3-MCR.txt → AOC-V2024Q3, from 1 July 2024 (AOC_V2025Q4_01 → AOC-V2025Q4-01)."""
    match = FILE_NAME_RE.search(name)
    if not match:
        return ReleaseFacts()
    year, quarter, revision = match.groups()
    return ReleaseFacts(
        label=f"AOC-V{year}Q{quarter}" + (f"-{revision}" if revision else ""),
        effective_from=datetime.date(int(year), 3 * int(quarter) - 2, 1),
    )


def read(name, stream):
    """Yield (line, row tuple) for every add-on edit; raise CmsFileError on a bad one."""
    table = Table(name, stream, COLUMNS, what=WHAT, key="add_on")
    at = table.positions
    dates = DateCells(table, "Julian date", julian_date, "YYYYDDD")

    def cell(field):
        return cells[at[field]].strip() if field in at else ""

    for line, cells in table.rows():
        add_on = checked_code(table, line, cells[at["add_on"]], "add-on code")
        primary = checked_code(table, line, cells[at["primary"]], "primary code")
        edit_type = cell("edit_type")
        if edit_type not in TYPES:
            raise table.error(line, f"AOC edit type “{edit_type[:20]}” is not 1, 2 or 3")
        ends = [
            dates.parse(line, cell(field))
            for field in ("deleted_on", "primary_deleted_on", "add_on_deleted_on")
        ]
        ended = min((day for day in ends if day), default=None)
        if ended is None:
            table.once((add_on, primary), line, f"{add_on} with {primary}")
        yield (
            line,
            (
                add_on,
                primary,
                edit_type,
                dates.parse(line, cell("effective_on")),
                ended,
                cell("note")[:300],
            ),
        )
