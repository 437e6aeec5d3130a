"""Read OPPS Addendum B (`January 2025 Web Addendum B.12.31.24.csv`): a title and notes above
the header, then one row per HCPCS code with its status indicator (one or two characters:
C, J1, Q2…), APC, relative weight and payment rate. The short descriptor is never read.
Status indicator C means Medicare pays the procedure only as an inpatient service.
"""

import contextlib
import datetime
import re
from decimal import Decimal, InvalidOperation

from codes.cms.pprrvu import ReleaseFacts
from codes.cms.tables import Column, Table, checked_code

WHAT = "an OPPS Addendum B file"
COLUMNS = (
    Column("hcpcs", ("HCPCS Code", "HCPCS")),
    Column("status_indicator", ("SI", "Status Indicator"), exact=True),
    Column("apc", ("APC",), exact=True),
    Column("relative_weight", ("Relative Weight",), required=False),
    Column("payment_rate", ("Payment Rate",), required=False),
)
FIELDS = ("hcpcs", "status_indicator", "apc", "relative_weight", "payment_rate")
SI_RE = re.compile(r"^[A-Z][0-9A-Z]?$")
APC_RE = re.compile(r"^[0-9]{1,5}$")
MONTHS = {"january": 1, "april": 4, "july": 7, "october": 10}
FILE_NAME_RE = re.compile(r"(january|april|july|october)\D{0,12}?((?:19|20)\d\d)", re.I)
YEAR_FIRST_RE = re.compile(r"((?:19|20)\d\d)\D{0,12}?(january|april|july|october)", re.I)
POSTED_RE = re.compile(r"B\.(\d\d)\.(\d\d)\.(\d\d)")


def looks_like_addendum_b(name):
    return bool(re.search(r"addendum[ _]?b", name, re.I))


def release_from_name(name):
    """January 2025 Web Addendum B.12.31.24.csv → OPPS-B-2025-01, from 1 January 2025,
    released 31 December 2024."""
    match = FILE_NAME_RE.search(name)
    if match:
        month, year = match.group(1), match.group(2)
    else:
        match = YEAR_FIRST_RE.search(name)
        if not match:
            return ReleaseFacts()
        year, month = match.group(1), match.group(2)
    month_number = MONTHS[month.lower()]
    facts = ReleaseFacts(
        label=f"OPPS-B-{year}-{month_number:02d}",
        effective_from=datetime.date(int(year), month_number, 1),
    )
    posted = POSTED_RE.search(name)
    if posted:
        month_, day, year_ = (int(part) for part in posted.groups())
        with contextlib.suppress(ValueError):
            facts.released_on = datetime.date(2000 + year_, month_, day)
    return facts


def amount(table, line, text, what, code):
    cleaned = text.strip().replace("$", "").replace(",", "")
    if not cleaned:
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        raise table.error(
            line, f"{what} “{text.strip()[:20]}” for {code} is not a number"
        ) from None


def read(name, stream):
    """Yield (line, row tuple) for every code of Addendum B; raise CmsFileError on a bad one."""
    table = Table(name, stream, COLUMNS, what=WHAT)
    at = table.positions
    for line, cells in table.rows():
        code = checked_code(table, line, cells[at["hcpcs"]], "HCPCS code")
        table.once(code, line)
        indicator = cells[at["status_indicator"]].strip().upper()
        if not SI_RE.match(indicator):
            raise table.error(
                line, f"status indicator “{indicator[:20]}” for {code} is not one or two characters"
            )
        apc = cells[at["apc"]].strip()
        if apc and not APC_RE.match(apc):
            raise table.error(line, f"APC “{apc[:20]}” for {code} is not a number")
        yield (
            line,
            (
                code,
                indicator,
                apc,
                amount(table, line, cells[at["relative_weight"]], "relative weight", code)
                if "relative_weight" in at
                else None,
                amount(table, line, cells[at["payment_rate"]], "payment rate", code)
                if "payment_rate" in at
                else None,
            ),
        )
