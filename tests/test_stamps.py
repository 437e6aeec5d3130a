"""A code page's kept article moves only with what it shows (codes/stamps.py): an edit of
one code leaves the other articles kept, however the edit is made.

Every request here carries a parameter the page cache does not know (`n`), so the page is
never stored whole and each request reads the article from the article cache, or renders
it when its stamps have moved."""

import itertools

import pytest
from django.db import connection
from django.db.models import Count, Q

from codes import stamps
from codes.models import (
    AddOnEdit,
    ArticleStamp,
    CodeProcedure,
    CodeRelation,
    EditorialState,
    FeeScheduleRow,
    Nerve,
    PtpEdit,
    RelationType,
    Release,
)
from tests.test_cache import article

pytestmark = pytest.mark.django_db

_requests = itertools.count()


def read(client, code):
    """The article of a code's page, asked with a query string of its own."""
    response = client.get(f"/codes/{code}/", {"n": next(_requests)})
    assert response.status_code == 200
    return article(response)


def published_codes():
    return list(CodeProcedure.objects.published().order_by("code"))


def three_in_a_row():
    """Three new published codes in a row (previous, middle, next), below every other and
    in no CMS edit, so nothing but their order links them."""
    section = CodeProcedure.objects.first().section
    return [
        CodeProcedure.objects.create(
            code=code,
            title=f"Code {code} in a row",
            section=section,
            editorial_state=EditorialState.PUBLISHED,
        )
        for code in ("01001", "01003", "01005")
    ]


def unrelated_pair():
    """Two published codes whose articles show nothing of each other: not neighbours, not
    related, never paired in CMS's edit tables."""
    codes = published_codes()
    paired = {
        frozenset(pair)
        for model, one, other in (
            (PtpEdit, "column_1", "column_2"),
            (AddOnEdit, "add_on", "primary"),
        )
        for pair in model.objects.values_list(one, other)
    } | {
        frozenset(pair)
        for pair in CodeRelation.objects.values_list("from_code__code", "to_code__code")
    }
    for first, second in itertools.combinations(range(len(codes)), 2):
        one, other = codes[first].code, codes[second].code
        if second - first > 1 and frozenset((one, other)) not in paired:
            return codes[first], codes[second]
    raise AssertionError("no two unrelated codes in the catalogue")


def test_an_edit_of_one_code_leaves_another_codes_article_kept(client, django_assert_num_queries):
    edited, other = unrelated_pair()
    kept = read(client, other.code)
    read(client, edited.code)
    edited.summary = "Changed by a save."
    edited.title = "Retitled by a save"
    edited.save()
    with django_assert_num_queries(1):  # the stamps; the article is kept
        assert read(client, other.code) == kept
    assert "Retitled by a save" in read(client, edited.code)
    # And without signals: update(), raw SQL.
    CodeProcedure.objects.filter(pk=edited.pk).update(summary="Changed by update().")
    with django_assert_num_queries(1):
        assert read(client, other.code) == kept
    assert "Changed by update()." in read(client, edited.code)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE codes_codeprocedure SET title = %s WHERE id = %s", ["Raw title", edited.pk]
        )
    with django_assert_num_queries(1):
        assert read(client, other.code) == kept
    assert "Raw title" in read(client, edited.code)


def test_a_neighbours_title_change_shows_on_the_previous_and_next_links(client):
    previous, middle, following = three_in_a_row()
    page = read(client, middle.code)
    assert f"{previous.code} {previous.title}" in page
    assert f"{following.code} {following.title}" in page
    CodeProcedure.objects.filter(pk=previous.pk).update(title="Renamed below, by update()")
    following.title = "Renamed above, by a save"
    following.save()
    page = read(client, middle.code)
    assert f"← {previous.code} Renamed below, by update()" in page
    assert f"{following.code} Renamed above, by a save →" in page


def test_unpublishing_and_publishing_a_code_between_two_changes_their_links(client):
    previous, middle, following = three_in_a_row()
    assert f'rel="next" href="/codes/{middle.code}/"' in read(client, previous.code)
    assert f'rel="prev" href="/codes/{middle.code}/"' in read(client, following.code)
    CodeProcedure.objects.filter(pk=middle.pk).update(editorial_state=EditorialState.DRAFT)
    assert f'rel="next" href="/codes/{following.code}/"' in read(client, previous.code)
    assert f'rel="prev" href="/codes/{previous.code}/"' in read(client, following.code)
    middle.refresh_from_db()
    middle.editorial_state = EditorialState.PUBLISHED
    middle.save()
    assert f'rel="next" href="/codes/{middle.code}/"' in read(client, previous.code)
    assert f'rel="prev" href="/codes/{middle.code}/"' in read(client, following.code)


