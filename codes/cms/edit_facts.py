"""The billing edits a page shows for a code, from the newest release in effect of each of
CMS's files (NCCI PTP edits, MUE, the add-on code list, OPPS Addendum B): loaded in a fixed
number of queries however many edits a code has, and put into words for a coder.

What no imported release says stays "not yet verified"; nothing here is copied into a
code's own fields.
"""

import datetime
from dataclasses import dataclass, field
from itertools import groupby

from django.core.cache import cache
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from codes.models import (
    CONTRACTOR_PRIMARY,
    AddOnEdit,
    CodeProcedure,
    MedicallyUnlikelyEdit,
    ModifierIndicator,
    OppsStatus,
    PtpEdit,
    Release,
    ReleaseKind,
)

MICROSCOPE = "69990"
EDIT_KINDS = (ReleaseKind.NCCI_PTP, ReleaseKind.MUE, ReleaseKind.ADD_ON, ReleaseKind.OPPS)

# What each indicator means for a claim, in our words (CMS_FACTS.md 2.3, 2.4).
MODIFIER_WORDS = {
    "0": "No modifier bypasses this edit: billed together, only the column 1 code is paid.",
    "1": "A modifier such as 59 or XE, XS, XP or XU may bypass this edit, but only when the "
    "two services were truly distinct (another session, site, organ, lesion or injury) "
    "and the record shows it.",
    "9": "Not applicable: the edit was deleted.",
}
MODIFIER_SHORT = {"0": "no modifier bypasses it", "1": "a modifier may bypass it", "9": "n/a"}
WHAT_TO_DO = {
    "0": "Report only the column 1 code {c1}; {c2} is not paid with it, whatever the modifier.",
    "1": "{c2} is denied with {c1} unless the services were distinct; then append 59 or an "
    "X modifier (XE, XS, XP, XU) to {c2} and document why.",
    "9": "Nothing: the edit no longer applies.",
}
ADJUDICATION_WORDS = {
    "1": "Line edit: the limit applies to each claim line. Units above it on one line are "
    "denied; further units on separate lines with a modifier (such as 59, or RT and LT) may "
    "be paid when each is documented.",
    "2": "Date of service edit, policy: the limit covers the whole day, every line and claim "
    "together. Units above it are denied, and an appeal will not change that, because the "
    "limit rests on policy or the code's definition.",
    "3": "Date of service edit, clinical: the limit covers the whole day, every line and claim "
    "together. Units above it are denied; an appeal with records showing the extra units "
    "were medically necessary may succeed.",
}
ADD_ON_TYPE_WORDS = {
    "1": "paid only with one of the primary codes CMS lists",
    "2": "CMS lists no primaries: the Medicare contractor decides which codes it goes with",
    "3": "paid with the primary codes CMS lists, or others the Medicare contractor allows",
}


def quarter_start(day):
    return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def is_behind(release, today=None):
    """True when a release took effect before the current quarter (CMS publishes each
    quarter, so a newer one may exist)."""
    today = today or datetime.date.today()
    return bool(
        release and release.effective_from and release.effective_from < quarter_start(today)
    )


def current_edit_releases(on=None):
    """The newest release in effect of each edit kind, in one query: {kind: Release}."""
    on = on or datetime.date.today()
    releases = (
        Release.objects.filter(kind__in=EDIT_KINDS)
        .filter(Q(effective_from__lte=on) | Q(effective_from__isnull=True))
        .order_by("kind", "-effective_from", "-released_on", "-imported_at")
    )
    return {kind: next(group) for kind, group in groupby(releases, key=lambda r: r.kind)}


def in_force(edit, today):
    return edit.deleted_on is None or edit.deleted_on >= today


PTP_FIELDS = (
    "column_1", "column_2", "modifier_indicator", "rationale", "effective_on", "deleted_on",
)  # fmt: skip


@dataclass(slots=True)
class PtpRow:
    """One PTP edit as the code page reads it: a plain row, not a model instance (a code
    has hundreds; building PtpEdit instances for them was a third of the page's time)."""

    column_1: str
    column_2: str
    modifier_indicator: str
    rationale: str
    effective_on: datetime.date | None
    deleted_on: datetime.date | None
    partner: str = ""
    partner_title: str = ""

    def get_modifier_indicator_display(self):
        return ModifierIndicator(self.modifier_indicator).label


