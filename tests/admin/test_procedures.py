"""The code admin (codes/admin/procedures.py), as editors and reviewers meet it: published
pages stay up while an edit waits, every save carries a note, only reviewers publish."""

import csv
import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client

from codes.editorial import BOOKKEEPING_FIELDS
from codes.models import ClinicalExample, CodeProcedure, EditorialState, Revision
from tests.admin.conftest import CHANGE_URL, LIST_URL, code, open_form, save
from tests.admin.forms import form_data

pytestmark = pytest.mark.django_db


# Roles -------------------------------------------------------------------------------------


def test_roles_exist_with_least_privilege():
    from codes.roles import ROLES

    for name, codenames in ROLES.items():
        held = set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))
        assert held == set(codenames), name
    editors, reviewers, admins = (set(ROLES[name]) for name in ROLES)
    assert "change_codeprocedure" in editors and "view_revision" in editors
    assert "publish_codeprocedure" not in editors and "delete_codeprocedure" not in editors
    assert "publish_codeprocedure" in reviewers and "delete_codeprocedure" not in reviewers
    assert "change_user" not in editors | reviewers and "change_user" in admins


def test_anonymous_user_gets_the_login_page(client):
    for url in ["/admin/", LIST_URL, CHANGE_URL.format(pk=code("64868").pk)]:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_staff_user_without_a_role_can_change_nothing(client, make_user):
    client.force_login(make_user("nobody"))
    assert client.get(LIST_URL).status_code == 403
    assert client.get(CHANGE_URL.format(pk=code("64868").pk)).status_code == 403
    response = client.post(CHANGE_URL.format(pk=code("64868").pk), {"title": "Hacked"})
    assert response.status_code == 403
    assert code("64868").title != "Hacked"


# Editing ---------------------------------------------------------------------------------


