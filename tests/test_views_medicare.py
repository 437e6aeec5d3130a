"""The Medicare facts on code pages, release pages, the fees API, compare and the 404 page,
from the RVU25D extract the repository ships (imported for every test session)."""

import re

import pytest
from django.core.management import call_command

from codes.models import CodeProcedure, FeeScheduleRow, Release

pytestmark = pytest.mark.django_db


def body(response):
    return response.content.decode()


def text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body(response)))


def panel(response):
    html = body(response)
    start = html.index('id="medicare"')
    return re.sub(
        r"\s+", " ", re.sub(r"<[^>]+>", " ", html[start : html.index("</section>", start)])
    )


def test_the_panel_names_the_release_and_links_to_it(client):
    response = client.get("/codes/64868/")
    assert "CMS's RVU25D release, effective 1 October 2025" in panel(response)
    assert 'href="/releases/RVU25D/"' in body(response)


def test_global_period_and_status_in_words(client):
    words = panel(client.get("/codes/64868/"))
    assert "090 : the day before, the day of, and the 90 days after surgery" in words
    assert "A : Active: paid separately" in words
    add_on = panel(client.get("/codes/64872/"))
    assert "ZZZ : inside the primary code&#x27;s global period" in add_on


def test_not_yet_verified_global_period_is_gone_where_cms_covers_the_code(client):
    for code in CodeProcedure.objects.published().values_list("code", flat=True):
        html = body(client.get(f"/codes/{code}/"))
        assert "Global period: not yet verified" not in html, code


def test_rvus_and_the_na_setting(client):
    words = panel(client.get("/codes/64868/"))
    assert "Facility 14.90 12.78 2.14 29.82" in words
    assert "Non-facility 14.90 12.78 NA 2.14 29.82" in words
    assert "CMS marks the non-facility setting NA" in words


def test_national_payment_and_a_chosen_locality(client):
    national = panel(client.get("/codes/64868/"))
    assert "Facility $964.57" in national
    alaska = panel(client.get("/codes/64868/", {"locality": "02102-01"}))
    assert "Alaska (AK)" in alaska and "$1210.80" in alaska
    assert "1.500" in alaska and "1.081" in alaska and "0.592" in alaska


def test_every_2025_locality_can_be_chosen_without_javascript(client):
    html = body(client.get("/codes/64868/"))
    form = re.search(r'<form class="locality-form".*?</form>', html, re.S).group(0)
    assert 'method="get"' in form and 'type="submit"' in form
    assert len(re.findall(r'<option value="\d{5}-\d{2}"', form)) == 109


def test_a_bad_locality_falls_back_with_a_message(client):
    response = client.get("/codes/64868/", {"locality": "<script>x"})
    assert response.status_code == 200
    assert "There is no Medicare locality" in panel(response)
    assert "<script>x" not in body(response)
    assert "Facility $964.57" in panel(response)


def test_the_chart_is_server_rendered_without_inline_style(client):
    html = body(client.get("/codes/64868/", {"locality": "10112-00"}))
    chart = re.search(r'<figure class="pay-chart">.*?</figure>', html, re.S).group(0)
    assert "<svg" in chart and "style=" not in chart and "<script" not in chart
    assert len(re.findall(r'class="pay-chart-tick"', chart)) == 109
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", chart))
    for label in ("Lowest", "Median", "Highest", "Your locality"):
        assert label in words
    assert "Your locality : $881.00 (Alabama, AL)" in words


def test_payment_policy_indicators_in_words_with_their_modifiers(client):
    words = panel(client.get("/codes/64868/"))
    assert "Assistant at surgery 80, 81, 82, AS 2 An assistant may be paid" in words
    assert "Co-surgeons 62 1 Co-surgeons may be paid with documentation" in words
    assert "Bilateral surgery 50 0" in words
    assert "Team surgery 66 0 Team surgeons are not permitted" in words
    assert "Multiple procedures 51 2 Standard reduction" in words


def test_modifier_notes_agree_with_cms(client):
    html = body(client.get("/codes/64868/"))
    modifiers = re.search(r'<section id="modifiers".*?</section>', html, re.S).group(0)
    assert "CMS: an assistant may be paid (RVU25D)." in modifiers
    assert "CMS: co-surgeons may be paid with documentation of the need" in modifiers
    assert "not yet verified" not in modifiers


def test_a_code_the_release_does_not_cover_says_so(client):
    FeeScheduleRow.objects.filter(hcpcs="64868").delete()
    words = panel(client.get("/codes/64868/"))
    assert "CMS's RVU25D release does not list 64868" in words


def test_the_newest_release_in_effect_is_shown(client, tmp_path):
    from tests.test_cms_pfs_import import edit_row, january_2026, shipped_text, write_release

    changed = edit_row(january_2026(shipped_text()), "64868", work="15.40",
                       nonfac_total="30.32", fac_total="30.32")  # fmt: skip
    call_command("import_cms_pfs", str(write_release(tmp_path / "r", changed)), verbosity=0)
    words = panel(client.get("/codes/64868/"))
    assert "RVU26A release, effective 1 January 2026" in words
    assert "Facility 15.40" in words
    Release.objects.filter(label="RVU26A").update(effective_from="2999-01-01")
    from django.core.cache import cache

    cache.clear()
    assert "RVU25D release" in panel(client.get("/codes/64868/"))