def ptp_rows(release, code):
    """A code's PTP edits in a release, as PtpRows. A release's rows are never edited (a
    re-import replaces the release), so they are kept in the shared cache under the
    release's id and import time and read from the database once per code and release."""
    key = f"ptp-rows:{release.pk}:{release.imported_at.timestamp()}:{code}"
    rows = cache.get(key)
    if rows is None:
        rows = list(PtpEdit.objects.touching(release, code).values_list(*PTP_FIELDS))
        cache.set(key, rows, 60 * 60 * 24)
    return [PtpRow(*row) for row in rows]


@dataclass
class EditGroup:
    """PTP edits of one direction and modifier indicator, for a collapsed list."""

    indicator: str
    edits: list

    @property
    def words(self):
        return MODIFIER_WORDS[self.indicator]

    @property
    def lines(self):
        """The group's codes in lines of edits that share a rationale and dates:
        [(rationale, effective_on, deleted_on, codes as HTML)], each code a link when it
        has a page here. One line holds dozens of codes, so the page renders a few lines
        instead of a table row per edit (the full table is on /edits/)."""
        by_facts = {}
        for edit in self.edits:
            facts = (edit.rationale, edit.effective_on, edit.deleted_on)
            by_facts.setdefault(facts, []).append(edit)
        link = reverse("codes:code-detail", args=["00000"])[: -len("00000/")]
        return [
            (*facts, format_html_join(", ", "{}", ((partner_html(e, link),) for e in edits)))
            for facts, edits in by_facts.items()
        ]


def partner_html(edit, link):
    if edit.partner_title:
        return format_html(
            '<a href="{}{}/" title="{}">{}</a>',
            link,
            edit.partner,
            edit.partner_title,
            edit.partner,
        )
    return edit.partner


@dataclass
class Direction:
    """The PTP edits of a code in one direction: in force (grouped by modifier indicator)
    and ended."""

    groups: list = field(default_factory=list)
    ended: list = field(default_factory=list)

    @property
    def count(self):
        return sum(len(group.edits) for group in self.groups)

    @property
    def ended_lines(self):
        """The ended edits in lines of those ended on one day for one rationale:
        [(deleted_on, rationale, "column 1 / column 2" pairs)], newest first."""
        by_facts = {}
        for edit in self.ended:
            pair = f"{edit.column_1} / {edit.column_2}"
            by_facts.setdefault((edit.deleted_on, edit.rationale), []).append(pair)
        return [(*facts, ", ".join(pairs)) for facts, pairs in by_facts.items()]


def directions(edits, code, today):
    """Split a code's edits into (codes bundled into it, codes it is bundled into)."""
    result = {"column_1": Direction(), "column_2": Direction()}
    for side, direction in result.items():
        mine = [edit for edit in edits if getattr(edit, side) == code]
        current = sorted(
            (edit for edit in mine if in_force(edit, today)),
            key=lambda e: (e.modifier_indicator, e.column_2 if side == "column_1" else e.column_1),
        )
        direction.groups = [
            EditGroup(indicator, list(group))
            for indicator, group in groupby(current, key=lambda e: e.modifier_indicator)
        ]
        direction.ended = sorted(
            (edit for edit in mine if not in_force(edit, today)),
            key=lambda e: (e.deleted_on, e.column_1, e.column_2),
            reverse=True,
        )
    return result["column_1"], result["column_2"]


