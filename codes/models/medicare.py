"""Facts CMS publishes, imported by release and never retyped: the Physician Fee Schedule's
rows per HCPCS code and modifier, and the Medicare localities with their cost indices.

Every imported row belongs to a `Release`, which names the file it came from (with its
SHA-256), when CMS released it, when it takes effect and who imported it. Pages show the
newest release in effect (`Release.objects.current()`).
"""

import datetime

from django.db import models
from django.db.models import Q
from django.urls import reverse


class ReleaseKind(models.TextChoices):
    FEE_SCHEDULE = "pfs", "Physician Fee Schedule relative values"
    NCCI_PTP = "ncci_ptp", "NCCI procedure-to-procedure edits"
    MUE = "mue", "Medically unlikely edits"
    ADD_ON = "add_on", "Add-on code edits"
    OPPS = "opps", "OPPS Addendum B"
    ICD10CM = "icd10cm", "ICD-10-CM"


class ReleaseQuerySet(models.QuerySet):
    def in_effect(self, kind=ReleaseKind.FEE_SCHEDULE, on=None):
        """Return the releases of a kind that have taken effect, newest first."""
        on = on or datetime.date.today()
        return self.filter(
            Q(effective_from__lte=on) | Q(effective_from__isnull=True), kind=kind, is_complete=True
        ).order_by(
            models.F("effective_from").desc(nulls_last=True),
            models.F("released_on").desc(nulls_last=True),
            "-imported_at",
        )

    def current(self, kind=ReleaseKind.FEE_SCHEDULE, on=None):
        """Return the newest release in effect, or None."""
        return self.in_effect(kind, on).first()


class Release(models.Model):
    """One published edition of a public file set, e.g. CMS's RVU25D."""

    kind = models.CharField(max_length=10, choices=ReleaseKind.choices)
    label = models.CharField(max_length=40, help_text="The publisher's name for it, e.g. RVU25D.")
    released_on = models.DateField(null=True, blank=True)
    effective_from = models.DateField(null=True, blank=True)
    imported_by = models.CharField(max_length=150, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    is_complete = models.BooleanField(
        default=True,
        help_text="False while an importer is still writing the release's rows in batches: "
        "pages keep showing the release before it until the last step sets this.",
    )

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "-effective_from", "-released_on"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "label"], name="release_unique_label"),
        ]

    def __str__(self):
        return self.label

    def get_absolute_url(self):
        return reverse("codes:release-detail", args=[self.label])

    def previous(self):
        """Return the release of the same kind that this one follows, or None."""
        older = Release.objects.filter(kind=self.kind).exclude(pk=self.pk)
        if self.effective_from:
            older = older.filter(
                Q(effective_from__lt=self.effective_from)
                | Q(effective_from=self.effective_from, imported_at__lt=self.imported_at)
            )
        else:
            older = older.filter(imported_at__lt=self.imported_at)
        return older.order_by(
            models.F("effective_from").desc(nulls_last=True), "-imported_at"
        ).first()


class ReleaseFile(models.Model):
    """A file a release was read from, with its SHA-256 so the same bytes are recognised."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=200)
    sha256 = models.CharField("SHA-256", max_length=64)

    class Meta:
        ordering = ["release", "name"]
        constraints = [
            models.UniqueConstraint(fields=["release", "name"], name="releasefile_unique_name"),
        ]
        # Serves the importer's first question: were these exact bytes imported already?
        indexes = [models.Index(fields=["sha256"], name="releasefile_sha256")]

    def __str__(self):
        return f"{self.name} ({self.sha256[:12]}…)"


def rvu_field(verbose_name):
    return models.DecimalField(verbose_name, max_digits=7, decimal_places=2)


class FeeScheduleRowQuerySet(models.QuerySet):
    def for_codes(self, release, codes):
        """Return a release's rows for the codes, without modifier (the global service)."""
        return self.filter(release=release, hcpcs__in=codes, modifier="")


