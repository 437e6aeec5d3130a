"""The editorial workflow, as editors and reviewers meet it in the admin."""

import csv
import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from codes.models import CodeProcedure, EditorialState
from tests.admin_forms import form_data

pytestmark = pytest.mark.django_db

CHANGE_URL = "/admin/codes/codeprocedure/{pk}/change/"
LIST_URL = "/admin/codes/codeprocedure/"


@pytest.fixture
def make_user(django_user_model):
    def make(username, *roles):
        user = django_user_model.objects.create_user(
            username, password="a-long-test-password", is_staff=True
        )
        user.groups.set(Group.objects.filter(name__in=roles))
        return user

    return make


@pytest.fixture
def editor(client, make_user):
    client.force_login(make_user("eddie", "Editors"))
    return client


@pytest.fixture
def reviewer_client(make_user):
    from django.test import Client

    client = Client()
    rita = make_user("rita", "Reviewers")
    rita.first_name, rita.last_name = "Rita", "Reviewer"
    rita.save()
    client.force_login(rita)
    return client


def code(number):
    return CodeProcedure.objects.get(code=number)


def open_form(client, number):
    response = client.get(CHANGE_URL.format(pk=code(number).pk))
    assert response.status_code == 200
    return form_data(response)


def save(client, number, data):
    return client.post(CHANGE_URL.format(pk=code(number).pk), data)


# Roles -------------------------------------------------------------------------------------


def test_roles_exist_with_least_privilege():
    editors = set(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True))
    reviewers = set(
        Group.objects.get(name="Reviewers").permissions.values_list("codename", flat=True)
    )
    admins = set(
        Group.objects.get(name="Administrators").permissions.values_list("codename", flat=True)
    )
    assert "change_codeprocedure" in editors
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


