"""The reference content: CPT codes and the vocabulary that describes them.

Every table a fixture seeds has a natural key, so fixture rows are matched by meaning
(a code, a slug, a modifier) and never by a numeric id that an editor's row may already hold.
Invariants are database constraints; visibility lives in `CodeProcedureQuerySet.published()`.
"""

import re

from django.conf import settings
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Substr
from django.db.models.lookups import Exact, In, Range
from django.urls import reverse
from simple_history.models import HistoricalRecords
from simple_history.signals import (
    post_create_historical_m2m_records,
    pre_create_historical_m2m_records,
)
from simple_history.utils import get_m2m_field_name

from codes.rich_text import MARKDOWN_MAX_LENGTH, SUMMARY_MAX_LENGTH

CODE_FORMAT = r"^[0-9]{4}[0-9FTU]$"
CODE_FORMAT_HELP = "Five characters: five digits (64868), or four digits then F, T or U (0001F)."
CODE_FORMAT_RE = re.compile(CODE_FORMAT)


def is_cpt_code(text):
    """Whether `text` has the shape of a CPT code (it may still not exist)."""
    return bool(CODE_FORMAT_RE.fullmatch(text))


code_format_validator = RegexValidator(
    CODE_FORMAT, "A CPT code is five digits, or four digits followed by F, T or U."
)

# The same rule as CODE_FORMAT, written with portable lookups so the constraint works on
# SQLite and PostgreSQL alike (SQLite has no REGEXP unless the client registers one).
CODE_FORMAT_CONDITION = (
    Exact(Length("code"), 5)
    & Range(Substr("code", 1, 1), ("0", "9"))
    & Range(Substr("code", 2, 1), ("0", "9"))
    & Range(Substr("code", 3, 1), ("0", "9"))
    & Range(Substr("code", 4, 1), ("0", "9"))
    & In(Substr("code", 5, 1), list("0123456789FTU"))
)


def markdown_field(help_text="", limit=MARKDOWN_MAX_LENGTH, **options):
    """A Markdown text field with its length limit: the admin's form and the import's
    validation refuse longer text, and the help text tells the editor the limit."""
    return models.TextField(
        max_length=limit,
        validators=[MaxLengthValidator(limit)],
        help_text=f"{help_text} At most {limit:,} characters.".strip(),
        **options,
    )


class SlugNaturalKeyManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class CodeNaturalKeyManager(models.Manager):
    def get_by_natural_key(self, code):
        return self.get(code=code)


class SourceConfidence(models.TextChoices):
    PRIMARY = "primary", "Primary: the publisher's own file or text (CMS, CDC, AMA)"
    SEEN = "seen", "Seen: read by us in a secondary reference"
    RECALLED = "recalled", "Recalled: common knowledge not yet found in a source"
    UNSURE = "unsure", "Unsure: sources disagree or the source is weak"


class Source(models.Model):
    """A published citation that one or more facts on the site rest on."""

    slug = models.SlugField(
        unique=True, help_text="Short stable identifier, e.g. cms-pos-code-set."
    )
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200, blank=True)
    url = models.URLField("address", max_length=500, blank=True)
    accessed_on = models.DateField(null=True, blank=True, help_text="When we last read it.")
    supports = models.TextField(
        blank=True,
        help_text="Which facts this source supports, in a sentence or two.",
    )
    is_third_party = models.BooleanField(
        default=False,
        help_text="Tick for a commercial or secondary reference rather than CMS, the AMA "
        "or a peer-reviewed source. Facts resting only on such a source are shown as "
        "needing verification.",
    )
    confidence = models.CharField(
        max_length=10,
        choices=SourceConfidence.choices,
        default=SourceConfidence.UNSURE,
        help_text="How far a fact resting on this source can be trusted. Primary: CMS's, "
        "CDC's or the AMA's own publication, read by us. Seen: a secondary reference we "
        "read. Recalled or unsure: never state a fact resting only on this source as "
        "certain; show it as not yet verified.",
    )

    objects = SlugNaturalKeyManager()
    history = HistoricalRecords(use_base_model_db=True)

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def natural_key(self):
        return (self.slug,)


