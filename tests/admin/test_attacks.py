"""Only reviewers put content in front of the public, on every write path: each attack an
Editor or a staff account without a role tried is refused here."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from codes.models import CodeProcedure, EditorialState, Revision
from tests.admin.conftest import code, open_form, save

pytestmark = pytest.mark.django_db


def history_url(number, entry):
    return f"/admin/codes/codeprocedure/{code(number).pk}/history/{entry.history_id}/"


def test_an_editor_cannot_restore_old_published_content_through_history(editor):
    old = code("64868").history.first()
    CodeProcedure.objects.filter(code="64868").update(summary="Current reviewed text.")
    # The old "Save unchanged" on the historic form: now a reviewed change, never applied.
    editor.post(history_url("64868", old), {"change_note": "x", "confirm": "on"})
    stored = code("64868")
    assert stored.summary == "Current reviewed text." and stored.is_published
    assert Revision.objects.get().kind == "revert"


def test_a_view_only_staff_user_cannot_write_through_the_history_page(client, make_user):
    viewer = make_user("viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_codeprocedure"))
    client.force_login(viewer)
    old = code("64868").history.first()
    CodeProcedure.objects.filter(code="64868").update(summary="Current text.")
    response = client.post(history_url("64868", old), {"change_note": "x", "confirm": "on"})
    assert response.status_code == 403
    assert code("64868").summary == "Current text."
    assert not Revision.objects.exists()


def test_an_editor_cannot_take_a_published_page_offline(editor):
    data = open_form(editor, "64868")
    data["editorial_state"] = EditorialState.IN_REVIEW
    save(editor, "64868", data)
    editor.post(
        "/admin/codes/codeprocedure/",
        {"action": "send_for_review", "_selected_action": [code("64868").pk]},
    )
    editor.post(
        "/admin/codes/codeprocedure/",
        {"action": "return_to_draft", "_selected_action": [code("64868").pk]},
    )
    assert code("64868").editorial_state == EditorialState.PUBLISHED


def test_an_editor_cannot_publish_with_a_crafted_action(editor):
    CodeProcedure.objects.filter(code="64868").update(editorial_state=EditorialState.IN_REVIEW)
    pk = code("64868").pk
    editor.post(
        "/admin/codes/codeprocedure/",
        {"action": "publish", "_selected_action": [pk], "confirmed": "yes",
         f"seen_{pk}": code("64868").version},
    )  # fmt: skip
    assert code("64868").editorial_state == EditorialState.IN_REVIEW


def test_an_editor_cannot_approve_their_own_revision_by_posting(editor):
    data = open_form(editor, "64868")
    data["summary"] = "Self-approved."
    save(editor, "64868", data)
    revision = Revision.objects.get()
    response = editor.post(
        f"/admin/codes/revision/{revision.pk}/change/",
        {"decision": "approve", "comment": "", "revision": revision.pk},
    )
    assert response.status_code == 403
    assert code("64868").summary != "Self-approved."


def test_a_staff_user_without_a_role_cannot_learn_draft_codes_from_view_on_site(
    client, make_user, draft_code
):
    client.force_login(make_user("nobody"))
    content_type = ContentType.objects.get_for_model(CodeProcedure)
    response = client.get(f"/admin/r/{content_type.pk}/{draft_code.pk}/")
    assert response.status_code == 404
    assert "64999" not in response.get("Location", "")


def test_an_editor_still_gets_view_on_site(editor, draft_code):
    content_type = ContentType.objects.get_for_model(CodeProcedure)
    response = editor.get(f"/admin/r/{content_type.pk}/{draft_code.pk}/")
    assert response.status_code == 302 and response["Location"].endswith("/codes/64999/")


def test_a_crafted_post_without_the_opened_version_is_refused(editor):
    data = open_form(editor, "64868")
    data.pop("opened_version")
    data["summary"] = "Overwrite."
    response = save(editor, "64868", data)
    assert response.status_code == 200
    assert not Revision.objects.exists()


def test_a_stale_opened_version_is_refused(editor):
    data = open_form(editor, "64868")
    data["opened_version"] = str(int(data["opened_version"]) - 1)
    data["summary"] = "Overwrite."
    assert save(editor, "64868", data).status_code == 200
    assert not Revision.objects.exists()


def test_the_public_sees_nothing_of_a_pending_revision(editor):
    data = open_form(editor, "64868")
    data["summary"] = "Secret pending wording."
    save(editor, "64868", data)
    public = Client()
    for url in [
        "/codes/64868/",
        "/api/codes/64868",
        "/search/?q=secret",
        "/compare/?codes=64866,64868",
    ]:
        assert "Secret pending wording" not in public.get(url).content.decode(), url
