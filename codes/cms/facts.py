"""The Medicare facts a page shows for a code, from the newest fee-schedule release in effect:
loaded in a fixed number of queries and put into words with codes/cms/indicators.py."""

import threading
from dataclasses import dataclass, field

from django.db.models import Subquery
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from codes.cms import indicators
from codes.cms.payment import is_paid, payments, spread
from codes.models import FeeScheduleRow, Locality, Release

SURGERY_POLICY_NAMES = {
    name for fld, name, _modifiers, _meanings in indicators.POLICY_INDICATORS if fld != "pctc"
}
# Where the bars start in the chart's SVG, after their labels.
CHART_LEFT = 110


def sentence_case_after_colon(text):
    return text[0].lower() + text[1:] if text else text


@dataclass
class MedicareFacts:
    release: Release | None
    row: FeeScheduleRow | None
    localities: list = field(default_factory=list)
    locality: Locality | None = None
    locality_problem: str = ""

    @property
    def covered(self):
        return self.row is not None

    @property
    def global_words(self):
        return indicators.GLOBAL_DAYS[self.row.global_days]

    @property
    def status_words(self):
        return indicators.STATUS[self.row.status]

    @property
    def paid(self):
        return is_paid(self.row)

    @property
    def national(self):
        return payments(self.row)

    @property
    def local(self):
        return payments(self.row, self.locality) if self.locality else None

    @property
    def policies(self):
        """Each payment-policy indicator: (name, modifiers, value, words)."""
        return [
            (name, modifiers, getattr(self.row, fld), meanings[getattr(self.row, fld)])
            for fld, name, modifiers, meanings in indicators.POLICY_INDICATORS
        ]

    @property
    def surgery_policies(self):
        """The indicators a surgeon's claim turns on (all but the professional/technical
        split), for the code page's at-a-glance panel."""
        return [policy for policy in self.policies if policy[0] in SURGERY_POLICY_NAMES]

    def policy_for_modifier(self, modifier_code):
        if not self.row:
            return ""
        text = indicators.policy_for_modifier(modifier_code, self.row)
        return f"CMS: {sentence_case_after_colon(text)}" if text else ""

    @property
    def locality_options(self):
        """The locality picker's <option>s, the chosen one selected: built once per
        release and process (`current_release_and_localities`), joined per request."""
        options = _options_of(self.localities)
        chosen = self.locality.key if self.locality else None
        return mark_safe(
            "".join(
                html.replace("<option ", "<option selected ", 1) if key == chosen else html
                for key, html in options
            )
        )

    @property
    def chart(self):
        """What the code pays in the facility setting across localities, scaled for an SVG."""
        result = spread(self.row, self.localities, self.locality, setting=self.chart_setting)
        if result is None:
            return None
        top = result["highest"][0] or 1
        width = 400

        def scaled(amount):
            return round(float(amount / top) * width, 1)

        bars = [
            ("Lowest", result["lowest"][0], result["lowest"][1]),
            ("Median", result["median"], None),
            ("Highest", result["highest"][0], result["highest"][1]),
        ]
        if result["chosen"]:
            bars.append(("Your locality", result["chosen"][0], result["chosen"][1]))
        return {
            "setting": result["setting"],
            "bars": [
                {
                    "label": label,
                    "amount": amount,
                    "locality": place,
                    "width": scaled(amount),
                    "y": 28 * index,
                    "text_y": 28 * index + 16,
                    "chosen": label == "Your locality",
                }
                for index, (label, amount, place) in enumerate(bars)
            ],
            "ticks": [CHART_LEFT + scaled(amount) for amount in result["all"]],
            # The strip's 109 marks as one piece of SVG, built here: a template loop of
            # four variables each cost more than the rest of the chart.
            "ticks_svg": mark_safe(
                "".join(
                    f'<line x1="{x}" x2="{x}" y1="{28 * len(bars) + 4}" y2="{28 * len(bars) + 20}"'
                    ' class="pay-chart-tick"></line>'
                    for x in (CHART_LEFT + scaled(amount) for amount in result["all"])
                )
            ),
            "left": CHART_LEFT,
            "right": CHART_LEFT + width,
            "height": 28 * len(bars) + 24,
            "strip_top": 28 * len(bars) + 4,
            "strip_middle": 28 * len(bars) + 12,
            "strip_bottom": 28 * len(bars) + 20,
            "count": len(result["all"]),
        }

    @property
    def chart_setting(self):
        # Where CMS marks the non-facility setting NA, the facility amount is the one paid.
        return "facility" if self.row.nonfacility_na else "non_facility"


# A release's localities never change after its import (a re-import replaces the
# release), so each process keeps them, and their <option>s, per (release id, import time):
# once the fee-schedule release in effect is known, its localities cost no query.
_localities = {}
_options = {}
_localities_lock = threading.Lock()


def _option(place):
    return (
        place.key,
        format_html(
            '<option value="{}">{} — {}</option>', place.key, place.state, place.display_name
        ),
    )


def _keep(stamp, localities):
    with _localities_lock:
        if len(_localities) >= 8:  # old releases: keep the memory bounded
            _localities.clear()
            _options.clear()
        _localities[stamp] = localities
        _options[id(localities)] = [_option(place) for place in localities]


def _options_of(localities):
    return _options.get(id(localities)) or [_option(place) for place in localities]


def forget_localities():
    """Drop the kept localities (tests: a rolled-back release's id may come again)."""
    with _localities_lock:
        _localities.clear()
        _options.clear()


def current_release_and_localities():
    """Return the release in effect and the localities to price with: 1 query when this
    process has the release's localities already, else 2."""
    release = Release.objects.current()
    stamp = (release.pk, release.imported_at) if release else None
    kept = _localities.get(stamp)
    if kept is not None:
        return release, kept
    # The newest release in effect that has localities: the current one, unless it came
    # without its GPCI and locality files.
    with_localities = Release.objects.in_effect().filter(localities__isnull=False).values("pk")
    localities = list(
        Locality.objects.filter(release_id=Subquery(with_localities[:1])).order_by("state", "name")
    )
    if localities and localities[0].release_id == release.pk:
        _keep(stamp, localities)
    return release, localities


def find_locality(localities, key):
    """Return (locality, problem) for a ?locality= value; a bad value is a message, not an error."""
    if not key:
        return None, ""
    found = next((place for place in localities if place.key == key), None)
    if found is None:
        return None, (
            f"There is no Medicare locality “{key[:20]}” in this release; "
            "the national amounts are shown. Choose a locality from the list."
        )
    return found, ""


def medicare_facts(code, locality_key=""):
    """Load the Medicare facts for one code (3 queries: release, row, localities)."""
    release, localities = current_release_and_localities()
    row = FeeScheduleRow.objects.for_codes(release, [code]).first() if release is not None else None
    locality, problem = find_locality(localities, locality_key)
    return MedicareFacts(release, row, localities, locality, problem)


def medicare_rows(codes):
    """Return (release, {code: row}) for several codes (2 queries), e.g. for compare."""
    release = Release.objects.current()
    if release is None:
        return None, {}
    rows = FeeScheduleRow.objects.for_codes(release, codes)
    return release, {row.hcpcs: row for row in rows}