def test_editor_changes_a_draft(editor):
    CodeProcedure.objects.filter(code="64868").update(editorial_state=EditorialState.DRAFT)
    data = open_form(editor, "64868")
    data["summary"] = "A clearer summary."
    response = save(editor, "64868", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = code("64868")
    assert saved.summary == "A clearer summary." and saved.updated_by.username == "eddie"


def test_editor_cannot_publish(editor):
    CodeProcedure.objects.filter(code="64868").update(editorial_state=EditorialState.IN_REVIEW)
    data = open_form(editor, "64868")
    data["editorial_state"] = "published"
    response = save(editor, "64868", data)
    assert response.status_code == 200  # the form refuses the choice
    assert "Select a valid choice" in response.content.decode()
    assert code("64868").editorial_state == EditorialState.IN_REVIEW
    actions = editor.get(LIST_URL).context["action_form"].fields["action"].choices
    assert "publish" not in [name for name, _ in actions]


def test_editors_change_to_a_published_code_goes_to_review(editor):
    data = open_form(editor, "64866")
    data["summary"] = "Edited by an editor."
    assert save(editor, "64866", data).status_code == 302
    assert code("64866").editorial_state == EditorialState.IN_REVIEW


def test_editor_saving_a_published_code_unchanged_leaves_it_published(editor):
    data = open_form(editor, "64866")
    assert save(editor, "64866", data).status_code == 302
    assert code("64866").editorial_state == EditorialState.PUBLISHED


def test_editor_cannot_unpublish(editor):
    data = open_form(editor, "64866")
    data["editorial_state"] = "draft"
    response = save(editor, "64866", data)
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    editor.post(LIST_URL, {"action": "send_for_review", "_selected_action": [code("64866").pk]})
    assert code("64866").editorial_state == EditorialState.PUBLISHED


def test_editors_change_to_an_example_sends_a_published_code_to_review(editor):
    data = open_form(editor, "64868")
    data["examples-0-title"] = "A retitled example"
    assert save(editor, "64868", data).status_code == 302
    assert code("64868").examples.filter(title="A retitled example").exists()
    assert code("64868").editorial_state == EditorialState.IN_REVIEW


def test_admin_history_with_a_bad_id_is_not_found(reviewer_client):
    base = "/admin/codes/codeprocedure/abc/history/"
    assert reviewer_client.get(base).status_code == 404
    assert reviewer_client.get(base + "compare/", {"from": 1, "to": 2}).status_code == 404


def test_reviewer_publishes_and_the_public_sees_it_at_the_next_request(editor, reviewer_client):
    from django.test import Client

    client = Client()  # the public, not logged in
    data = open_form(editor, "64868")
    data["summary"] = "Reviewed wording for the public."
    save(editor, "64868", data)
    assert client.get("/codes/64868/").status_code == 404  # in review: not public

    response = reviewer_client.post(
        LIST_URL, {"action": "publish", "_selected_action": [code("64868").pk]}
    )
    assert response.status_code == 302
    published = code("64868")
    assert published.editorial_state == EditorialState.PUBLISHED
    assert published.reviewed_by.username == "rita" and published.last_reviewed_on
    page = client.get("/codes/64868/").content.decode()
    assert "Reviewed wording for the public." in page
    # The public sees the reviewer's name, never the user name they log in with.
    assert "Last reviewed:" in page and "by Rita Reviewer" in page and "rita<" not in page


# Conflicting edits -------------------------------------------------------------------------


def test_second_of_two_conflicting_saves_is_refused_with_what_changed(make_user, reviewer_client):
    from django.test import Client

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


# History -----------------------------------------------------------------------------------


def test_every_change_is_recorded_with_who_and_what(editor):
    CodeProcedure.objects.filter(code="64868").update(editorial_state=EditorialState.DRAFT)
    data = open_form(editor, "64868")
    data["summary"] = "History check."
    save(editor, "64868", data)
    latest, previous = code("64868").history.all()[:2]
    assert latest.history_user.username == "eddie"
    changed = {change.field: change for change in latest.diff_against(previous).changes}
    assert changed["summary"].new == "History check."


def test_admin_compares_any_two_versions_and_reverts(reviewer_client):
    data = open_form(reviewer_client, "64831")
    data["title"] = "First new title"
    save(reviewer_client, "64831", data)
    data = open_form(reviewer_client, "64831")
    data["title"] = "Second new title"
    save(reviewer_client, "64831", data)
    versions = list(code("64831").history.order_by("history_date"))
    oldest, newest = versions[0], versions[-1]

    history = reviewer_client.get(f"/admin/codes/codeprocedure/{code('64831').pk}/history/")
    assert "Compare two versions" in history.content.decode()
    response = reviewer_client.get(
        f"/admin/codes/codeprocedure/{code('64831').pk}/history/compare/",
        {"from": oldest.history_id, "to": newest.history_id},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "Second new title" in html
    assert oldest.title in html

    revert_url = f"/admin/codes/codeprocedure/{code('64831').pk}/history/{oldest.history_id}/"
    revert_data = form_data(reviewer_client.get(revert_url))
    assert reviewer_client.post(revert_url, revert_data).status_code == 302
    assert code("64831").title == oldest.title


def test_compare_with_bad_version_ids_is_not_found(reviewer_client):
    url = f"/admin/codes/codeprocedure/{code('64831').pk}/history/compare/"
    assert reviewer_client.get(url, {"from": "x", "to": "1"}).status_code == 404
    assert reviewer_client.get(url, {"from": "999999", "to": "999998"}).status_code == 404


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
    call_command("import_codes", str(path), stdout=out)
    assert "3 rows: 0 created, 0 changed, 3 unchanged, 0 rejected." in out.getvalue()
    assert list(CodeProcedure.objects.order_by("code").values()) == before


def test_revert_puts_back_the_lists_and_rows_of_that_version(reviewer_client):
    from codes.models import ClinicalExample

    hypoglossal = code("64868")
    version = hypoglossal.history.first()
    specialties = set(hypoglossal.specialties.values_list("pk", flat=True))
    examples = set(hypoglossal.examples.values_list("title", flat=True))
    notes = dict(hypoglossal.code_modifiers.values_list("modifier__code", "note"))
    relations = set(hypoglossal.relations.values_list("pk", flat=True))
    assert specialties and examples and notes

    # A later save in the admin: a list emptied, an example deleted, a note rewritten
    # and a relation added.
    data = open_form(reviewer_client, "64868")
    data.pop("specialties")
    data["examples-0-DELETE"] = "on"
    data["code_modifiers-0-note"] = "Rewritten later."
    data["relations-TOTAL_FORMS"] = str(int(data["relations-TOTAL_FORMS"]) + 1)
    extra = int(data["relations-TOTAL_FORMS"]) - 1
    data[f"relations-{extra}-relation_type"] = "see_also"
    data[f"relations-{extra}-to_code"] = str(code("64831").pk)
    data[f"relations-{extra}-note"] = "Added later."
    assert save(reviewer_client, "64868", data).status_code == 302
    assert code("64868").examples.count() == len(examples) - 1
    # And an example added without history (bulk_create), which a revert must not lose.
    ClinicalExample.objects.bulk_create(
        [ClinicalExample(code=hypoglossal, position=99, title="Unrecorded", text="Kept.")]
    )

    url = f"/admin/codes/codeprocedure/{hypoglossal.pk}/history/{version.history_id}/"
    page = reviewer_client.get(url)
    assert "and these rows as they stood then" in page.content.decode()
    response = reviewer_client.post(url, form_data(page), follow=True)
    assert response.status_code == 200
    assert "put back as they were" in response.content.decode()

    hypoglossal = code("64868")
    assert set(hypoglossal.specialties.values_list("pk", flat=True)) == specialties
    assert set(hypoglossal.examples.values_list("title", flat=True)) == examples | {"Unrecorded"}
    assert dict(hypoglossal.code_modifiers.values_list("modifier__code", "note")) == notes
    assert set(hypoglossal.relations.values_list("pk", flat=True)) == relations
    # The revert is itself recorded, with a reason, so it can be reverted in turn.
    restored = ClinicalExample.history.filter(code_id=hypoglossal.pk).first()
    assert restored.history_change_reason.startswith("Reverted with 64868")
    assert restored.history_user.username == "rita"


def test_an_editor_revert_of_published_content_goes_to_review(editor):
    hypoglossal = code("64868")
    version = hypoglossal.history.first()
    examples = hypoglossal.examples.count()
    data = open_form(editor, "64868")
    data["examples-0-DELETE"] = "on"
    assert save(editor, "64868", data).status_code == 302
    assert code("64868").editorial_state == EditorialState.IN_REVIEW
    CodeProcedure.objects.filter(code="64868").update(editorial_state=EditorialState.PUBLISHED)
    url = f"/admin/codes/codeprocedure/{hypoglossal.pk}/history/{version.history_id}/"
    assert editor.post(url, form_data(editor.get(url))).status_code == 302
    assert code("64868").editorial_state == EditorialState.IN_REVIEW
    assert code("64868").examples.count() == examples


def test_revert_with_a_bad_version_is_not_found(reviewer_client):
    base = f"/admin/codes/codeprocedure/{code('64868').pk}/history/"
    assert reviewer_client.get(base + "999999/").status_code == 404
    other = code("64866").history.first().history_id
    assert reviewer_client.get(base + f"{other}/").status_code == 404


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