class FeeScheduleRow(models.Model):
    """One row of CMS's PPRRVU file: a HCPCS code (and modifier) in one release.

    The AMA descriptor in CMS's file is never stored here.
    """

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="fee_rows")
    hcpcs = models.CharField("HCPCS code", max_length=5)
    modifier = models.CharField(max_length=2, blank=True)
    status = models.CharField(max_length=1)
    not_used_for_medicare = models.BooleanField(default=False)
    work_rvu = rvu_field("work RVU")
    nonfacility_pe_rvu = rvu_field("non-facility PE RVU")
    nonfacility_na = models.BooleanField("non-facility NA", default=False)
    facility_pe_rvu = rvu_field("facility PE RVU")
    facility_na = models.BooleanField("facility NA", default=False)
    mp_rvu = rvu_field("malpractice RVU")
    nonfacility_total = rvu_field("non-facility total")
    facility_total = rvu_field("facility total")
    pctc = models.CharField("PC/TC indicator", max_length=1)
    global_days = models.CharField(max_length=3)
    preop = models.DecimalField(max_digits=3, decimal_places=2)
    intraop = models.DecimalField(max_digits=3, decimal_places=2)
    postop = models.DecimalField(max_digits=3, decimal_places=2)
    multiple_procedure = models.CharField(max_length=1)
    bilateral = models.CharField(max_length=1)
    assistant = models.CharField(max_length=1)
    co_surgeons = models.CharField(max_length=1)
    team_surgery = models.CharField(max_length=1)
    endoscopic_base = models.CharField(max_length=5, blank=True)
    conversion_factor = models.DecimalField(max_digits=8, decimal_places=4)
    supervision = models.CharField(max_length=2, blank=True)
    calculation_flag = models.CharField(max_length=1, blank=True)
    imaging_family = models.CharField(max_length=2, blank=True)
    opps_nonfacility_pe = rvu_field("non-facility PE used for OPPS")
    opps_facility_pe = rvu_field("facility PE used for OPPS")
    opps_mp = rvu_field("MP used for OPPS")

    objects = FeeScheduleRowQuerySet.as_manager()

    class Meta:
        ordering = ["release", "hcpcs", "modifier"]
        constraints = [
            models.UniqueConstraint(
                fields=["release", "hcpcs", "modifier"], name="feeschedulerow_unique_code"
            ),
        ]

    def __str__(self):
        return f"{self.release.label} {self.hcpcs}{'-' + self.modifier if self.modifier else ''}"


class Locality(models.Model):
    """A Medicare payment locality in one release, with its GPCIs and the counties it covers."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="localities")
    contractor = models.CharField("MAC", max_length=5)
    number = models.CharField("locality number", max_length=2)
    state = models.CharField(max_length=2)
    name = models.CharField(max_length=200)
    work_gpci = models.DecimalField("work GPCI", max_digits=5, decimal_places=3)
    pe_gpci = models.DecimalField("PE GPCI", max_digits=5, decimal_places=3)
    mp_gpci = models.DecimalField("MP GPCI", max_digits=5, decimal_places=3)
    counties = models.TextField(blank=True)

    class Meta:
        ordering = ["release", "state", "name"]
        verbose_name_plural = "localities"
        constraints = [
            models.UniqueConstraint(
                fields=["release", "contractor", "number"], name="locality_unique_key"
            ),
        ]

    def __str__(self):
        return f"{self.state} {self.display_name}"

    @property
    def key(self):
        """The locality's identifier in URLs: MAC and locality number, e.g. 10112-00."""
        return f"{self.contractor}-{self.number}"

    @property
    def display_name(self):
        # CMS marks floors with asterisks in the name; the footnote is not ours to show.
        return self.name.rstrip("*").strip().title()


# NCCI and OPPS: the billing edits ------------------------------------------------------------


class ModifierIndicator(models.TextChoices):
    NOT_ALLOWED = "0", "No modifier bypasses the edit"
    ALLOWED = "1", "A modifier may bypass the edit when the services were truly distinct"
    NOT_APPLICABLE = "9", "Not applicable (the edit was deleted)"


class PtpEditQuerySet(models.QuerySet):
    def touching(self, release, code):
        """Return a release's edits with the code in either column: one query, a UNION of
        the two index searches (an OR would make SQLite read the whole release)."""
        as_column_1 = self.filter(release=release, column_1=code).order_by()
        as_column_2 = self.filter(release=release, column_2=code).exclude(column_1=code).order_by()
        return as_column_1.union(as_column_2, all=True)

    def among(self, release, codes):
        """Return a release's edits between any two of the codes."""
        return self.filter(release=release, column_1__in=codes, column_2__in=codes)


class PtpEdit(models.Model):
    """One row of CMS's practitioner procedure-to-procedure table: when both codes are billed
    for one patient on one day by one provider, the column 2 code is denied unless a modifier
    may bypass the edit and the services were distinct.

    Written by the importer in bulk (2.5 million rows a quarter), never edited.
    """

    # The release's own index is not needed: (release, column_1, column_2) serves it.
    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, related_name="ptp_edits", db_index=False
    )
    column_1 = models.CharField("column 1 code", max_length=5)
    column_2 = models.CharField("column 2 code", max_length=5)
    prior_to_1996 = models.BooleanField("in existence before 1996", default=False)
    # Empty where CMS's file gives no date (the July 2024 copy lost them).
    effective_on = models.DateField(null=True, blank=True)
    deleted_on = models.DateField(null=True, blank=True, help_text="Empty: still in force.")
    modifier_indicator = models.CharField(max_length=1, choices=ModifierIndicator.choices)
    rationale = models.CharField(max_length=200)

    objects = PtpEditQuerySet.as_manager()

    class Meta:
        ordering = ["release", "column_1", "column_2"]
        verbose_name = "PTP edit"
        constraints = [
            models.CheckConstraint(
                condition=Q(modifier_indicator__in=["0", "1", "9"]),
                name="ptpedit_modifier_indicator",
            ),
        ]
        indexes = [
            # The code page's "codes bundled into this one", the pair check, the change report.
            models.Index(fields=["release", "column_1", "column_2"], name="ptpedit_column_1"),
            # The code page's "codes this one is bundled into".
            models.Index(fields=["release", "column_2"], name="ptpedit_column_2"),
        ]

    def __str__(self):
        return f"{self.column_1} / {self.column_2} ({self.release.label})"

    def in_force_on(self, day):
        return self.deleted_on is None or self.deleted_on >= day