@dataclass
class BillingEdits:
    code: str
    releases: dict
    mue: MedicallyUnlikelyEdit | None = None
    primaries: list = field(default_factory=list)  # add-on rows: this code is the add-on
    add_ons: list = field(default_factory=list)  # add-on rows: this code is the primary
    bundled_into_this: Direction = field(default_factory=Direction)
    this_bundled_into: Direction = field(default_factory=Direction)
    opps: OppsStatus | None = None
    titles: dict = field(default_factory=dict)  # our codes among the partners: code -> title
    today: datetime.date = field(default_factory=datetime.date.today)

    @property
    def ptp_release(self):
        return self.releases.get(ReleaseKind.NCCI_PTP)

    @property
    def mue_release(self):
        return self.releases.get(ReleaseKind.MUE)

    @property
    def add_on_release(self):
        return self.releases.get(ReleaseKind.ADD_ON)

    @property
    def opps_release(self):
        return self.releases.get(ReleaseKind.OPPS)

    @property
    def behind(self):
        """The edit releases older than the current quarter."""
        return [r for r in self.releases.values() if is_behind(r, self.today)]

    @property
    def ptp_count(self):
        """The PTP edits in force with this code in either column."""
        return self.bundled_into_this.count + self.this_bundled_into.count

    @property
    def mue_words(self):
        return ADJUDICATION_WORDS[self.mue.adjudication_indicator] if self.mue else ""

    @property
    def is_add_on(self):
        return bool(self.primaries)

    @property
    def add_on_type_words(self):
        types = sorted({row.edit_type for row in self.primaries})
        return "; ".join(ADD_ON_TYPE_WORDS[t] for t in types)

    @property
    def listed_primaries(self):
        return [row.primary for row in self.primaries if row.primary != CONTRACTOR_PRIMARY]

    @property
    def microscope(self):
        """Whether +69990 may be added under Medicare: "yes", "no" or "" (not known)."""
        if self.code == MICROSCOPE or self.add_on_release is None:
            return ""
        return "yes" if any(r.add_on == MICROSCOPE for r in self.add_ons) else "no"

    @property
    def microscope_edit(self):
        """The PTP edit bundling 69990 into this code, if one is in force."""
        for group in self.bundled_into_this.groups:
            for edit in group.edits:
                if edit.column_2 == MICROSCOPE:
                    return edit
        return None

    @property
    def other_add_ons(self):
        return [r for r in self.add_ons if r.add_on != MICROSCOPE]

    @property
    def inpatient_only(self):
        """ "yes" or "no" from the Addendum B release in effect; "" when none says."""
        if self.opps is None:
            return ""
        return "yes" if self.opps.inpatient_only else "no"


def billing_edits(code, today=None):
    """Load a code's billing edits: 1 query for the releases, then 1 per kind imported (MUE
    row, add-on rows, PTP edits, Addendum B row) and 1 for the titles of our codes among
    the partners."""
    today = today or datetime.date.today()
    releases = current_edit_releases(today)
    facts = BillingEdits(code, releases, today=today)
    if ReleaseKind.MUE in releases:
        facts.mue = MedicallyUnlikelyEdit.objects.filter(
            release=releases[ReleaseKind.MUE], hcpcs=code
        ).first()
    if ReleaseKind.ADD_ON in releases:
        rows = list(
            AddOnEdit.objects.filter(
                Q(add_on=code) | Q(primary=code), release=releases[ReleaseKind.ADD_ON]
            )
            .filter(Q(deleted_on__isnull=True) | Q(deleted_on__gte=today))
            .order_by("add_on", "primary")
        )
        facts.primaries = [row for row in rows if row.add_on == code]
        facts.add_ons = [row for row in rows if row.primary == code]
    edits = []
    if ReleaseKind.NCCI_PTP in releases:
        edits = ptp_rows(releases[ReleaseKind.NCCI_PTP], code)
        facts.bundled_into_this, facts.this_bundled_into = directions(edits, code, today)
    if ReleaseKind.OPPS in releases:
        facts.opps = OppsStatus.objects.filter(
            release=releases[ReleaseKind.OPPS], hcpcs=code
        ).first()
    partners = (
        {e.column_1 for e in edits}
        | {e.column_2 for e in edits}
        | {r.primary for r in facts.primaries}
        | {r.add_on for r in facts.add_ons}
    ) - {code}
    if partners:
        facts.titles = dict(
            CodeProcedure.objects.published().filter(code__in=partners).values_list("code", "title")
        )
    for edit in edits:  # the other code of each edit, with its title if it is ours
        edit.partner = edit.column_2 if edit.column_1 == code else edit.column_1
        edit.partner_title = facts.titles.get(edit.partner, "")
    return facts


@dataclass
class CoveredOn:
    """Where the reference covers a code that has no page of its own: the codes CMS's add-on
    list allows it with (each page's billing edits say so, +69990 under "Operating
    microscope")."""

    code: str
    release: Release | None
    primaries: list  # (code, title) of our published codes

    @property
    def anchor(self):
        return "microscope" if self.code == MICROSCOPE else "billing-edits"


def where_covered(code):
    """Return CoveredOn for an add-on code without a page, or None (2 queries)."""
    release = Release.objects.current(ReleaseKind.ADD_ON)
    if release is None:
        return None
    listed = AddOnEdit.objects.filter(release=release, add_on=code).values("primary")
    primaries = list(
        CodeProcedure.objects.published()
        .filter(code__in=listed)
        .order_by("code")
        .values_list("code", "title")
    )
    return CoveredOn(code, release, primaries) if primaries else None
