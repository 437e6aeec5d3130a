import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction

from codes.models import (
    ClinicalExample,
    CodeModifier,
    CodeProcedure,
    CodeRelation,
    EditorialState,
    InpatientOnly,
    Modifier,
    Nerve,
    PlaceOfService,
    Section,
    Source,
    Specialty,
)
from codes.rich_text import MARKDOWN_MAX_LENGTH, SUMMARY_MAX_LENGTH

pytestmark = pytest.mark.django_db


def new_code(code, **fields):
    section = Section.objects.get(slug="neurorrhaphy")
    return CodeProcedure(code=code, title="T", summary="S", section=section, **fields)


@pytest.mark.parametrize("code", ["64850", "0001F", "0213T", "1234U"])
def test_well_formed_codes_are_accepted(code):
    new_code(code).save()


@pytest.mark.parametrize("code", ["6486", "648688", "6486A", "ABCDE", "0001f", "64 68"])
def test_database_rejects_a_malformed_code(code):
    # PostgreSQL refuses an over-long value before the check constraint (DataError).
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        new_code(code).save()


def test_model_validation_explains_a_malformed_code():
    with pytest.raises(ValidationError, match="four digits followed by F, T or U"):
        new_code("6486X").full_clean()


def test_code_is_unique():
    with pytest.raises(IntegrityError), transaction.atomic():
        new_code("64868").save()


def test_active_code_cannot_carry_a_deletion_date():
    with pytest.raises(IntegrityError), transaction.atomic():
        new_code("64850", deleted_date="2025-01-01").save()


def test_inpatient_status_needs_a_date():
    with pytest.raises(IntegrityError), transaction.atomic():
        new_code("64850", inpatient_only=InpatientOnly.YES).save()


def test_relation_cannot_point_to_itself():
    code = CodeProcedure.objects.get(code="64868")
    with pytest.raises(IntegrityError), transaction.atomic():
        CodeRelation.objects.create(from_code=code, to_code=code, relation_type="see_also")


def test_cranial_nerve_number_is_between_1_and_12():
    with pytest.raises(IntegrityError), transaction.atomic():
        Nerve.objects.create(name="Thirteenth", slug="thirteenth", cranial_nerve_number=13)


def test_section_range_runs_forwards():
    with pytest.raises(IntegrityError), transaction.atomic():
        Section.objects.create(name="Back", slug="back", range_start="64900", range_end="64800")


def test_published_returns_only_published_codes():
    CodeProcedure.objects.filter(code="64868").update(editorial_state=EditorialState.IN_REVIEW)
    codes = set(CodeProcedure.objects.published().values_list("code", flat=True))
    assert "64868" not in codes and "64866" in codes


def test_visible_to_shows_drafts_to_editors_only(django_user_model, draft_code):
    from django.contrib.auth.models import AnonymousUser, Permission

    assert not CodeProcedure.objects.visible_to(AnonymousUser()).filter(pk=draft_code.pk)
    staff_without_role = django_user_model.objects.create_user("x", is_staff=True)
    assert not CodeProcedure.objects.visible_to(staff_without_role).filter(pk=draft_code.pk)
    editor = django_user_model.objects.create_user("y", is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="view_codeprocedure"))
    assert CodeProcedure.objects.visible_to(editor).filter(pk=draft_code.pk).exists()


@pytest.mark.parametrize(
    ("model", "lookup", "text", "url"),
    [
        (CodeProcedure, {"code": "64868"}, "64868 ", "/codes/64868/"),
        (
            Section,
            {"slug": "neurorrhaphy"},
            "Neurorrhaphy (64831",
            "/sections/neurorrhaphy/",
        ),
        (Modifier, {"code": "22"}, "22 – ", "/modifiers/22/"),
        (
            Specialty,
            {"slug": "neurosurgery"},
            "Neurosurgery",
            "/specialties/neurosurgery/",
        ),
        (Nerve, {"slug": "facial-nerve"}, "Facial nerve", "/nerves/facial-nerve/"),
    ],
)
def test_str_and_absolute_url(model, lookup, text, url):
    row = model.objects.get(**lookup)
    assert str(row).lower().startswith(text.lower())
    assert row.get_absolute_url() == url