class AdjudicationIndicator(models.TextChoices):
    LINE = "1", "Line edit"
    POLICY = "2", "Date of service edit: policy"
    CLINICAL = "3", "Date of service edit: clinical"


class MedicallyUnlikelyEdit(models.Model):
    """CMS's practitioner MUE for a code: the most units one provider may bill for one
    patient (per claim line, or per day), in one release."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="mues")
    hcpcs = models.CharField("HCPCS code", max_length=5)
    units = models.PositiveIntegerField("MUE value")
    adjudication_indicator = models.CharField(
        "MUE adjudication indicator", max_length=1, choices=AdjudicationIndicator.choices
    )
    rationale = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["release", "hcpcs"]
        verbose_name = "medically unlikely edit"
        constraints = [
            models.UniqueConstraint(fields=["release", "hcpcs"], name="mue_unique_code"),
            models.CheckConstraint(
                condition=Q(adjudication_indicator__in=["1", "2", "3"]),
                name="mue_adjudication_indicator",
            ),
        ]

    def __str__(self):
        return f"{self.hcpcs} MUE {self.units} ({self.release.label})"


class AddOnType(models.TextChoices):
    LISTED = "1", "Only with the primary codes CMS lists"
    CONTRACTOR = "2", "Primary codes are set by the Medicare contractor"
    LISTED_AND_CONTRACTOR = "3", "With the listed primaries, or others the contractor allows"


# CMS's placeholder for "primary codes the contractor defines" (type 2).
CONTRACTOR_PRIMARY = "CCCCC"


class AddOnEdit(models.Model):
    """One line of CMS's add-on code list: an add-on code and one primary code it may be
    reported with, in one release."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="add_on_edits")
    add_on = models.CharField("add-on code", max_length=5)
    primary = models.CharField("primary code", max_length=5)
    edit_type = models.CharField("AOC edit type", max_length=1, choices=AddOnType.choices)
    effective_on = models.DateField(null=True, blank=True)
    deleted_on = models.DateField(null=True, blank=True, help_text="Empty: still in force.")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["release", "add_on", "primary"]
        verbose_name = "add-on code edit"
        constraints = [
            models.UniqueConstraint(
                fields=["release", "add_on", "primary"],
                condition=Q(deleted_on__isnull=True),
                name="addonedit_unique_active_pair",
            ),
            models.CheckConstraint(
                condition=Q(edit_type__in=["1", "2", "3"]), name="addonedit_type"
            ),
        ]
        indexes = [
            # The code page's "this add-on goes with" and the add-on facet.
            models.Index(fields=["release", "add_on"], name="addonedit_add_on"),
            # The code page's "add-ons that go with this code" (+69990 among them).
            models.Index(fields=["release", "primary"], name="addonedit_primary"),
        ]

    def __str__(self):
        return f"{self.add_on} with {self.primary} ({self.release.label})"


class OppsStatus(models.Model):
    """One row of OPPS Addendum B: a HCPCS code's status indicator, APC and payment rate
    under the hospital outpatient payment system in one quarter. Status indicator C means
    inpatient only."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="opps_rows")
    hcpcs = models.CharField("HCPCS code", max_length=5)
    status_indicator = models.CharField(max_length=2)
    apc = models.CharField("APC", max_length=5, blank=True)
    relative_weight = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    payment_rate = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    INPATIENT_ONLY = "C"

    class Meta:
        ordering = ["release", "hcpcs"]
        verbose_name = "OPPS Addendum B row"
        constraints = [
            models.UniqueConstraint(fields=["release", "hcpcs"], name="oppsstatus_unique_code"),
            models.CheckConstraint(
                condition=~Q(status_indicator=""), name="oppsstatus_indicator_present"
            ),
        ]

    def __str__(self):
        return f"{self.hcpcs} SI {self.status_indicator} ({self.release.label})"

    @property
    def inpatient_only(self):
        return self.status_indicator == self.INPATIENT_ONLY
