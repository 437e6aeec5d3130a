"""ICD-10-CM: the official code set by release, and the diagnoses editors link to a CPT code.

`Diagnosis` holds one row per code per release (CDC's tabular list, loaded by
`codes/icd10/loader.py`): a newer release is stored beside the older one, and a code that
a release dropped keeps its rows, marked with the release that deleted it. Pages read the
current release (`Diagnosis.objects.current()`), never the `simple-icd-10-cm` package.

Codes are stored without the dot, upper case ("S0451XA"); `display_code` adds it back.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from codes.icd10 import explain_malformed, lookup, normalise, with_dot
from codes.models.catalogue import CodeProcedure
from codes.models.medicare import Release, ReleaseKind

# Longest ICD-10-CM code: a category, four more characters and the 7th ("S0451XA").
ICD10CM_CODE_LENGTH = 7


class DiagnosisQuerySet(models.QuerySet):
    def current(self):
        """Return the codes of the current ICD-10-CM release (none before one is loaded)."""
        release = Release.objects.in_effect(ReleaseKind.ICD10CM).values("pk")[:1]
        return self.filter(release__in=release)


class Diagnosis(models.Model):
    """One ICD-10-CM code (category or subcategory) in one release, as CDC's tabular list
    gives it. Written only by the loader."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="diagnoses")
    code = models.CharField(max_length=ICD10CM_CODE_LENGTH, help_text="Without the dot.")
    title = models.TextField()
    billable = models.BooleanField(
        help_text="A leaf of the tabular list: valid on a claim. A header is not."
    )
    parent_code = models.CharField(
        max_length=ICD10CM_CODE_LENGTH, blank=True, help_text="Empty for a category."
    )
    chapter = models.CharField(max_length=2)
    chapter_title = models.TextField()
    block = models.CharField(max_length=7, help_text="The range of categories, e.g. G50-G59.")
    block_title = models.TextField()
    # The tabular's notes, each a list of lines, as the release states them on this code
    # (a note stated on an ancestor is read from the ancestor's row).
    inclusion_terms = models.JSONField(default=list, blank=True)
    includes = models.JSONField(default=list, blank=True)
    excludes1 = models.JSONField(default=list, blank=True)
    excludes2 = models.JSONField(default=list, blank=True)
    code_first = models.JSONField(default=list, blank=True)
    code_also = models.JSONField(default=list, blank=True)
    use_additional_code = models.JSONField(default=list, blank=True)
    notes = models.JSONField(default=list, blank=True)
    seventh_characters = models.JSONField(
        default=dict, blank=True, help_text="{character: meaning}, where the release defines them."
    )
    seventh_note = models.TextField(blank=True)
    is_extended = models.BooleanField(
        default=False, help_text="Made from a 7th-character rule (S04.51XA from S04.51)."
    )
    # The words the diagnosis search reads (title and inclusion terms): codes/search.
    # On PostgreSQL the database derives a column Django does not know from this one,
    # `search_words` (migration 0024): changing this field's type needs that column
    # dropped first and generated again.
    search_text = models.TextField()
    deleted_in = models.ForeignKey(
        Release,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deleted_diagnoses",
        help_text="The release that no longer has this code (set on its last release's row).",
    )

    objects = DiagnosisQuerySet.as_manager()

    class Meta:
        ordering = ["release", "code"]
        verbose_name_plural = "diagnoses"
        constraints = [
            models.UniqueConstraint(fields=["code", "release"], name="diagnosis_unique_code"),
        ]
        indexes = [
            # A release's codes by code: look-ups and prefixes ("S04.5").
            models.Index(fields=["release", "code"], name="diagnosis_release_code"),
            # A header's children.
            models.Index(fields=["release", "parent_code"], name="diagnosis_release_parent"),
        ]

    def __str__(self):
        return f"{self.display_code} {self.title}"

    def get_absolute_url(self):
        return reverse("codes:diagnosis-detail", args=[self.display_code])

    @property
    def display_code(self):
        return with_dot(self.code)


