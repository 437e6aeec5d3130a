"""The shared vocabularies (codes/admin/vocabularies.py): public pages show them, so an
editor's change to one waits for a reviewer like a change to a published code."""

import pytest
from django.test import Client

from codes.models import Modifier, Nerve, Revision
from tests.admin.forms import form_data

pytestmark = pytest.mark.django_db


def modifier_url(code):
    return f"/admin/codes/modifier/{Modifier.objects.get(code=code).pk}/change/"


def test_an_editors_change_to_a_modifier_waits_for_review(editor, reviewer_client):
    public = Client()
    before = Modifier.objects.get(code="80").description
    data = form_data(editor.get(modifier_url("80")))
    data["description"] = "Rewritten unreviewed."
    data["change_note"] = "Plainer words."
    response = editor.post(modifier_url("80"), data, follow=True)
    assert "sent for review as revision" in response.content.decode()
    assert Modifier.objects.get(code="80").description == before
    assert "Rewritten unreviewed." not in public.get("/modifiers/80/").content.decode()

    revision = Revision.objects.get()
    reviewer_client.post(
        f"/admin/codes/revision/{revision.pk}/change/",
        {"decision": "approve", "comment": "", "revision": revision.pk},
    )
    assert Modifier.objects.get(code="80").description == "Rewritten unreviewed."


def test_an_editors_new_nerve_waits_for_review(editor, reviewer_client):
    response = editor.post(
        "/admin/codes/nerve/add/",
        {
            "name": "Great auricular nerve",
            "slug": "great-auricular-nerve",
            "change_note": "Needed for grafts.",
        },
        follow=True,
    )
    assert "sent for review" in response.content.decode()
    assert not Nerve.objects.filter(slug="great-auricular-nerve").exists()
    revision = Revision.objects.get()
    reviewer_client.post(
        f"/admin/codes/revision/{revision.pk}/change/",
        {"decision": "approve", "comment": "", "revision": revision.pk},
    )
    assert Nerve.objects.filter(slug="great-auricular-nerve", name="Great auricular nerve").exists()


def test_a_reviewers_own_change_to_a_vocabulary_is_saved_at_once(reviewer_client):
    data = form_data(reviewer_client.get(modifier_url("80")))
    data["description"] = "Reviewer's wording."
    data["change_note"] = "Tidy."
    assert reviewer_client.post(modifier_url("80"), data).status_code == 302
    modifier = Modifier.objects.get(code="80")
    assert modifier.description == "Reviewer's wording."
    assert modifier.history.first().history_change_reason == "Tidy."