class Section(models.Model):
    """A level of the CPT hierarchy, e.g. Surgery > Nervous System > ... > Neurorrhaphy."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    range_start = models.CharField(
        max_length=5, validators=[code_format_validator], help_text=CODE_FORMAT_HELP
    )
    range_end = models.CharField(
        max_length=5, validators=[code_format_validator], help_text=CODE_FORMAT_HELP
    )
    name_verified = models.BooleanField(
        default=False,
        help_text="Tick only when the section's name was checked in a published source.",
    )
    range_verified = models.BooleanField(
        default=False,
        help_text="Tick only when the code range was checked in a published source.",
    )
    description = models.TextField(blank=True)

    objects = SlugNaturalKeyManager()
    history = HistoricalRecords(use_base_model_db=True)

    class Meta:
        ordering = ["range_start", "-range_end"]
        constraints = [
            models.CheckConstraint(
                condition=Q(range_start__lte=models.F("range_end")),
                name="section_range_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.range_start}–{self.range_end})"

    def get_absolute_url(self):
        return reverse("codes:section-detail", args=[self.slug])

    def natural_key(self):
        return (self.slug,)


class Modifier(models.Model):
    """A two-character CPT or HCPCS modifier appended to a code."""

    code = models.CharField(
        max_length=2,
        unique=True,
        validators=[RegexValidator(r"^[0-9A-Z]{2}$", "Two digits or capital letters.")],
    )
    name = models.CharField(max_length=200)
    description = markdown_field("What the modifier tells the payer, in plain words.", blank=True)

    objects = CodeNaturalKeyManager()
    history = HistoricalRecords(use_base_model_db=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Exact(Length("code"), 2), name="modifier_code_two_characters"
            ),
        ]

    def __str__(self):
        return f"{self.code} – {self.name}"

    def get_absolute_url(self):
        return reverse("codes:modifier-detail", args=[self.code])

    def natural_key(self):
        return (self.code,)


class Specialty(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(unique=True)
    description = models.TextField(blank=True)

    objects = SlugNaturalKeyManager()
    history = HistoricalRecords(use_base_model_db=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "specialties"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("codes:specialty-detail", args=[self.slug])

    def natural_key(self):
        return (self.slug,)


class Nerve(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(unique=True)
    cranial_nerve_number = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="1 to 12 for a cranial nerve; leave empty for any other nerve.",
    )
    aliases = models.TextField(
        blank=True,
        help_text="Other words people type for this nerve, one per line "
        "(CN XII, cranial nerve 12, tongue nerve). Search uses them.",
    )
    description = models.TextField(blank=True)

    objects = SlugNaturalKeyManager()
    history = HistoricalRecords(use_base_model_db=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cranial_nerve_number__isnull=True)
                | Q(cranial_nerve_number__gte=1, cranial_nerve_number__lte=12),
                name="nerve_cranial_number_1_to_12",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("codes:nerve-detail", args=[self.slug])

    def natural_key(self):
        return (self.slug,)

    @property
    def alias_list(self):
        return [line.strip() for line in self.aliases.splitlines() if line.strip()]

    @property
    def cranial_nerve_roman(self):
        if self.cranial_nerve_number is None:
            return ""
        numerals = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
        return f"CN {numerals[self.cranial_nerve_number - 1]}"


class PlaceOfService(models.Model):
    """A CMS place-of-service code (two digits) such as 21, inpatient hospital."""

    code = models.CharField(
        max_length=2,
        unique=True,
        validators=[RegexValidator(r"^[0-9]{2}$", "Two digits, e.g. 21.")],
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    objects = CodeNaturalKeyManager()
    history = HistoricalRecords(use_base_model_db=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "place of service"
        verbose_name_plural = "places of service"

    def __str__(self):
        return f"{self.code} – {self.name}"

    def natural_key(self):
        return (self.code,)


class CodeStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    DELETED = "deleted", "Deleted"


class EditorialState(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"


class InpatientOnly(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    UNKNOWN = "unknown", "Not yet verified"


class GlobalPeriod(models.TextChoices):
    UNKNOWN = "", "Not yet verified"
    DAYS_0 = "000", "000 (0 days)"
    DAYS_10 = "010", "010 (10 days)"
    DAYS_90 = "090", "090 (90 days)"
    MMM = "MMM", "MMM (maternity)"
    XXX = "XXX", "XXX (concept does not apply)"
    YYY = "YYY", "YYY (set by the carrier)"
    ZZZ = "ZZZ", "ZZZ (add-on, within another service's global period)"


def sees_drafts(user):
    """Whether a user may read drafts and codes in review (editors), not only published."""
    return user.is_active and user.is_staff and user.has_perm("codes.view_codeprocedure")


class CodeProcedureQuerySet(models.QuerySet):
    def published(self):
        """Return the codes the public may see."""
        return self.filter(editorial_state=EditorialState.PUBLISHED)

    def visible_to(self, user):
        """Return what a user may read: editors also see drafts and codes in review."""
        return self.all() if sees_drafts(user) else self.published()

    def for_list(self):
        """Load what a list row shows: the code, its title, its badges, its section."""
        return self.select_related("section").only(
            "code",
            "title",
            "status",
            "is_add_on",
            "inpatient_only",
            "inpatient_only_verified",
            "editorial_state",
            "section__name",
            "section__slug",
            "section__range_start",
            "section__range_end",
        )

    def nearest_to(self, code, count=3):
        """The codes just below and just above `code` (which need not exist), for a page
        that did not find it: up to `count` on each side, in code order."""
        below = self.for_list().filter(code__lt=code).order_by("-code")[:count]
        above = self.for_list().filter(code__gt=code).order_by("code")[:count]
        return [*reversed(below), *above]

    def in_order_of(self, ids):
        """The codes with these ids, loaded for a result list, in the order given."""
        ids = [int(code_id) for code_id in ids]
        by_id = self.filter(pk__in=ids).for_list().in_bulk()
        return [by_id[code_id] for code_id in ids if code_id in by_id]

    def for_detail_page(self):
        """Load everything the code page shows, in a fixed number of queries."""
        return self.select_related(
            "section",
            "replaced_by",
            "inpatient_only_source",
            "work_rvu_source",
            "reviewed_by",
        ).prefetch_related(
            "examples",
            models.Prefetch(
                "code_modifiers",
                queryset=CodeModifier.objects.select_related("modifier"),
            ),
            "specialties",
            "places_of_service",
            "nerves",
            "sources",
            models.Prefetch(
                "relations",
                queryset=CodeRelation.objects.select_related("to_code").filter(
                    to_code__editorial_state=EditorialState.PUBLISHED
                ),
            ),
            models.Prefetch(
                "incoming_relations",
                queryset=CodeRelation.objects.select_related("from_code").filter(
                    from_code__editorial_state=EditorialState.PUBLISHED
                ),
            ),
        )


class HistoryWithLists(HistoricalRecords):
    """The code's history, recording its many-to-many lists with every entry as
    simple-history does, at a cost of one query a list instead of two, and none for lists
    the saver already knows (`known_lists`).

    simple-history reaches each list's table through the history entry's `instance`,
    which, because `updated_at` is not recorded, reads the code again: four queries per
    saved code for nothing (the list's table is the field's `through`). And it reads every
    list even when the saver knows it, as for a code saved for the first time, whose lists
    are empty: a list row needs the code's id, which it did not have before this save.
    What is recorded is the same rows either way: the history's readers (the history
    page, compare, revert: `codes/history.py`) cannot tell the difference.
    """

    KNOWN = "_history_known_lists"

    @classmethod
    def known_lists(cls, instance, lists):
        """Have the next history entry of `instance` record `lists` without reading them:
        {field name: the list's rows, each {attname: value} of its table's columns}; a
        list not named is empty. Only for what the caller knows stands in the database at
        that save."""
        setattr(instance, cls.KNOWN, lists)

    @classmethod
    def no_lists_yet(cls, instance):
        """Mark a code about to be saved for the first time: its lists are empty."""
        cls.known_lists(instance, {})

    def create_historical_record_m2ms(self, history_instance, instance):
        known = instance.__dict__.pop(self.KNOWN, None)
        for field in history_instance._history_m2m_fields:
            m2m_history_model = self.m2m_models[field]
            through = field.remote_field.through
            if known is not None:
                rows = known.get(field.name, ())
            else:
                names = [f.attname for f in through._meta.fields]
                rows = through.objects.filter(**{get_m2m_field_name(field): instance}).values(
                    *names
                )
            insert_rows = [m2m_history_model(history=history_instance, **row) for row in rows]
            # The same signals as simple-history's own, for any receiver that counts on them.
            pre_create_historical_m2m_records.send(
                sender=m2m_history_model,
                rows=insert_rows,
                history_instance=history_instance,
                instance=instance,
                field=field,
            )
            created_rows = m2m_history_model.objects.bulk_create(insert_rows) if insert_rows else []
            post_create_historical_m2m_records.send(
                sender=m2m_history_model,
                created_rows=created_rows,
                history_instance=history_instance,
                instance=instance,
                field=field,
            )


class CodeProcedureManager(models.Manager.from_queryset(CodeProcedureQuerySet)):
    def get_by_natural_key(self, code):
        return self.get(code=code)


class CodeProcedure(models.Model):
    """One CPT code and everything a coder needs to know about it."""

    # The long texts a coder reads, in page order (Markdown): searched as the document's
    # body, edited together in the admin, required of a complete page.
    PROSE_FIELDS = (
        "summary",
        "plain_language",
        "procedure_description",
        "medical_necessity",
        "documentation",
        "coding_notes",
    )

    code = models.CharField(
        max_length=5,
        unique=True,
        validators=[code_format_validator],
        help_text=CODE_FORMAT_HELP,
    )
    status = models.CharField(max_length=10, choices=CodeStatus.choices, default=CodeStatus.ACTIVE)
    effective_date = models.DateField(
        null=True,
        blank=True,
        help_text="When the code took effect. Leave empty if no source states it.",
    )
    deleted_date = models.DateField(
        null=True, blank=True, help_text="Only for a deleted code: when it was deleted."
    )
    replaced_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaces",
        help_text="Only for a deleted code: the code to report instead.",
    )
    editorial_state = models.CharField(
        max_length=10,
        choices=EditorialState.choices,
        default=EditorialState.DRAFT,
    )
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="codes")
    title = models.CharField(
        max_length=200,
        help_text="Our own short title. Never paste the AMA descriptor here.",
    )
    summary = markdown_field(
        "One or two sentences a coder reads first. Our own words.", limit=SUMMARY_MAX_LENGTH
    )
    plain_language = markdown_field(
        "The procedure explained for someone without clinical training. Markdown.",
        verbose_name="in plain words",
        blank=True,
    )
    procedure_description = markdown_field(
        "What the surgeon does, step by step. Markdown.", blank=True
    )
    medical_necessity = markdown_field("When the procedure is justified. Markdown.", blank=True)
    documentation = markdown_field(
        "What the record must show to support the code. Markdown.",
        verbose_name="documentation requirements",
        blank=True,
    )
    coding_notes = markdown_field(
        "Guidance for coders: neighbouring codes, bundling, pitfalls. Markdown.", blank=True
    )
    search_terms = models.TextField(
        "other words for this procedure",
        blank=True,
        help_text="Words coders or patients use for this procedure that the text above "
        "does not contain, one per line (nerve transfer, coaptation). Search uses them.",
    )
    is_add_on = models.BooleanField(
        "add-on code",
        default=False,
        help_text="Tick for a code reported only in addition to a primary procedure.",
    )
    global_period = models.CharField(
        max_length=3,
        choices=GlobalPeriod.choices,
        blank=True,
        default=GlobalPeriod.UNKNOWN,
        help_text="CMS global surgery days. Leave empty until checked in the fee schedule.",
    )
    work_rvu = models.DecimalField(
        "work RVU",
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Medicare work relative value units, for the year below.",
    )
    work_rvu_year = models.PositiveSmallIntegerField("work RVU year", null=True, blank=True)
    work_rvu_source = models.ForeignKey(
        Source,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    inpatient_only = models.CharField(
        "CMS inpatient-only",
        max_length=10,
        choices=InpatientOnly.choices,
        default=InpatientOnly.UNKNOWN,
        help_text="Medicare's inpatient-only list (OPPS Addendum E). "
        "Leave as not yet verified unless a source says so.",
    )
    inpatient_only_as_of = models.DateField("inpatient-only as of", null=True, blank=True)
    inpatient_only_source = models.ForeignKey(
        Source,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    inpatient_only_verified = models.BooleanField(
        default=False,
        help_text="Tick only after checking the status against CMS's own Addendum E.",
    )
    inpatient_only_note = markdown_field(blank=True)
    specialties_note = models.CharField(
        max_length=300,
        blank=True,
        help_text="Say here when the specialties are an editorial judgement "
        "rather than stated by a source.",
    )
    places_of_service_note = markdown_field(blank=True)
    official_descriptor = models.TextField(
        "official AMA descriptor",
        blank=True,
        help_text="AMA copyright. Leave empty unless this deployment holds a CPT licence.",
    )
    specialties = models.ManyToManyField(Specialty, blank=True, related_name="codes")
    places_of_service = models.ManyToManyField(PlaceOfService, blank=True, related_name="codes")
    nerves = models.ManyToManyField(Nerve, blank=True, related_name="codes")
    sources = models.ManyToManyField(Source, blank=True, related_name="codes")
    last_reviewed_on = models.DateField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    version = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="Goes up by one on every save, so two editors cannot overwrite each "
        "other unawares.",
    )

    objects = CodeProcedureManager()
    history = HistoryWithLists(
        # History goes to the database the row lives in (the benchmark catalogue is a
        # second database; its history must never land in the site's own).
        use_base_model_db=True,
        m2m_fields=[specialties, places_of_service, nerves, sources],
        excluded_fields=["updated_at"],
    )

    class Meta:
        ordering = ["code"]
        verbose_name = "CPT code"
        verbose_name_plural = "CPT codes"
        permissions = [("publish_codeprocedure", "Can publish and unpublish codes")]
        indexes = [
            # Serves the editors' lists of drafts and codes in review. Partial on purpose:
            # almost every code is published, and a full index on the state tempts
            # SQLite's planner to walk it instead of letting the full-text index lead.
            models.Index(
                fields=["editorial_state"],
                condition=~Q(editorial_state=EditorialState.PUBLISHED),
                name="codeprocedure_unpublished",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=CODE_FORMAT_CONDITION, name="codeprocedure_code_format"
            ),
            models.CheckConstraint(
                condition=Q(status=CodeStatus.DELETED)
                | Q(deleted_date__isnull=True, replaced_by__isnull=True),
                name="codeprocedure_only_deleted_has_deletion",
            ),
            models.CheckConstraint(
                condition=Q(deleted_date__isnull=True)
                | Q(effective_date__isnull=True)
                | Q(deleted_date__gte=models.F("effective_date")),
                name="codeprocedure_deleted_after_effective",
            ),
            models.CheckConstraint(
                condition=Q(inpatient_only=InpatientOnly.UNKNOWN)
                | Q(inpatient_only_as_of__isnull=False),
                name="codeprocedure_inpatient_status_dated",
            ),
            models.CheckConstraint(
                condition=~Q(replaced_by=models.F("pk")),
                name="codeprocedure_not_replaced_by_itself",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    def get_absolute_url(self):
        return reverse("codes:code-detail", args=[self.code])

    def natural_key(self):
        return (self.code,)

    @property
    def is_published(self):
        return self.editorial_state == EditorialState.PUBLISHED

    @property
    def is_deleted(self):
        return self.status == CodeStatus.DELETED


class ClinicalExampleManager(models.Manager):
    def get_by_natural_key(self, code, position):
        return self.get(code__code=code, position=position)


class ClinicalExample(models.Model):
    """A short scenario in which the code would be reported."""

    code = models.ForeignKey(CodeProcedure, on_delete=models.CASCADE, related_name="examples")
    position = models.PositiveSmallIntegerField(
        default=1, help_text="Order on the page; 1 comes first."
    )
    title = models.CharField(max_length=200)
    text = markdown_field("The scenario, in our own words. Markdown.")

    objects = ClinicalExampleManager()
    history = HistoricalRecords(use_base_model_db=True)

    class Meta:
        ordering = ["code", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "position"], name="clinicalexample_unique_position"
            ),
        ]

    def __str__(self):
        return f"{self.code.code} example {self.position}: {self.title}"

    def natural_key(self):
        return (*self.code.natural_key(), self.position)

    natural_key.dependencies = ["codes.codeprocedure"]


class CodeModifierManager(models.Manager):
    def get_by_natural_key(self, code, modifier):
        return self.get(code__code=code, modifier__code=modifier)


class CodeModifier(models.Model):
    """A modifier that may apply to a code, and why."""

    code = models.ForeignKey(CodeProcedure, on_delete=models.CASCADE, related_name="code_modifiers")
    modifier = models.ForeignKey(Modifier, on_delete=models.PROTECT, related_name="code_modifiers")
    note = markdown_field("When and why this modifier applies to this code, in a sentence or two.")

    objects = CodeModifierManager()
    history = HistoricalRecords(use_base_model_db=True)

    class Meta:
        ordering = ["code", "modifier"]
        verbose_name = "modifier for a code"
        verbose_name_plural = "modifiers for a code"
        constraints = [
            models.UniqueConstraint(fields=["code", "modifier"], name="codemodifier_unique_pair"),
        ]

    def __str__(self):
        return f"{self.code.code}-{self.modifier.code}"

    def natural_key(self):
        return (self.code.code, self.modifier.code)

    natural_key.dependencies = ["codes.codeprocedure", "codes.modifier"]


class RelationType(models.TextChoices):
    ADD_ON_TO = "add_on_to", "Add-on to"
    ALTERNATIVE = "alternative", "Alternative to"
    SEE_ALSO = "see_also", "See also"


class CodeRelationManager(models.Manager):
    def get_by_natural_key(self, from_code, to_code, relation_type):
        return self.get(
            from_code__code=from_code,
            to_code__code=to_code,
            relation_type=relation_type,
        )


class CodeRelation(models.Model):
    """A typed link from one code to another ("64872 is an add-on to 64864")."""

    from_code = models.ForeignKey(CodeProcedure, on_delete=models.CASCADE, related_name="relations")
    to_code = models.ForeignKey(
        CodeProcedure, on_delete=models.CASCADE, related_name="incoming_relations"
    )
    relation_type = models.CharField(max_length=20, choices=RelationType.choices)
    note = models.CharField(
        max_length=300,
        blank=True,
        help_text="Why a coder would weigh the other code, in one sentence.",
    )
    is_verified = models.BooleanField(
        default=False,
        help_text="Tick only when a published source confirms this pairing.",
    )

    objects = CodeRelationManager()
    history = HistoricalRecords(use_base_model_db=True)

    class Meta:
        ordering = ["from_code", "relation_type", "to_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["from_code", "to_code", "relation_type"],
                name="coderelation_unique_link",
            ),
            models.CheckConstraint(
                condition=~Q(from_code=models.F("to_code")),
                name="coderelation_not_to_itself",
            ),
        ]

    def __str__(self):
        return (
            f"{self.from_code.code} {self.get_relation_type_display().lower()} {self.to_code.code}"
        )

    def natural_key(self):
        return (self.from_code.code, self.to_code.code, self.relation_type)

    natural_key.dependencies = ["codes.codeprocedure"]
