"""Supporting diagnoses edited as an inline of the code: through the review workflow like
the other rows, refused when the current ICD-10-CM release lacks the code, warned on a
header code."""

import pytest

from codes.models import Revision
from tests.admin.conftest import code, open_form, save

pytestmark = pytest.mark.django_db
PREFIX = "supporting_diagnoses"


def add_diagnosis(data, diagnosis, group="injury", note="After a crush injury."):
    extra = int(data[f"{PREFIX}-TOTAL_FORMS"])
    data[f"{PREFIX}-TOTAL_FORMS"] = str(extra + 1)
    data[f"{PREFIX}-{extra}-diagnosis_code"] = diagnosis
    data[f"{PREFIX}-{extra}-group"] = group
    data[f"{PREFIX}-{extra}-note"] = note
    data[f"{PREFIX}-{extra}-position"] = "9"
    return data


def review_url(revision):
    return f"/admin/codes/revision/{revision.pk}/change/"


def test_an_editors_new_diagnosis_waits_for_review_then_is_applied(editor, reviewer_client):
    before = code("64868").supporting_diagnoses.count()
    data = add_diagnosis(open_form(editor, "64868"), "s04.52xa")
    assert save(editor, "64868", data).status_code == 302
    assert code("64868").supporting_diagnoses.count() == before  # the public sees nothing yet
    revision = Revision.objects.get()
    diff = reviewer_client.get(review_url(revision)).context["diff"]
    assert [row.action for row in diff.rows] == ["added"]
    reviewer_client.post(
        review_url(revision), {"decision": "approve", "comment": "", "revision": revision.pk}
    )
    added = code("64868").supporting_diagnoses.get(diagnosis_code="S0452XA")
    assert added.note == "After a crush injury."
    assert added.history.count() == 1


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("Z99.99", "not a code of the current ICD-10-CM release"),
        ("S04.51X", "not a code of the current ICD-10-CM release"),
        ("351.0", "ICD-9-CM"),
    ],
)
def test_a_code_the_release_lacks_is_refused(editor, typed, words):
    data = add_diagnosis(open_form(editor, "64868"), typed)
    response = save(editor, "64868", data)
    assert response.status_code == 200
    assert words in response.content.decode()
    assert not Revision.objects.exists()


def test_a_header_code_is_kept_with_a_warning(editor):
    data = add_diagnosis(open_form(editor, "64868"), "G51.3")
    response = save(editor, "64868", data, follow=True)
    assert "is a header, not billable" in response.content.decode()
    assert Revision.objects.count() == 1
