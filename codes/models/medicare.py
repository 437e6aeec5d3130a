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
            Q(effective_from__lte=on) | Q(effective_from__isnull=True), kind=kind
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