def test_a_code_inserted_renamed_or_deleted_between_two_changes_their_links(client):
    _, middle, following = three_in_a_row()
    # A free code between the middle one and the next.
    free = next(
        f"{number:05d}"
        for number in range(int(middle.code) + 1, int(following.code))
        if not CodeProcedure.objects.filter(code=f"{number:05d}").exists()
    )
    read(client, middle.code)
    read(client, following.code)
    CodeProcedure.objects.bulk_create(
        [
            CodeProcedure(
                code=free,
                title="Inserted by bulk_create",
                section=middle.section,
                editorial_state=EditorialState.PUBLISHED,
            )
        ]
    )
    assert f"{free} Inserted by bulk_create →" in read(client, middle.code)
    assert f"← {free} Inserted by bulk_create" in read(client, following.code)
    # Renamed away below the previous code: the middle code's next is the following
    # one again, and the code's new neighbours link to it.
    first_published = published_codes()[0]
    read(client, first_published.code)  # kept before the rename, so the rename must move it
    CodeProcedure.objects.filter(code=free).update(code="00001")
    assert f'rel="next" href="/codes/{following.code}/"' in read(client, middle.code)
    assert f'rel="prev" href="/codes/{middle.code}/"' in read(client, following.code)
    assert "← 00001 Inserted by bulk_create" in read(client, first_published.code)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM codes_codeprocedure WHERE code = '00001'")
    assert "00001" not in read(client, first_published.code)


def test_a_relation_added_without_signals_shows_on_both_codes(client):
    first, last = unrelated_pair()
    first_page = read(client, first.code)
    middle = next(
        code
        for code in published_codes()
        if code not in (first, last)
        and f"/codes/{code.code}/" not in first_page
        and f"/codes/{first.code}/" not in read(client, code.code)
    )
    assert f"/codes/{last.code}/" not in read(client, first.code)
    assert f"/codes/{first.code}/" not in read(client, last.code)
    # bulk_create: "first is an add-on to last" shows on both pages.
    CodeRelation.objects.bulk_create(
        [CodeRelation(from_code=first, to_code=last, relation_type=RelationType.ADD_ON_TO)]
    )
    relation = CodeRelation.objects.get(from_code=first, to_code=last)
    assert f'href="/codes/{last.code}/" title="{last.title}"' in read(client, first.code)
    assert f'href="/codes/{first.code}/" title="{first.title}"' in read(client, last.code)
    # update(): now to the middle code instead.
    CodeRelation.objects.filter(pk=relation.pk).update(to_code=middle)
    assert f'href="/codes/{middle.code}/" title="{middle.title}"' in read(client, first.code)
    assert f'href="/codes/{first.code}/" title="{first.title}"' in read(client, middle.code)
    assert f"/codes/{first.code}/" not in read(client, last.code)
    # A related code's title shows on the page that links to it.
    CodeProcedure.objects.filter(pk=middle.pk).update(title="Related, renamed")
    assert f'href="/codes/{middle.code}/" title="Related, renamed"' in read(client, first.code)
    # Raw SQL: gone again.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM codes_coderelation WHERE id = %s", [relation.pk])
    assert f'href="/codes/{middle.code}/" title=' not in read(client, first.code)
    assert f'href="/codes/{first.code}/" title=' not in read(client, middle.code)


def test_a_replacement_code_s_state_shows_on_the_deleted_code(client):
    replacement = CodeProcedure.objects.get(code="64868")
    CodeProcedure.objects.filter(code="64862").update(status="deleted", replaced_by=replacement)
    assert 'Report <a href="/codes/64868/">64868</a> instead' in read(client, "64862")
    CodeProcedure.objects.filter(pk=replacement.pk).update(editorial_state=EditorialState.DRAFT)
    assert 'Report <a href="/codes/64868/">' not in read(client, "64862")


def test_a_vocabulary_rename_shows_on_every_code_page_using_it(client):
    nerve = (
        Nerve.objects.annotate(used=Count("codes", filter=Q(codes__editorial_state="published")))
        .order_by("-used")
        .first()
    )
    codes = list(nerve.codes.published().order_by("code")[:2])
    assert len(codes) == 2
    for code in codes:
        assert nerve.name in read(client, code.code)
    Nerve.objects.filter(pk=nerve.pk).update(name="Renamed nerve, by update()")
    for code in codes:
        assert "Renamed nerve, by update()" in read(client, code.code)


def test_a_cms_release_change_shows(client):
    assert "RVU25D" in read(client, "64868")
    row = FeeScheduleRow.objects.get(release__label="RVU25D", hcpcs="64868", modifier="")
    FeeScheduleRow.objects.filter(pk=row.pk).update(work_rvu="99.99")
    assert "99.99" in read(client, "64868")
    Release.objects.filter(label="RVU25D").update(label="RVU25X")
    assert "(RVU25X)" in read(client, "64868")


def test_a_cms_release_still_loading_moves_no_article(client, django_assert_num_queries):
    kept = read(client, "64868")
    loading = Release.all_releases.create(kind="pfs", label="RVU99A", complete=False)
    row = FeeScheduleRow.objects.get(release__label="RVU25D", hcpcs="64868", modifier="")
    row.pk, row.release, row.work_rvu = None, loading, "77.77"
    FeeScheduleRow.objects.bulk_create([row])
    with django_assert_num_queries(1):
        assert read(client, "64868") == kept