def test_editor_changes_a_draft_at_once_with_a_change_note(editor):
    CodeProcedure.objects.filter(code="64868").update(editorial_state=EditorialState.DRAFT)
    data = open_form(editor, "64868")
    data["summary"] = "A clearer summary."
    data["change_note"] = "Clearer summary."
    response = save(editor, "64868", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = code("64868")
    assert saved.summary == "A clearer summary." and saved.updated_by.username == "eddie"
    assert saved.history.first().history_change_reason == "Clearer summary."
    assert not Revision.objects.exists()


def test_a_save_without_a_change_note_is_refused(editor):
    data = open_form(editor, "64868")
    data["summary"] = "No note."
    data.pop("change_note")
    response = save(editor, "64868", data)
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert code("64868").summary != "No note."


def test_editors_change_to_published_code_waits_and_the_public_keeps_the_old_text(editor):
    public = Client()
    before = code("64868").summary
    data = open_form(editor, "64868")
    data["summary"] = "Edited by an editor."
    data["examples-0-title"] = "A retitled example"
    response = save(editor, "64868", data, follow=True)
    assert "sent for review as revision" in response.content.decode()

    stored = code("64868")
    assert stored.editorial_state == EditorialState.PUBLISHED
    assert stored.summary == before
    assert not stored.examples.filter(title="A retitled example").exists()
    revision = Revision.objects.get()
    assert revision.author.username == "eddie" and revision.note == "A test change."
    assert set(revision.changes["fields"]) == {"summary"}
    assert revision.changes["rows"]["examples"][0]["fields"] == {"title": "A retitled example"}
    # Everything public still shows the published content.
    assert before[:40] in public.get("/codes/64868/").content.decode()
    assert public.get("/search/", {"q": "64868"}).status_code == 302
    assert public.get("/compare/", {"codes": "64866,64868"}).status_code == 200
    assert public.get("/api/codes/64868").json()["summary"] == before
    assert "/codes/64868/" in public.get("/sitemap-codes.xml").content.decode()


def test_the_editor_sees_their_pending_revision_on_the_form_and_the_page(editor):
    data = open_form(editor, "64868")
    data["summary"] = "Pending change."
    save(editor, "64868", data)
    revision = Revision.objects.get()
    form = editor.get(CHANGE_URL.format(pk=code("64868").pk)).content.decode()
    assert f"Revision {revision.pk}</a>" in form and "waits for review" in form
    page = editor.get("/codes/64868/").content.decode()
    assert "Waiting for review" in page and f"/admin/codes/revision/{revision.pk}/" in page
    assert "Waiting for review" not in Client().get("/codes/64868/").content.decode()


def test_saving_a_published_code_unchanged_proposes_nothing(editor):
    response = save(editor, "64866", open_form(editor, "64866"), follow=True)
    assert "Nothing was changed" in response.content.decode()
    assert not Revision.objects.exists()
    assert code("64866").editorial_state == EditorialState.PUBLISHED


def test_line_endings_from_a_browser_are_not_a_change(editor):
    CodeProcedure.objects.filter(code="64868").update(editorial_state=EditorialState.DRAFT)
    data = open_form(editor, "64868")
    for name in CodeProcedure.PROSE_FIELDS:
        if data.get(name):
            data[name] = data[name].replace("\n", "\r\n") + "  \r\n"
    data["title"] = "Only the title changed"
    assert save(editor, "64868", data).status_code == 302
    latest, previous = code("64868").history.all()[:2]
    changed = {change.field for change in latest.diff_against(previous).changes}
    assert changed - BOOKKEEPING_FIELDS == {"title"}


def test_editor_cannot_change_the_editorial_state(editor):
    data = open_form(editor, "64866")
    data["editorial_state"] = "draft"  # not a field of the form: ignored
    data["summary"] = "Changed with a forged state."
    save(editor, "64866", data)
    assert code("64866").editorial_state == EditorialState.PUBLISHED
    editor.post(LIST_URL, {"action": "send_for_review", "_selected_action": [code("64866").pk]})
    assert code("64866").editorial_state == EditorialState.PUBLISHED
    actions = editor.get(LIST_URL).context["action_form"].fields["action"].choices
    assert not {"publish", "return_to_draft"} & {name for name, _ in actions}


def test_a_form_posted_without_its_opened_version_is_refused(editor):
    CodeProcedure.objects.filter(code="64868").update(editorial_state=EditorialState.DRAFT)
    data = open_form(editor, "64868")
    data.pop("opened_version")
    data["summary"] = "Overwrite without a version."
    response = save(editor, "64868", data)
    assert response.status_code == 200 and "Open the code again" in response.content.decode()
    assert code("64868").summary != "Overwrite without a version."


def test_second_of_two_conflicting_saves_is_refused_with_what_changed(make_user, reviewer_client):
    first, second = Client(), reviewer_client
    first.force_login(make_user("fiona", "Reviewers"))
    first_data, second_data = open_form(first, "64864"), open_form(second, "64864")

    first_data["title"] = "Title from the first editor"
    assert save(first, "64864", first_data).status_code == 302

    second_data["summary"] = "Summary from the second editor"
    response = save(second, "64864", second_data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "was changed by fiona" in html and "(changed: title)" in html
    assert code("64864").title == "Title from the first editor"
    assert code("64864").summary != "Summary from the second editor"


# Publishing -----------------------------------------------------------------------------


def test_publish_shows_what_it_publishes_then_acts_on_the_version_seen(reviewer_client):
    public = Client()
    CodeProcedure.objects.filter(code="64868").update(
        editorial_state=EditorialState.IN_REVIEW, summary="Reviewed wording for the public."
    )
    pk = code("64868").pk
    confirm = reviewer_client.post(LIST_URL, {"action": "publish", "_selected_action": [pk]})
    assert confirm.status_code == 200 and "Yes, publish" in confirm.content.decode()
    assert code("64868").editorial_state == EditorialState.IN_REVIEW  # nothing yet

    seen = code("64868").version
    response = reviewer_client.post(
        LIST_URL,
        {"action": "publish", "_selected_action": [pk], "confirmed": "yes", f"seen_{pk}": seen},
    )
    assert response.status_code == 302
    published = code("64868")
    assert published.editorial_state == EditorialState.PUBLISHED
    assert published.reviewed_by.username == "rita" and published.last_reviewed_on
    page = public.get("/codes/64868/").content.decode()
    assert "Reviewed wording for the public." in page
    # The public sees the reviewer's name, never the user name they log in with.
    assert "by Rita Reviewer" in page and "rita<" not in page


def test_publish_refuses_a_code_changed_after_the_reviewer_looked(reviewer_client):
    CodeProcedure.objects.filter(code="64868").update(editorial_state=EditorialState.IN_REVIEW)
    pk = code("64868").pk
    seen = code("64868").version
    CodeProcedure.objects.filter(pk=pk).update(summary="Slipped in later.", version=seen + 1)
    response = reviewer_client.post(
        LIST_URL,
        {"action": "publish", "_selected_action": [pk], "confirmed": "yes", f"seen_{pk}": seen},
        follow=True,
    )
    assert "changed after you opened it" in response.content.decode()
    assert code("64868").editorial_state == EditorialState.IN_REVIEW


def test_public_credit_follows_the_sites_setting(client, settings, reviewer_client):
    from django.contrib.auth import get_user_model
    from django.core.cache import cache

    rita = get_user_model().objects.get(username="rita")
    CodeProcedure.objects.filter(code="64868").update(
        reviewed_by=rita, last_reviewed_on="2026-11-30"
    )
    assert "by Rita Reviewer" in client.get("/codes/64868/").content.decode()
    settings.REVIEWER_SHOWN_AS = "role"
    cache.clear()
    page = client.get("/codes/64868/").content.decode()
    assert "by a reviewer" in page and "Rita" not in page


# History, compare, revert -------------------------------------------------------------------


def test_admin_history_with_a_bad_id_is_not_found(reviewer_client):
    base = "/admin/codes/codeprocedure/abc/history/"
    assert reviewer_client.get(base).status_code == 404
    assert reviewer_client.get(base + "compare/", {"from": 1, "to": 2}).status_code == 404


def test_every_change_is_recorded_with_who_and_what(editor):
    CodeProcedure.objects.filter(code="64868").update(editorial_state=EditorialState.DRAFT)
    data = open_form(editor, "64868")
    data["summary"] = "History check."
    save(editor, "64868", data)
    latest, previous = code("64868").history.all()[:2]
    assert latest.history_user.username == "eddie"
    changed = {change.field: change for change in latest.diff_against(previous).changes}
    assert changed["summary"].new == "History check."


def test_admin_compares_any_two_versions_with_words_marked(reviewer_client):
    for title in ["First new title", "Second new title"]:
        data = open_form(reviewer_client, "64831")
        data["title"] = title
        assert save(reviewer_client, "64831", data).status_code == 302
    versions = list(code("64831").history.order_by("history_date"))
    oldest, newest = versions[0], versions[-1]
    history = reviewer_client.get(f"/admin/codes/codeprocedure/{code('64831').pk}/history/")
    assert "Compare two versions" in history.content.decode()
    response = reviewer_client.get(
        f"/admin/codes/codeprocedure/{code('64831').pk}/history/compare/",
        {"from": oldest.history_id, "to": newest.history_id},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<ins>Second</ins>" in html
    assert "<ins>title</ins>" in html or "title" in html


def test_compare_with_bad_version_ids_is_not_found(reviewer_client):
    url = f"/admin/codes/codeprocedure/{code('64831').pk}/history/compare/"
    assert reviewer_client.get(url, {"from": "x", "to": "1"}).status_code == 404
    assert reviewer_client.get(url, {"from": "999999", "to": "999998"}).status_code == 404


def revert_url(number, version):
    return f"/admin/codes/codeprocedure/{code(number).pk}/history/{version.history_id}/"


def test_revert_shows_what_it_restores_changes_and_removes_then_loses_nothing(reviewer_client):
    hypoglossal = code("64868")
    version = hypoglossal.history.first()
    specialties = set(hypoglossal.specialties.values_list("pk", flat=True))
    examples = set(hypoglossal.examples.values_list("title", flat=True))
    notes = dict(hypoglossal.code_modifiers.values_list("modifier__code", "note"))
    relations = set(hypoglossal.relations.values_list("to_code", "relation_type"))
    assert specialties and examples and notes

    # A later save: a list emptied, an example deleted, a note rewritten, a relation added.
    data = open_form(reviewer_client, "64868")
    data.pop("specialties")
    data["examples-0-DELETE"] = "on"
    data["code_modifiers-0-note"] = "Rewritten later."
    extra = int(data["relations-TOTAL_FORMS"])
    data["relations-TOTAL_FORMS"] = str(extra + 1)
    data[f"relations-{extra}-relation_type"] = "see_also"
    data[f"relations-{extra}-to_code"] = str(code("64831").pk)
    data[f"relations-{extra}-note"] = "Added later."
    assert save(reviewer_client, "64868", data).status_code == 302
    assert code("64868").examples.count() == len(examples) - 1
    # An example added without history (bulk_create), which a revert must not lose.
    ClinicalExample.objects.bulk_create(
        [ClinicalExample(code=hypoglossal, position=99, title="Unrecorded", text="Kept.")]
    )

    preview = reviewer_client.get(revert_url("64868", version))
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Added" in html and "Removed" in html and "Changed" in html
    assert code("64868").examples.count() == len(examples)  # the bulk row; nothing applied

    response = reviewer_client.post(
        revert_url("64868", version),
        {"change_note": "Back to the reviewed text.", "confirm": "on"},
        follow=True,
    )
    assert "was reverted" in response.content.decode()
    hypoglossal = code("64868")
    assert set(hypoglossal.specialties.values_list("pk", flat=True)) == specialties
    assert set(hypoglossal.examples.values_list("title", flat=True)) == examples | {"Unrecorded"}
    assert dict(hypoglossal.code_modifiers.values_list("modifier__code", "note")) == notes
    assert set(hypoglossal.relations.values_list("to_code", "relation_type")) == relations
    latest = hypoglossal.history.first()
    assert latest.history_change_reason == "Back to the reviewed text."
    assert latest.history_user.username == "rita"


def test_revert_without_confirming_changes_nothing(reviewer_client):
    version = code("64831").history.first()
    CodeProcedure.objects.filter(code="64831").update(title="Later title")
    response = reviewer_client.post(revert_url("64831", version), {"change_note": "x"})
    assert response.status_code == 200
    assert code("64831").title == "Later title"


def test_an_editor_revert_of_published_content_goes_to_review(editor):
    version = code("64868").history.first()
    CodeProcedure.objects.filter(code="64868").update(summary="Changed since.")
    response = editor.post(
        revert_url("64868", version), {"change_note": "Undo.", "confirm": "on"}, follow=True
    )
    assert "sent for review as revision" in response.content.decode()
    assert code("64868").summary == "Changed since."
    assert Revision.objects.get().kind == "revert"


def test_revert_with_a_bad_version_is_not_found(reviewer_client):
    base = f"/admin/codes/codeprocedure/{code('64868').pk}/history/"
    assert reviewer_client.get(base + "999999/").status_code == 404
    other = code("64866").history.first().history_id
    assert reviewer_client.get(base + f"{other}/").status_code == 404


def test_loading_the_fixtures_records_one_history_entry_per_row():
    assert code("64868").history.count() == 1
    example = code("64868").examples.first()
    assert example.history.count() == 1


# Search, preview, nothing lost ---------------------------------------------------------------


def test_admin_search_uses_the_sites_search(editor):
    response = editor.get(LIST_URL, {"q": "tongue nerve"})
    assert [c.code for c in response.context["cl"].result_list] == ["64868"]
    response = editor.get(LIST_URL, {"q": "64864-64866"})
    assert {c.code for c in response.context["cl"].result_list} == {"64864", "64865", "64866"}


def test_change_form_offers_a_preview_and_view_on_site(editor):
    html = editor.get(CHANGE_URL.format(pk=code("64868").pk)).content.decode()
    assert 'href="/codes/64868/"' in html


def test_an_admin_edit_survives_set_up_again(reviewer_client):
    data = open_form(reviewer_client, "64868")
    data["summary"] = "Kept through set-up."
    save(reviewer_client, "64868", data)
    call_command("load_reference_data", verbosity=0)
    assert code("64868").summary == "Kept through set-up."


def test_change_list_query_budget(reviewer_client, django_assert_num_queries):
    reviewer_client.get(LIST_URL)
    # session, user, permissions (2: user and groups), the count (2: filtered and total),
    # the page of codes with their sections and reviewers, the choices of two list filters
    # (sections, specialties), the actions' permission check of the publish permission.
    with django_assert_num_queries(9):
        reviewer_client.get(LIST_URL)


# Export and import -------------------------------------------------------------------------


def export(client, *numbers):
    pks = [code(number).pk for number in numbers]
    response = client.post(LIST_URL, {"action": "export_csv", "_selected_action": pks})
    assert response["Content-Type"].startswith("text/csv")
    return response.content.decode()


def test_export_then_import_changes_nothing(reviewer_client, tmp_path):
    text = export(reviewer_client, "64864", "64866", "64868")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["code"] for row in rows] == ["64864", "64866", "64868"]
    path = tmp_path / "export.csv"
    path.write_text(text)
    before = list(CodeProcedure.objects.order_by("code").values())
    out = io.StringIO()
    call_command("import_codes", str(path), "--user", "rita", stdout=out)
    assert "3 rows: 0 created, 0 changed, 0 proposed, 3 unchanged, 0 rejected." in out.getvalue()
    assert list(CodeProcedure.objects.order_by("code").values()) == before


def test_form_data_helper_reads_the_page(editor):
    # The helper the tests post with sends what the browser would: the page's own values.
    data = form_data(editor.get(CHANGE_URL.format(pk=code("64868").pk)))
    assert data["code"] == "64868" and "opened_version" in data


def test_a_change_form_refused_for_a_malformed_code_is_shown_again_not_a_500(editor):
    data = open_form(editor, "64868")
    data["code"] = ":"
    response = save(editor, "64868", data)
    assert response.status_code == 200
    assert "Correct the code to preview." in response.content.decode()
    assert code("64868").code == "64868"


def test_an_action_on_a_selection_that_is_not_ids_gets_a_message_not_a_500(editor):
    response = editor.post(
        LIST_URL, {"action": "send_for_review", "_selected_action": ["x"], "index": "0"}
    )
    assert response.status_code == 302
    assert "not a row of this list" in editor.get(LIST_URL).content.decode()


def test_a_related_field_forged_to_a_non_id_is_refused_by_the_form_not_a_500(editor):
    data = open_form(editor, "64868")
    data["replaced_by"] = "published"
    data["status"] = "deleted"
    response = save(editor, "64868", data)
    assert response.status_code == 200 and "errorlist" in response.content.decode()


def test_an_action_on_an_id_too_large_to_store_gets_a_message_not_a_500(editor):
    response = editor.post(
        LIST_URL, {"action": "send_for_review", "_selected_action": [str(2**64)], "index": "0"}
    )
    assert response.status_code == 302
    assert "not a row of this list" in editor.get(LIST_URL).content.decode()