class DiagnosisGroup(models.TextChoices):
    """How a code page groups its supporting diagnoses."""

    FACIAL_NERVE = "facial_nerve", "Facial nerve disorders"
    CRANIAL_NERVE = "cranial_nerve", "Other cranial nerve disorders"
    INJURY = "injury", "Nerve injuries"
    MONONEUROPATHY = "mononeuropathy", "Mononeuropathies and plexus disorders"
    BIRTH_INJURY = "birth_injury", "Birth injuries"
    NEOPLASM = "neoplasm", "Neoplasms"
    COMPLICATION = "complication", "Complications of care"
    OTHER = "other", "Other"


class SupportingDiagnosisQuerySet(models.QuerySet):
    def with_release_facts(self):
        """Annotate each link with its code's title and billable flag in the current
        release (None when the release lacks the code), in the same query."""
        current = Diagnosis.objects.current().filter(code=models.OuterRef("diagnosis_code"))
        return self.annotate(
            title=models.Subquery(current.values("title")[:1]),
            billable=models.Subquery(current.values("billable")[:1]),
        )


class SupportingDiagnosisManager(models.Manager.from_queryset(SupportingDiagnosisQuerySet)):
    def get_by_natural_key(self, code, diagnosis_code):
        return self.get(code__code=code, diagnosis_code=diagnosis_code)


class SupportingDiagnosis(models.Model):
    """An ICD-10-CM code that commonly supports a CPT code on a claim: an editor's
    judgement, with a note. The title is read from the current release, never typed."""

    code = models.ForeignKey(
        CodeProcedure, on_delete=models.CASCADE, related_name="supporting_diagnoses"
    )
    diagnosis_code = models.CharField(
        "ICD-10-CM code",
        max_length=ICD10CM_CODE_LENGTH,
        help_text="A billable code of the current release, e.g. G51.0 or S04.51XA.",
    )
    group = models.CharField(max_length=20, choices=DiagnosisGroup.choices)
    note = models.CharField(
        max_length=300,
        blank=True,
        help_text="When this diagnosis supports the procedure, in one sentence.",
    )
    position = models.PositiveSmallIntegerField(
        default=1, help_text="Order within its group; 1 comes first."
    )

    objects = SupportingDiagnosisManager()
    history = HistoricalRecords(use_base_model_db=True)

    class Meta:
        ordering = ["code", "group", "position", "diagnosis_code"]
        verbose_name = "supporting diagnosis"
        verbose_name_plural = "supporting diagnoses"
        constraints = [
            models.UniqueConstraint(
                fields=["code", "diagnosis_code"], name="supportingdiagnosis_unique_pair"
            ),
        ]
        # The diagnosis page's question: which procedures does this code support?
        indexes = [models.Index(fields=["diagnosis_code"], name="supportingdiagnosis_code")]

    def __str__(self):
        return f"{self.code.code} ← {self.display_code}"

    @property
    def display_code(self):
        return with_dot(self.diagnosis_code)

    def clean(self):
        """Refuse a code the current ICD-10-CM release does not have (the admin also
        warns on a header code, which a claim cannot carry)."""
        code = normalise(self.diagnosis_code)
        if code is None:
            raise ValidationError({"diagnosis_code": explain_malformed(self.diagnosis_code)})
        self.diagnosis_code = code
        if code not in lookup([code]):
            raise ValidationError(
                {
                    "diagnosis_code": f"{with_dot(code)} is not a code of the current "
                    "ICD-10-CM release (is `manage.py load_icd10cm` run?). Check the code "
                    f"on /diagnoses/{with_dot(code)}/."
                }
            )

    def natural_key(self):
        return (self.code.code, self.diagnosis_code)

    natural_key.dependencies = ["codes.codeprocedure"]
