import pytest

pytestmark = pytest.mark.django_db


def test_two_codes_side_by_side_with_differences_marked(client):
    response = client.get("/compare/", {"codes": "64866,64868"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("/codes/64866/") < html.index("/codes/64868/")
    rows = {label: differs for label, _, differs, _ in response.context["rows"]}
    assert rows["Title"] is True
    assert rows["Add-on code"] is False
    assert rows["CMS inpatient-only"] is False  # both not yet verified
    assert 'class="differs"' in html


def test_up_to_four_codes_and_a_message_beyond(client):
    response = client.get("/compare/", {"codes": "64864,64865,64866,64868,64831"})
    assert response.status_code == 200
    assert [code.code for code in response.context["codes"]] == [
        "64864", "64865", "64866", "64868"
    ]  # fmt: skip
    assert "Up to 4 codes" in response.content.decode()


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        ("", "at least two codes"),
        ("64866", "at least two codes"),
        ("64866,nonsense", "Not CPT codes: NONSENSE"),
        ("64866,64867", "Not in this reference: 64867"),
        ("\x00,<script>", "Not CPT codes"),
        ("6" * 5000, "Not CPT codes"),
    ],
)
def test_bad_or_unknown_codes_get_a_clear_message(client, codes, message):
    response = client.get("/compare/", {"codes": codes})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_code_page_offers_to_compare_with_related_codes(client):
    html = client.get("/codes/64866/").content.decode()
    assert "/compare/?codes=64866,64868" in html


def test_compare_query_budget(client, django_assert_num_queries):
    # The codes with their sections (1) and eight prefetches, as on the code page; CMS's
    # release in effect and its rows for the codes (2); the edits between them: the edit
    # releases in effect, the PTP edits among the codes, their add-on rows, their MUEs and
    # the titles of our codes (5).
    with django_assert_num_queries(16):
        client.get("/compare/", {"codes": "64864,64866,64868"})


def test_markdown_facts_are_shown_rendered_and_safe(client):
    from codes.models import CodeProcedure

    CodeProcedure.objects.filter(code="64866").update(
        documentation="- **first** point\n- second <script>alert(1)</script>"
    )
    html = client.get("/compare/", {"codes": "64866,64868"}).content.decode()
    assert "<strong>first</strong>" in html and "<script>alert(1)" not in html