def test_the_code_page_query_count_stays_fixed_with_a_locality(client, django_assert_num_queries):
    # The article's stamps, the code page's 12 queries, plus the release in effect, its row
    # and the localities, plus the billing edits' 5 and the supporting diagnoses (see
    # test_views.test_code_page_query_budget).
    with django_assert_num_queries(22):
        assert client.get("/codes/64864/", {"locality": "02102-01"}).status_code == 200


def test_release_list_and_page(client, tmp_path):
    from tests.test_cms_pfs_import import edit_row, january_2026, shipped_text, write_release

    listing = text(client.get("/releases/"))
    assert "RVU25D" in listing and "11 September 2025" in listing and "In effect" in listing
    page = text(client.get("/releases/RVU25D/"))
    assert "PPRRVU2025_Oct.csv" in page and "nothing to compare" in page

    changed = edit_row(january_2026(shipped_text()), "64832", glob="000")
    changed = "\r\n".join(line for line in changed.split("\r\n") if not line.startswith("64913,"))
    changed += "99999,,,A,,1.00,1.00,,1.00,,1.00,3.00,3.00,0,XXX,0.00,0.00,0.00,0,0,0,0,0,,32.3465,09,0,99,0.00,0.00,0.00\r\n"  # noqa: E501
    call_command("import_cms_pfs", str(write_release(tmp_path / "r", changed)), verbosity=0)
    page = text(client.get("/releases/RVU26A/"))
    assert "Compared with RVU25D" in page
    assert "64832 Global period: ZZZ → 000" in page
    assert "64913 Deleted in RVU26A" in page
    assert "99999" not in page.split("Other codes")[0]
    assert "1 added, 0 deleted" in page.split("Other codes")[1]
    assert client.get("/releases/RVU99Z/").status_code == 404


def test_the_code_api_includes_the_medicare_facts_with_the_release(client):
    data = client.get("/api/codes/64868").json()
    medicare = data["medicare"]
    assert medicare["release"]["label"] == "RVU25D"
    assert medicare["release"]["effective_from"] == "2025-10-01"
    assert medicare["global_period"] == "090" and medicare["status"] == "A"
    assert medicare["rvus"]["work"] == "14.90" and medicare["rvus"]["non_facility_na"] is True
    assert medicare["national_payment"]["facility"] == "964.57"
    assistant = next(i for i in medicare["indicators"] if i["name"] == "Assistant at surgery")
    assert assistant["value"] == "2" and "80" in assistant["modifiers"]


def test_the_fees_api_gives_every_input_of_the_formula(client):
    data = client.get("/api/fees", {"code": "64868", "locality": "10112-00"}).json()
    assert data["release"]["label"] == "RVU25D"
    assert data["locality"]["name"] == "Alabama" and data["locality"]["id"] == "10112-00"
    facility = data["payments"]["facility"]
    assert facility["amount"] == "881.00"
    assert facility["inputs"] == {
        "work_rvu": "14.90",
        "pe_rvu": "12.78",
        "mp_rvu": "2.14",
        "work_gpci": "1.000",
        "pe_gpci": "0.869",
        "mp_gpci": "0.575",
        "conversion_factor": "32.3465",
    }
    national = client.get("/api/fees", {"code": "64868"}).json()
    assert national["locality"] is None
    assert national["payments"]["facility"]["amount"] == "964.57"


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({}, 400),
        ({"code": "6486"}, 400),
        ({"code": "64868", "locality": "Alabama"}, 400),
        ({"code": "64868", "locality": "99999-99"}, 404),
        ({"code": "64867"}, 404),
    ],
)
def test_the_fees_api_answers_bad_input_with_json_errors(client, query, status):
    response = client.get("/api/fees", query)
    assert response.status_code == status
    assert "error" in response.json()


def test_compare_shows_rvus_payment_and_indicators_side_by_side(client):
    page = text(client.get("/compare/", {"codes": "64864,64868"}))
    assert "Work RVU Differs 13.41 14.90" in page
    # 25.99 x 32.3465 = 840.6855...; 29.82 x 32.3465 = 964.5726...
    assert "National payment, facility / non-facility Differs $840.69 / $840.69" in page
    assert "$964.57 / $964.57" in page
    assert "Assistant at surgery (80, 81, 82, AS) 2: An assistant may be paid" in page
    assert "Global period 090: the day before" in page


def test_a_code_cms_lists_but_we_lack_gets_the_cms_line_on_its_404(client):
    FeeScheduleRow.objects.create(
        release=Release.objects.get(label="RVU25D"), hcpcs="64867", modifier="", status="A",
        work_rvu=1, nonfacility_pe_rvu=1, facility_pe_rvu=1, mp_rvu=1, nonfacility_total=3,
        facility_total=3, pctc="0", global_days="090", preop=0, intraop=0, postop=0,
        multiple_procedure="2", bilateral="0", assistant="2", co_surgeons="1",
        team_surgery="0", conversion_factor="32.3465", opps_nonfacility_pe=0,
        opps_facility_pe=0, opps_mp=0,
    )  # fmt: skip
    response = client.get("/codes/64867/")
    assert response.status_code == 404
    assert "CMS lists it: status A, global 090" in text(response)
    assert "CMS lists it" not in text(client.get("/codes/64869/"))