def test_a_reviewers_new_name_shows_on_the_codes_they_reviewed(
    client, django_user_model, settings, django_assert_num_queries
):
    settings.REVIEWER_SHOWN_AS = "name"
    reviewer = django_user_model.objects.create_user("rev", first_name="Ada", last_name="Byron")
    CodeProcedure.objects.filter(code="64868").update(
        reviewed_by=reviewer, last_reviewed_on="2026-01-02"
    )
    assert "by Ada Byron" in read(client, "64868")
    other = read(client, "64866")
    django_user_model.objects.filter(pk=reviewer.pk).update(last_name="Lovelace")
    assert "by Ada Lovelace" in read(client, "64868")
    # A sign-in writes the user's row: no article moves for it.
    kept = read(client, "64868")
    django_user_model.objects.filter(pk=reviewer.pk).update(last_login="2026-12-01T00:00Z")
    with django_assert_num_queries(2):  # the stamps of each
        assert read(client, "64868") == kept
        assert read(client, "64866") == other


def test_only_the_stamps_of_the_codes_an_edit_shows_on_move():
    edited, other = unrelated_pair()
    codes = [code.code for code in published_codes()]
    at = codes.index(edited.code)
    neighbours = set(codes[max(at - 1, 0) : at + 2]) - {edited.code}

    def numbers():
        return dict(ArticleStamp.objects.values_list("code", "number"))

    before = numbers()
    CodeProcedure.objects.filter(pk=edited.pk).update(summary="Nothing others show")
    after = numbers()
    assert {code for code in after if after[code] != before.get(code)} == {edited.code}
    CodeProcedure.objects.filter(pk=edited.pk).update(title="Shown by the neighbours")
    moved = {code for code, number in numbers().items() if number != after.get(code)}
    assert {edited.code, *neighbours} <= moved
    assert other.code not in moved and ArticleStamp.SHARED not in moved


def test_the_declaration_names_every_list_the_page_loads():
    """A list added to `for_detail_page()` must be declared, or its edits would not show."""
    queryset = CodeProcedure.objects.for_detail_page()
    prefetched = {
        getattr(lookup, "prefetch_through", lookup) for lookup in queryset._prefetch_related_lookups
    }
    assert prefetched <= set(stamps.OWN_ROWS)
    shown_elsewhere = {
        *stamps.SHARED_VOCABULARIES,
        stamps.REVIEWER[0],
        "replaced_by",  # stamps.Linked("replaces")
    }
    assert set(queryset.query.select_related) <= shown_elsewhere


def test_every_stamped_table_has_its_triggers():
    declared = {
        stamps.trigger_name(stamped.table, event)
        for stamped in stamps.stamped_tables(connection.vendor)
        for event, codes in stamped.codes.items()
        if codes is not None
    }
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'codes\\_stamp\\_%%'")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE 'codes_stamp_%'")
        installed = {name for (name,) in cursor.fetchall()}
    assert declared <= installed


def test_postgresql_writes_the_stamps_when_the_transaction_commits():
    """Written at each statement, a stamp row would stay locked to the end of the writing
    transaction, and two writers sharing a neighbour could wait on each other in a cycle:
    PostgreSQL notes the codes and writes their stamps at commit, in code order. SQLite
    (one writer) writes them at once."""
    from tests.search.helpers import writes_deferred_to_commit

    def number(code):
        return ArticleStamp.objects.filter(code=code).values_list("number", flat=True).first()

    before = number("64868")
    with writes_deferred_to_commit() as deferred:
        CodeProcedure.objects.filter(code="64868").update(summary="Changed")
        CodeProcedure.objects.filter(code="64868").update(summary="Changed again")
        if deferred:
            assert number("64868") == before  # not yet: the transaction has not committed
    if deferred:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {stamps.PENDING_TABLE}")
            assert cursor.fetchone() == (0,)
    assert number("64868") != before


def test_a_codes_own_rows_added_without_signals_show(client, django_assert_num_queries):
    from codes.models import ClinicalExample, Specialty

    edited, other = unrelated_pair()
    kept = read(client, other.code)
    read(client, edited.code)
    ClinicalExample.objects.bulk_create(
        [ClinicalExample(code=edited, position=99, title="Bulk example", text="Bulk text.")]
    )
    assert "Bulk example" in read(client, edited.code)
    specialty = Specialty.objects.exclude(codes=edited).first()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO codes_codeprocedure_specialties (codeprocedure_id, specialty_id) "
            "VALUES (%s, %s)",
            [edited.pk, specialty.pk],
        )
    assert specialty.name in read(client, edited.code)
    with django_assert_num_queries(1):
        assert read(client, other.code) == kept


def test_a_deploy_renders_every_article_again(client, django_assert_num_queries):
    """`migrate` (each release runs it) moves the article generation: new templates must
    not meet kept articles."""
    from codes import cache

    read(client, "64868")
    cache.bump_after_migrate(sender=None)
    # The stamps, then the article rendered again (as in
    # test_cache.test_the_article_is_rendered_again_after_a_change_of_its_code).
    with django_assert_num_queries(20):
        read(client, "64868")
