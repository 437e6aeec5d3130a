"""The review queue (codes/admin/revisions.py): a reviewer sees exactly what changed,
approves or returns it, and the public sees it at the next request."""

import re

import pytest
from django.test import Client

from codes.models import CodeProcedure, Revision, RevisionState
from tests.admin.conftest import QUEUE_URL, code, open_form, save

pytestmark = pytest.mark.django_db


def propose_summary(client, text="A clearer summary, reviewed.", number="64868"):
    data = open_form(client, number)
    data["summary"] = data["summary"] + " " + text
    data["change_note"] = "Clearer summary."
    assert save(client, number, data).status_code == 302
    return Revision.objects.latest("created_at")


def review_url(revision):
    return f"{QUEUE_URL}{revision.pk}/change/"


def test_the_queue_lists_pending_revisions_with_author_note_and_code(editor, reviewer_client):
    revision = propose_summary(editor)
    html = reviewer_client.get(QUEUE_URL).content.decode()
    assert "64868" in html and "Clearer summary." in html and "eddie" in html
    assert f"{QUEUE_URL}{revision.pk}/change/" in html


def test_the_reviewer_sees_exactly_one_changed_field_with_the_words_marked(editor, reviewer_client):
    revision = propose_summary(editor)
    response = reviewer_client.get(review_url(revision))
    html = response.content.decode()
    diff = response.context["diff"]
    assert [change.label for change in diff.fields] == ["Summary"]
    assert not diff.rows
    assert re.search(r"<ins>[^<]*clearer summary, reviewed\.</ins>", html)
    assert "<del>" not in html  # only words added
    assert "Clearer summary." in html


def test_approval_applies_the_change_and_the_public_sees_it_at_the_next_request(
    editor, reviewer_client
):
    public = Client()
    public.get("/codes/64868/")  # cached as it was
    revision = propose_summary(editor)
    response = reviewer_client.post(
        review_url(revision), {"decision": "approve", "comment": "", "revision": revision.pk}
    )
    assert response.status_code == 302
    assert "A clearer summary, reviewed." in public.get("/codes/64868/").content.decode()
    revision.refresh_from_db()
    assert revision.state == RevisionState.APPROVED and revision.reviewed_by.username == "rita"
    stored = code("64868")
    assert stored.editorial_state == "published" and stored.reviewed_by.username == "rita"
    entry = stored.history.first()
    assert entry.history_user.username == "eddie"
    assert entry.history_change_reason.startswith("Clearer summary. (revision")


def test_a_returned_revision_changes_nothing_and_carries_the_comment(editor, reviewer_client):
    before = code("64868").summary
    revision = propose_summary(editor)
    missing_comment = reviewer_client.post(
        review_url(revision), {"decision": "reject", "comment": "", "revision": revision.pk},
        follow=True,
    )  # fmt: skip
    assert "Tell the author why" in missing_comment.content.decode()
    reviewer_client.post(
        review_url(revision),
        {"decision": "reject", "comment": "Cite the source.", "revision": revision.pk},
    )
    revision.refresh_from_db()
    assert revision.state == RevisionState.REJECTED
    assert revision.review_comment == "Cite the source."
    assert code("64868").summary == before


def test_an_editor_cannot_approve(editor):
    revision = propose_summary(editor)
    response = editor.post(
        review_url(revision), {"decision": "approve", "comment": "", "revision": revision.pk}
    )
    assert response.status_code == 403
    assert Revision.objects.get().state == RevisionState.PENDING


def test_two_editors_revisions_never_overwrite_each_other(editor, reviewer_client, make_user):
    other = Client()
    other.force_login(make_user("olga", "Editors"))
    first = propose_summary(editor, "First change.")
    second = propose_summary(other, "Second change.")
    reviewer_client.post(
        review_url(first), {"decision": "approve", "comment": "", "revision": first.pk}
    )
    response = reviewer_client.post(
        review_url(second), {"decision": "approve", "comment": "", "revision": second.pk},
        follow=True,
    )  # fmt: skip
    assert "has changed since revision" in response.content.decode()
    summary = code("64868").summary
    assert "First change." in summary and "Second change." not in summary
    assert Revision.objects.get(pk=second.pk).state == RevisionState.PENDING


def test_approval_acts_on_the_revision_the_reviewer_opened(editor, reviewer_client):
    first = propose_summary(editor, "Shown to the reviewer.")
    response = reviewer_client.post(
        review_url(first), {"decision": "approve", "comment": "", "revision": first.pk + 1}
    )
    assert response.status_code == 200  # a mismatched revision decides nothing
    assert Revision.objects.get().state == RevisionState.PENDING


def test_rows_added_changed_and_removed_are_shown_and_applied(editor, reviewer_client):
    data = open_form(editor, "64868")
    data["examples-0-DELETE"] = "on"
    data["code_modifiers-0-note"] = "A sharper note."
    extra = int(data["examples-TOTAL_FORMS"])
    data["examples-TOTAL_FORMS"] = str(extra + 1)
    data[f"examples-{extra}-position"] = "9"
    data[f"examples-{extra}-title"] = "A new example"
    data[f"examples-{extra}-text"] = "An illustrative case."
    save(editor, "64868", data)
    revision = Revision.objects.get()
    diff = reviewer_client.get(review_url(revision)).context["diff"]
    assert sorted(row.action for row in diff.rows) == ["added", "changed", "removed"]
    before = code("64868").examples.count()
    reviewer_client.post(
        review_url(revision), {"decision": "approve", "comment": "", "revision": revision.pk}
    )
    hypoglossal = code("64868")
    assert hypoglossal.examples.count() == before
    assert hypoglossal.examples.filter(title="A new example").exists()
    assert hypoglossal.code_modifiers.filter(note="A sharper note.").exists()


def test_queue_query_budget(editor, reviewer_client, django_assert_num_queries, make_user):
    for number in ["64864", "64866", "64868"]:
        propose_summary(editor, number=number)
    reviewer_client.get(QUEUE_URL)
    # session, user, permissions (2), the counts (2: filtered and total), one page of
    # revisions with their authors, codes, content types and reviewers.
    with django_assert_num_queries(7):
        response = reviewer_client.get(QUEUE_URL)
    assert len(response.context["cl"].result_list) == 3


def test_a_staff_user_without_a_role_cannot_see_the_queue(client, make_user, editor):
    revision = propose_summary(editor)
    client.force_login(make_user("nobody"))
    assert client.get(QUEUE_URL).status_code == 403
    assert client.get(review_url(revision)).status_code == 403


def test_codes_edited_with_crlf_and_spaces_store_the_text_as_meant(editor, reviewer_client):
    CodeProcedure.objects.filter(code="64868").update(editorial_state="draft")
    data = open_form(editor, "64868")
    data["summary"] = "Line one.  \r\nLine two.\r\n\r\n"
    save(editor, "64868", data)
    assert code("64868").summary == "Line one.\nLine two."
