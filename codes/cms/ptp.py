"""Read CMS's practitioner procedure-to-procedure (PTP) edit files (`ccipra-v302r0-f1.TXT`
…`-f4`): tab-separated, a copyright line and a header (possibly over several rows) above one
edit per line. Rows are streamed: a quarter is 2.5 million of them.

Each row is a tuple in `FIELDS` order, dates as ISO text (None for "no date"), ready for a
bulk insert. An empty effective date is accepted (the July 2024 copy lost them all).
"""

import datetime
import re

from codes.cms.pprrvu import ReleaseFacts
from codes.cms.tables import HCPCS_RE, Column, DateCells, Table, checked_code

WHAT = "a PTP edit file"
COLUMNS = (
    Column("column_1", ("Column 1",), exact=True),
    Column("column_2", ("Column 2",), exact=True),
    Column("prior_to_1996", ("*=in existence prior to 1996", "*=in existence"), required=False),
    Column("effective_on", ("Effective Date", "Effective")),
    Column("deleted_on", ("Deletion Date", "Deletion")),
    Column("modifier_indicator", ("Modifier",)),
    Column("rationale", ("PTP Edit Rationale", "PTP Edit", "Rationale")),
)
FIELDS = (
    "column_1",
    "column_2",
    "prior_to_1996",
    "effective_on",
    "deleted_on",
    "modifier_indicator",
    "rationale",
)
MODIFIER_INDICATORS = {"0", "1", "9"}
FILE_NAME_RE = re.compile(r"cci(pra|oph)-?v(\d)(\d)(\d)r(\d+)", re.I)


def looks_like_ptp(name):
    return bool(FILE_NAME_RE.search(name))


def release_from_name(name):
    """ccipra-v302r0 → ("PTP-v302r0", 1 July 2024): version NN Q is year 1994 + NN, quarter
    Q + 1 (CMS's numbering); r is the revision within the quarter."""
    match = FILE_NAME_RE.search(name)
    if not match:
        return ReleaseFacts()
    tens, units, quarter, revision = match.group(2, 3, 4, 5)
    if not 0 <= int(quarter) <= 3:
        return ReleaseFacts()
    year = 1994 + int(tens + units)
    setting = "" if match.group(1).lower() == "pra" else "OPH-"
    return ReleaseFacts(
        label=f"PTP-{setting}v{tens}{units}{quarter}r{revision}",
        effective_from=datetime.date(year, 3 * int(quarter) + 1, 1),
    )


def read(name, stream):
    """Yield (line, row tuple) for every edit of a PTP file; raise CmsFileError on a bad one."""
    table = Table(name, stream, COLUMNS, what=WHAT, key="column_1")
    at = table.positions
    c1, c2, eff, dele, mod, why = (
        at["column_1"],
        at["column_2"],
        at["effective_on"],
        at["deleted_on"],
        at["modifier_indicator"],
        at["rationale"],
    )
    prior = at.get("prior_to_1996")
    effective = DateCells(table, "effective date")
    deleted = DateCells(table, "deletion date")
    rationales = {}
    match = HCPCS_RE.match
    for line, cells in table.rows():
        first, second, indicator = cells[c1], cells[c2], cells[mod].strip()
        if not match(first):
            first = checked_code(table, line, first, "column 1 code")
        if not match(second):
            second = checked_code(table, line, second, "column 2 code")
        if indicator not in MODIFIER_INDICATORS:
            raise table.error(
                line, f"modifier indicator “{indicator[:20]}” is not 0, 1 or 9 ({first}/{second})"
            )
        reason = cells[why]
        reason = rationales.setdefault(reason, reason.strip())
        if not reason:
            raise table.error(line, f"no rationale for {first}/{second}")
        yield (
            line,
            (
                first,
                second,
                prior is not None and cells[prior].strip() == "*",
                effective.parse(line, cells[eff]) if cells[eff] else None,
                deleted.parse(line, cells[dele]),
                indicator,
                reason,
            ),
        )
