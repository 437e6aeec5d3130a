"""What changed between two releases of CMS's billing edits, for the importer's report.

The small tables (MUE, add-on list, Addendum B) are compared in Python. A quarter of PTP
edits is 2.5 million rows a release, so those are compared in SQL, on the (release,
column 1, column 2) index, and only counted, with the lines that concern codes in this
reference listed.
"""

import datetime
from dataclasses import dataclass, field

from django.db import connection

from codes.models import (
    AddOnEdit,
    CodeProcedure,
    MedicallyUnlikelyEdit,
    OppsStatus,
    PtpEdit,
    ReleaseKind,
)


@dataclass
class EditChanges:
    """Counts by kind of change ("added", "ended", "changed") and a sentence per change
    worth listing."""

    totals: dict = field(default_factory=dict)
    listed: list = field(default_factory=list)

    def counts(self):
        return dict(self.totals)

    def lines(self):
        return iter(self.listed)

    def is_empty(self):
        return not any(self.totals.values())

    def summary(self):
        return ", ".join(f"{count} {name}" for name, count in self.totals.items())


def changes_between(kind, old, new):
    """`new` is a stored release, or (for the small kinds, in a dry run) the rows read from
    its files as field values."""
    if kind == ReleaseKind.NCCI_PTP:
        return ptp_changes(old, new)
    compare = KEYED[kind]
    return keyed_changes(compare(old), compare(new), DESCRIBE[kind])


def values(model, release_or_rows):
    if isinstance(release_or_rows, list):
        return release_or_rows
    return model.objects.filter(release=release_or_rows).values()


def mue_rows(release):
    return {
        row["hcpcs"]: (row["units"], row["adjudication_indicator"])
        for row in values(MedicallyUnlikelyEdit, release)
    }


def add_on_rows(release):
    return {
        (row["add_on"], row["primary"]): row["edit_type"]
        for row in values(AddOnEdit, release)
        if row["deleted_on"] is None
    }


def opps_rows(release):
    return {
        row["hcpcs"]: (row["status_indicator"], row["apc"], row["payment_rate"])
        for row in values(OppsStatus, release)
    }


KEYED = {ReleaseKind.MUE: mue_rows, ReleaseKind.ADD_ON: add_on_rows, ReleaseKind.OPPS: opps_rows}


def describe_mue(code, old, new):
    if old is None:
        return f"{code}: MUE {new[0]} (MAI {new[1]}) added"
    if new is None:
        return f"{code}: MUE removed (was {old[0]}, MAI {old[1]})"
    return f"{code}: MUE {old[0]} (MAI {old[1]}) → {new[0]} (MAI {new[1]})"


def describe_add_on(key, old, new):
    add_on, primary = key
    if old is None:
        return f"{add_on} with {primary}: added (type {new})"
    if new is None:
        return f"{add_on} with {primary}: ended (was type {old})"
    return f"{add_on} with {primary}: type {old} → {new}"


def describe_opps(code, old, new):
    def text(value):
        indicator, apc, rate = value
        return f"SI {indicator}" + (f", APC {apc}" if apc else "") + (f", ${rate}" if rate else "")

    if old is None:
        return f"{code}: added ({text(new)})"
    if new is None:
        return f"{code}: removed (was {text(old)})"
    return f"{code}: {text(old)} → {text(new)}"


DESCRIBE = {
    ReleaseKind.MUE: describe_mue,
    ReleaseKind.ADD_ON: describe_add_on,
    ReleaseKind.OPPS: describe_opps,
}


def keyed_changes(old, new, describe):
    added = sorted(new.keys() - old.keys())
    ended = sorted(old.keys() - new.keys())
    changed = sorted(key for key in old.keys() & new.keys() if old[key] != new[key])
    return EditChanges(
        totals={"added": len(added), "ended": len(ended), "changed": len(changed)},
        listed=[describe(key, None, new[key]) for key in added]
        + [describe(key, old[key], None) for key in ended]
        + [describe(key, old[key], new[key]) for key in changed],
    )


# The pair, then the old indicator (a: the old release's row) and the new one (b).
CHANGED_COLUMNS = "a.column_1, a.column_2, a.modifier_indicator, b.modifier_indicator"
# An edit in force: no deletion date, or one on or after the day the release takes effect.
IN_FORCE = "({t}.deleted_on IS NULL OR {t}.deleted_on >= %s)"


def ptp_changes(old, new, listed_limit=500, new_table=None):
    """Edits in force in `new` and not `old` (added), the reverse (ended), and pairs in force
    in both whose modifier indicator differs (changed). A dry run's rows are in `new_table`
    (a temporary table), under `new`'s id."""
    table = PtpEdit._meta.db_table
    tables = {id(old): table, id(new): new_table or table}
    codes = CodeProcedure._meta.db_table
    day = new.effective_from or old.effective_from
    if day is None:
        day = datetime.date.today()
    day = day.isoformat()

    def missing_from(this, that):
        return (
            f"FROM {tables[id(this)]} a WHERE a.release_id = %s AND {IN_FORCE.format(t='a')} "
            f"AND NOT EXISTS (SELECT 1 FROM {tables[id(that)]} b WHERE b.release_id = %s "
            f"AND b.column_1 = a.column_1 AND b.column_2 = a.column_2 "
            f"AND {IN_FORCE.format(t='b')})",
            [this.pk, day, that.pk, day],
        )

    changed = (
        f"FROM {table} a JOIN {tables[id(new)]} b ON b.release_id = %s "
        "AND b.column_1 = a.column_1 "
        f"AND b.column_2 = a.column_2 AND {IN_FORCE.format(t='b')} "
        f"WHERE a.release_id = %s AND {IN_FORCE.format(t='a')} "
        "AND a.modifier_indicator <> b.modifier_indicator",
        [new.pk, day, old.pk, day],
    )
    in_reference = f"IN (SELECT code FROM {codes})"
    ours = f"AND (a.column_1 {in_reference} OR a.column_2 {in_reference})"
    result = EditChanges()
    with connection.cursor() as cursor:
        for name, (where, params), select, template in (
            ("added", missing_from(new, old), "a.column_1, a.column_2, a.modifier_indicator",
             "{0}/{1}: edit added (modifier indicator {2})"),
            ("ended", missing_from(old, new), "a.column_1, a.column_2, a.modifier_indicator",
             "{0}/{1}: edit no longer in force (modifier indicator was {2})"),
            ("changed", changed, CHANGED_COLUMNS, "{0}/{1}: modifier indicator {2} → {3}"),
        ):  # fmt: skip
            cursor.execute(f"SELECT COUNT(*) {where}", params)
            result.totals[name] = cursor.fetchone()[0]
            cursor.execute(
                f"SELECT DISTINCT {select} {where} {ours} ORDER BY 1, 2 LIMIT {listed_limit}",
                params,
            )
            result.listed.extend(template.format(*row) for row in cursor.fetchall())
    return result
