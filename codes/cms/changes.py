"""What changed between two fee-schedule releases: codes added and deleted, status and global
period changes, RVU changes above a threshold and payment-policy indicator changes. The
importer's --dry-run and the release pages both report with it."""

from dataclasses import dataclass, field
from decimal import Decimal

RVU_FIELDS = (
    "work_rvu",
    "nonfacility_pe_rvu",
    "facility_pe_rvu",
    "mp_rvu",
    "nonfacility_total",
    "facility_total",
)
INDICATOR_FIELDS = (
    "pctc",
    "multiple_procedure",
    "bilateral",
    "assistant",
    "co_surgeons",
    "team_surgery",
    "nonfacility_na",
    "facility_na",
)
COMPARED_FIELDS = ("status", "global_days", *RVU_FIELDS, *INDICATOR_FIELDS)
LABELS = {
    "status": "status",
    "global_days": "global period",
    "work_rvu": "work RVU",
    "nonfacility_pe_rvu": "non-facility PE RVU",
    "facility_pe_rvu": "facility PE RVU",
    "mp_rvu": "malpractice RVU",
    "nonfacility_total": "non-facility total",
    "facility_total": "facility total",
    "pctc": "PC/TC indicator",
    "multiple_procedure": "multiple procedure indicator",
    "bilateral": "bilateral indicator",
    "assistant": "assistant-at-surgery indicator",
    "co_surgeons": "co-surgeon indicator",
    "team_surgery": "team surgery indicator",
    "nonfacility_na": "non-facility NA",
    "facility_na": "facility NA",
}


def key_text(key):
    hcpcs, modifier = key
    return f"{hcpcs}-{modifier}" if modifier else hcpcs


@dataclass
class Change:
    field: str
    old: object
    new: object

    @property
    def label(self):
        return LABELS[self.field]

    def __str__(self):
        return f"{self.label} {self.old} → {self.new}"


@dataclass
class ReleaseChanges:
    added: list = field(default_factory=list)
    deleted: list = field(default_factory=list)
    # key -> [Change], one dict per kind of change.
    status: dict = field(default_factory=dict)
    global_days: dict = field(default_factory=dict)
    rvus: dict = field(default_factory=dict)
    indicators: dict = field(default_factory=dict)

    KINDS = ("status", "global_days", "rvus", "indicators")

    @property
    def changed_keys(self):
        return sorted({key for kind in self.KINDS for key in getattr(self, kind)})

    def counts(self):
        return {
            "added": len(self.added),
            "deleted": len(self.deleted),
            **{kind: len(getattr(self, kind)) for kind in self.KINDS},
        }

    def is_empty(self):
        return not any(self.counts().values())

    def for_code(self, key):
        return [change for kind in self.KINDS for change in getattr(self, kind).get(key, [])]

    def only(self, hcpcs_codes):
        """Return the changes that concern the given codes (any modifier)."""

        def keep(keys):
            return [key for key in keys if key[0] in hcpcs_codes]

        def keep_map(changes):
            return {key: value for key, value in changes.items() if key[0] in hcpcs_codes}

        return ReleaseChanges(
            added=keep(self.added),
            deleted=keep(self.deleted),
            **{kind: keep_map(getattr(self, kind)) for kind in self.KINDS},
        )

    def lines(self):
        """Yield one sentence per change, for the command's report."""
        for key in self.added:
            yield f"{key_text(key)} added"
        for key in self.deleted:
            yield f"{key_text(key)} deleted"
        for key in self.changed_keys:
            yield f"{key_text(key)}: " + "; ".join(str(change) for change in self.for_code(key))


def compare(old_rows, new_rows, rvu_threshold=Decimal("0")):
    """Compare {(hcpcs, modifier): {field: value}} mappings of two releases."""
    changes = ReleaseChanges(
        added=sorted(new_rows.keys() - old_rows.keys()),
        deleted=sorted(old_rows.keys() - new_rows.keys()),
    )
    for key in sorted(old_rows.keys() & new_rows.keys()):
        old, new = old_rows[key], new_rows[key]
        for name, fields in (
            ("status", ("status",)),
            ("global_days", ("global_days",)),
            ("indicators", INDICATOR_FIELDS),
        ):
            found = [Change(f, old[f], new[f]) for f in fields if old[f] != new[f]]
            if found:
                getattr(changes, name)[key] = found
        rvus = [
            Change(f, old[f], new[f])
            for f in RVU_FIELDS
            if old[f] != new[f] and abs(new[f] - old[f]) > rvu_threshold
        ]
        if rvus:
            changes.rvus[key] = rvus
    return changes


def rows_by_key(rows):
    """Map plain row dicts (from the reader or from values()) by (hcpcs, modifier)."""
    return {
        (row["hcpcs"], row["modifier"]): {name: row[name] for name in COMPARED_FIELDS}
        for row in rows
    }