def test_natural_keys_round_trip():
    for model in [CodeProcedure, Section, Modifier, Specialty, Nerve, PlaceOfService, Source,
                  ClinicalExample, CodeModifier, CodeRelation]:  # fmt: skip
        row = model.objects.first()
        assert row is not None, model
        assert model.objects.get_by_natural_key(*row.natural_key()) == row


def test_nerve_aliases_and_cranial_numeral():
    nerve = Nerve.objects.get(slug="hypoglossal-nerve")
    assert "tongue nerve" in [alias.lower() for alias in nerve.alias_list]
    assert nerve.cranial_nerve_roman == "CN XII"


@pytest.mark.parametrize(
    ("field", "limit"),
    [("summary", SUMMARY_MAX_LENGTH), ("coding_notes", MARKDOWN_MAX_LENGTH)],
)
def test_markdown_fields_refuse_text_past_their_limit_with_the_limit_named(field, limit):
    code = CodeProcedure.objects.get(code="64868")
    setattr(code, field, "a" * (limit + 1))
    with pytest.raises(ValidationError, match=f"at most {limit} characters"):
        code.full_clean()
    assert f"At most {limit:,} characters" in CodeProcedure._meta.get_field(field).help_text


def test_every_markdown_field_has_a_length_limit():
    from codes.models import ClinicalExample, CodeModifier, Modifier

    fields = [
        *(CodeProcedure._meta.get_field(name) for name in CodeProcedure.PROSE_FIELDS),
        CodeProcedure._meta.get_field("inpatient_only_note"),
        CodeProcedure._meta.get_field("places_of_service_note"),
        ClinicalExample._meta.get_field("text"),
        CodeModifier._meta.get_field("note"),
        Modifier._meta.get_field("description"),
    ]
    assert all(field.max_length and field.max_length <= MARKDOWN_MAX_LENGTH for field in fields)


def test_a_code_s_history_entry_records_its_lists_reading_each_once(
    django_assert_num_queries,
):
    from codes.history import lists_at

    code = CodeProcedure.objects.get(code="64868")
    lists = {
        name: sorted(getattr(code, name).values_list("pk", flat=True))
        for name in ("specialties", "places_of_service", "nerves", "sources")
    }
    filled = sum(1 for ids in lists.values() if ids)
    assert filled >= 2  # the test means something only with lists to record
    code.title = "Neurorrhaphy, renamed"
    code._change_reason = "A test renames it."
    # The code's UPDATE, its history entry's INSERT, one SELECT a list and one INSERT a
    # list that has rows. simple-history read the code again before each list (four more).
    with django_assert_num_queries(2 + 4 + filled):
        code.save()
    entry = code.history.first()
    assert entry.history_change_reason == "A test renames it."
    assert {name: sorted(ids) for name, ids in lists_at(entry).items()} == lists


def test_a_new_code_s_first_history_entry_records_its_lists_empty_without_reading_them(
    django_assert_num_queries, django_user_model
):
    from codes import editorial
    from codes.history import lists_at

    user = django_user_model.objects.create_user("author")
    code = new_code("64999")
    # The code's INSERT and its history entry's INSERT: a new code has no list to read.
    with django_assert_num_queries(2):
        editorial.save_edit(code, user, "A new code.", created=True)
    entry = code.history.get()
    assert (entry.history_type, entry.history_user, entry.history_change_reason) == (
        "+", user, "A new code.",
    )  # fmt: skip
    assert lists_at(entry) == {
        "specialties": [], "places_of_service": [], "nerves": [], "sources": [],
    }  # fmt: skip
    # Its next entry, once an editor gives it a list, reads and records it.
    specialty = Specialty.objects.order_by("pk").first()
    code.specialties.set([specialty])
    assert lists_at(code.history.first())["specialties"] == [specialty.pk]
