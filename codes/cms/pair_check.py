"""Can these codes be billed together? Every PTP edit between the codes given, in both
directions, with what a coder may do about it; add-on codes given without one of their
primaries; units over the MUE. For /edits/, its JSON and compare; a fixed number of queries
however many edits there are."""

import datetime
import re
from dataclasses import dataclass, field

from codes.cms.edit_facts import (
    ADD_ON_TYPE_WORDS,
    ADJUDICATION_WORDS,
    MODIFIER_WORDS,
    WHAT_TO_DO,
    current_edit_releases,
    in_force,
    is_behind,
)
from codes.models import (
    CONTRACTOR_PRIMARY,
    AddOnEdit,
    CodeProcedure,
    MedicallyUnlikelyEdit,
    PtpEdit,
    ReleaseKind,
)

MAX_CODES = 12
MAX_UNITS = 9999
MAX_PARAMETER_LENGTH = 300
SHOWN_PRIMARIES = 8
TOKEN_RE = re.compile(r"^([0-9A-Z]{5})(?:X(\d{1,4}))?$")
EXAMPLE = "e.g. ?codes=64885,64886,69990, or 64910x4 for four units"


class BadCodes(ValueError):
    """The codes given cannot be checked; the message says why, for a 400."""


@dataclass(frozen=True)
class Entry:
    code: str
    units: int | None = None

    def __str__(self):
        return f"{self.code}x{self.units}" if self.units else self.code


def parse_codes(raw):
    """Read "64885, 64886 69990 64910x4" into Entries; raise BadCodes with the reason."""
    raw = raw.strip()
    if not raw:
        raise BadCodes(f"Give the codes to check, {EXAMPLE}.")
    if len(raw) > MAX_PARAMETER_LENGTH:
        raise BadCodes(f"That is too long: give at most {MAX_CODES} codes.")
    entries, seen = [], set()
    for token in filter(None, re.split(r"[\s,;]+", raw.upper())):
        match = TOKEN_RE.match(token)
        if not match:
            raise BadCodes(
                f"“{token[:20]}” is not a code: give five characters, a code and its units "
                f"as 64910x4 ({EXAMPLE})."
            )
        code, units = match.group(1), match.group(2)
        if units is not None and not 1 <= int(units) <= MAX_UNITS:
            raise BadCodes(f"{token}: units must be a whole number from 1 to {MAX_UNITS}.")
        if code in seen:
            raise BadCodes(f"{code} is given twice; give it once, with its units (e.g. {code}x2).")
        seen.add(code)
        entries.append(Entry(code, int(units) if units else None))
    if len(entries) > MAX_CODES:
        raise BadCodes(f"At most {MAX_CODES} codes can be checked at once.")
    return entries


@dataclass
class PairEdit:
    edit: PtpEdit

    @property
    def words(self):
        return MODIFIER_WORDS[self.edit.modifier_indicator]

    @property
    def what_to_do(self):
        return WHAT_TO_DO[self.edit.modifier_indicator].format(
            c1=self.edit.column_1, c2=self.edit.column_2
        )


@dataclass
class AddOnProblem:
    add_on: str
    primaries: list
    edit_type: str

    @property
    def message(self):
        listed = ", ".join(self.primaries[:SHOWN_PRIMARIES])
        if len(self.primaries) > SHOWN_PRIMARIES:
            listed = f"one of {len(self.primaries)} primary codes ({listed}, …)"
        if self.edit_type == "2":
            return (
                f"+{self.add_on}: {ADD_ON_TYPE_WORDS['2']}; check that a primary it allows is "
                "billed with it."
            )
        more = " (or another primary the contractor allows)" if self.edit_type == "3" else ""
        return (
            f"+{self.add_on} is an add-on code, and none of its primary codes is in the list: "
            f"under Medicare it is paid only with {listed}{more}."
        )


@dataclass
class UnitProblem:
    code: str
    units: int
    mue: MedicallyUnlikelyEdit

    @property
    def message(self):
        return (
            f"{self.code}: {self.units} units is over the MUE of {self.mue.units} "
            f"(adjudication indicator {self.mue.adjudication_indicator}). "
            + ADJUDICATION_WORDS[self.mue.adjudication_indicator]
        )


@dataclass
class PairCheck:
    entries: list
    releases: dict
    edits: list = field(default_factory=list)
    ended: list = field(default_factory=list)
    add_on_problems: list = field(default_factory=list)
    unit_problems: list = field(default_factory=list)
    mues: dict = field(default_factory=dict)
    titles: dict = field(default_factory=dict)
    today: datetime.date = field(default_factory=datetime.date.today)

    @property
    def codes(self):
        return [entry.code for entry in self.entries]

    @property
    def behind(self):
        return [r for r in self.releases.values() if is_behind(r, self.today)]

    @property
    def ptp_release(self):
        return self.releases.get(ReleaseKind.NCCI_PTP)

    @property
    def units(self):
        """(entry, its MUE or None) for each code given."""
        return [(entry, self.mues.get(entry.code)) for entry in self.entries]

    @property
    def problem_count(self):
        return len(self.edits) + len(self.add_on_problems) + len(self.unit_problems)


def check(entries, today=None):
    """Check the entries against the releases in effect: 1 query for the releases, then 1
    per kind imported (PTP edits among the codes, their add-on rows, their MUEs) and 1 for
    the titles of our codes."""
    today = today or datetime.date.today()
    releases = current_edit_releases(today)
    result = PairCheck(entries, releases, today=today)
    codes = result.codes
    if ReleaseKind.NCCI_PTP in releases and len(codes) > 1:
        found = PtpEdit.objects.among(releases[ReleaseKind.NCCI_PTP], codes)
        order = {code: index for index, code in enumerate(codes)}
        for edit in sorted(found, key=lambda e: (order[e.column_1], order[e.column_2])):
            (result.edits if in_force(edit, today) else result.ended).append(PairEdit(edit))
    if ReleaseKind.ADD_ON in releases:
        rows = AddOnEdit.objects.filter(release=releases[ReleaseKind.ADD_ON], add_on__in=codes)
        by_add_on = {}
        for row in rows.exclude(deleted_on__lt=today).order_by("add_on", "primary"):
            by_add_on.setdefault(row.add_on, []).append(row)
        for add_on, add_on_rows in by_add_on.items():
            listed = [r.primary for r in add_on_rows if r.primary != CONTRACTOR_PRIMARY]
            if set(listed) & set(codes):
                continue
            edit_type = max(r.edit_type for r in add_on_rows)
            result.add_on_problems.append(AddOnProblem(add_on, listed, edit_type))
    if ReleaseKind.MUE in releases:
        result.mues = {
            mue.hcpcs: mue
            for mue in MedicallyUnlikelyEdit.objects.filter(
                release=releases[ReleaseKind.MUE], hcpcs__in=codes
            )
        }
        for entry in entries:
            mue = result.mues.get(entry.code)
            if entry.units and mue and entry.units > mue.units:
                result.unit_problems.append(UnitProblem(entry.code, entry.units, mue))
    result.titles = dict(
        CodeProcedure.objects.published().filter(code__in=codes).values_list("code", "title")
    )
    return result
