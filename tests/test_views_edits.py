"""The billing edits as a user meets them: the code page's "Billing edits" section and its
at-a-glance facts, the pair check (/edits/ and /api/edits) and compare, from the July 2024
extract the repository ships (and CMS's real tables where they are needed)."""

import re

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from codes.cms.facts import forget_localities
from codes.models import AddOnEdit, PtpEdit, Release, ReleaseKind

pytestmark = pytest.mark.django_db


def text_of(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def section(client, url, anchor, length=3000):
    html = client.get(url).content.decode()
    start = html.index(f'id="{anchor}"')
    return text_of(html[start : start + length])


def glance(client, code):
    """The text of a code page's at-a-glance panel."""
    html = client.get(f"/codes/{code}/").content.decode()
    start = html.index('id="at-a-glance"')
    return text_of(html[start : html.index("</section>", start)])


def test_glance_shows_mue_with_its_meaning_and_release(client):
    facts = glance(client, "64864")
    assert "Units a day (MUE) 2 , date of service edit: clinical (indicator 3)" in facts
    assert "Source: CMS MUE-2024-07-01" in facts


def test_glance_notes_the_release_is_older_than_the_current_quarter(client):
    facts = glance(client, "64864")
    assert "PTP-v302r0 took effect on 1 July 2024" in facts
    assert "older than the current quarter" in facts


def test_an_add_on_shows_the_primaries_cms_lists(client):
    facts = glance(client, "64832")
    assert "Add-on code , paid only with one of the primary codes CMS lists: 64831 ." in facts
    assert "Source: CMS AOC-V2024Q3" in facts


def test_a_primary_code_shows_the_add_ons_cms_allows_with_it(client):
    facts = glance(client, "64864")
    assert "Primary code (not an add-on); add-ons CMS allows with it: +64872 , +64874" in facts


def test_microscope_may_be_added_to_64864_and_64868(client):
    for code in ("64864", "64868"):
        assert "Microscope +69990 May be added under Medicare." in glance(client, code)


def test_microscope_is_never_added_to_64910_to_64913(client):
    for code in ("64910", "64911", "64912", "64913"):
        assert f"Not under Medicare: NCCI bundles it into {code}." in glance(client, code)


def test_glance_counts_the_ncci_pairs_in_force_both_ways(client):
    facts = glance(client, "64910")
    assert re.search(r"NCCI pairs (\d+) edits in force : \d+ with 64910 in column 1", facts)
    assert "Source: CMS PTP-v302r0" in facts


def test_inpatient_only_is_not_yet_verified_without_addendum_b(client):
    facts = glance(client, "64866")
    assert "Inpatient-only Not yet verified : no OPPS Addendum B imported" in facts


def test_inpatient_only_follows_an_imported_addendum_b(client, tmp_path):
    from tests.cms.test_edit_readers import ADDENDUM_B

    path = tmp_path / "January 2025 Web Addendum B.12.31.24.csv"
    path.write_bytes(ADDENDUM_B.encode())
    call_command("import_cms_edits", str(path), verbosity=0)
    facts = glance(client, "64864")
    assert "Inpatient-only Yes : Medicare pays it only as an inpatient service" in facts
    assert "Source: CMS OPPS-B-2025-01" in facts
    assert "Inpatient-only No (status indicator J1)" in glance(client, "64831")
    assert "CMS's OPPS-B-2025-01 does not list 64868" in glance(client, "64868")


def test_billing_edits_lists_ptp_edits_both_ways_grouped_and_collapsed(client):
    html = client.get("/codes/64910/").content.decode()
    edits = html[html.index('id="billing-edits"') :]
    assert "<details" in edits and "<summary>Modifier indicator 0:" in edits
    text = text_of(edits)
    assert re.search(r"Bundled into 64910 \(\d+: 64910 in column 1\)", text)
    assert re.search(r"64910 bundled into other codes \(\d+: 64910 in column 2\)", text)
    assert "CPT Manual or CMS manual coding instruction" in text
    assert "start date not in this release's file" in text


def test_billing_edits_names_the_add_ons_allowed_with_a_primary(client):
    edits = section(client, "/codes/64864/", "billing-edits", 6000)
    assert "Add-on codes CMS allows with 64864: +64872 +64874 +64876" in edits
    assert "+69990 may be added to 64864" in edits


def test_code_page_without_edit_releases_says_not_yet_verified(client):
    Release.objects.filter(
        kind__in=[ReleaseKind.NCCI_PTP, ReleaseKind.MUE, ReleaseKind.ADD_ON]
    ).delete()
    facts = glance(client, "64864")
    # Add-on or primary, microscope, inpatient-only (no Addendum B either), MUE, NCCI pairs;
    # and the effective date, which no source states.
    assert facts.count("Not yet verified") == 6


def test_code_page_query_count_does_not_grow_with_edits(client):
    with CaptureQueriesContext(connection) as before:
        client.get("/codes/64864/")
    release = Release.objects.current(ReleaseKind.NCCI_PTP)
    PtpEdit.objects.bulk_create(
        PtpEdit(release=release, column_1="64864", column_2=f"9{n:04d}", modifier_indicator="1",
                rationale="Misuse of column two code with column one code")
        for n in range(300)
    )  # fmt: skip
    cache.clear()  # also the code's PTP rows kept per release
    forget_localities()  # as cold as the first request
    with CaptureQueriesContext(connection) as after:
        client.get("/codes/64864/")
    assert len(after) == len(before)


# The pair check ----------------------------------------------------------------------------


def test_pair_check_reports_the_edit_between_64885_and_64886(client):
    text = text_of(client.get("/edits/", {"codes": "64885,64886,69990"}).content.decode())
    assert "64885 64886 1: A modifier such as 59" in text
    assert "64886 is denied with 64885 unless the services were distinct" in text
    assert "Mutually exclusive procedures" in text


def test_pair_check_flags_units_over_the_mue(client):
    text = text_of(client.get("/edits/", {"codes": "64910x4"}).content.decode())
    assert "64910: 4 units is over the MUE of 3 (adjudication indicator 3)" in text
    assert "64910x3" and "over the MUE" not in text_of(
        client.get("/edits/", {"codes": "64910x3"}).content.decode()
    )


def test_pair_check_flags_an_add_on_without_its_primary(client):
    text = text_of(client.get("/edits/", {"codes": "64832,64834"}).content.decode())
    assert "+64832 is an add-on code, and none of its primary codes is in the list" in text
    text = text_of(client.get("/edits/", {"codes": "64832,64831"}).content.decode())
    assert "+64832 is an add-on code" not in text


def test_pair_check_shows_an_indicator_0_edit_with_what_to_do(client):
    text = text_of(client.get("/edits/", {"codes": "64912,69990"}).content.decode())
    assert (
        "Report only the column 1 code 64912; 69990 is not paid with it, whatever the modifier."
        in text
    )


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        ("abc", "“ABC” is not a code"),
        ("64910x0", "64910X0: units must be a whole number from 1 to 9999"),
        ("x999", "“X999” is not a code"),
        ("64910,64910", "64910 is given twice"),
        (",".join(str(64831 + n) for n in range(13)), "At most 12 codes"),
        ("64910x", "“64910X” is not a code"),
    ],
)
def test_pair_check_refuses_bad_input_with_a_400(client, codes, message):
    response = client.get("/edits/", {"codes": codes})
    assert response.status_code == 400
    assert message in response.content.decode()
    api = client.get("/api/edits", {"codes": codes})
    assert api.status_code == 400 and message in api.json()["error"]


def test_pair_check_json(client):
    data = client.get("/api/edits", {"codes": "64885,64886,64910x5,64913"}).json()
    pairs = {(e["column_1"], e["column_2"]): e for e in data["edits"]}
    assert pairs["64885", "64886"]["modifier_indicator"] == "1"
    assert "59" in pairs["64885", "64886"]["modifier_meaning"]
    assert data["unit_problems"][0]["code"] == "64910"
    assert data["add_on_problems"][0]["add_on"] == "64913"
    assert data["releases"]["ncci_ptp"]["label"] == "PTP-v302r0"
    assert data["codes"][0] == {
        "code": "64885",
        "units": None,
        "in_this_reference": True,
        "mue": {
            "units": 1,
            "adjudication_indicator": "3",
            "meaning": data["codes"][0]["mue"]["meaning"],
        },
    }


def test_empty_pair_check_shows_the_form(client):
    response = client.get("/edits/")
    assert response.status_code == 200 and 'name="codes"' in response.content.decode()


def test_pair_check_query_budget(client, django_assert_num_queries):
    # 1 the releases in effect of every edit kind; 1 PTP edits among the codes; 1 their
    # add-on rows; 1 their MUEs; 1 the titles of our codes.
    with django_assert_num_queries(5):
        assert client.get("/edits/", {"codes": "64885,64886,69990,64910x4"}).status_code == 200
    with django_assert_num_queries(5):
        assert client.get("/api/edits", {"codes": "64885,64886"}).status_code == 200


def test_compare_lists_the_edits_between_the_codes(client):
    text = text_of(client.get("/compare/", {"codes": "64885,64886"}).content.decode())
    assert "Edits between 64885, 64886" in text
    assert "64886 is denied with 64885 unless the services were distinct" in text


def test_real_pair_check_of_64885_with_64886(client, cms_ncci_2024_07):
    family = cms_ncci_2024_07 / "ccipra-family.TXT"
    call_command("import_cms_edits", str(family), "--kind", "ncci_ptp", "--label", "PTP-v302r0",
                 "--replace", verbosity=0)  # fmt: skip
    data = client.get("/api/edits", {"codes": "64885,64886"}).json()
    assert [(e["column_1"], e["column_2"], e["modifier_indicator"]) for e in data["edits"]] == [
        ("64885", "64886", "1")
    ]


def test_the_add_on_facet_follows_cms_list(client):
    AddOnEdit.objects.filter(add_on="64913").delete()
    html = client.get("/search/", {"q": "nerve", "add_on": "yes"}).content.decode()
    assert "/codes/64832/" in html and "/codes/64913/" not in html


def test_a_search_for_69990_says_where_the_microscope_is_covered(client):
    html = client.get("/search/", {"q": "69990"}).content.decode()
    text = text_of(html)
    assert "69990 is an add-on code with no page of its own here" in text
    assert "in its operating microscope notes" in text
    assert 'href="/codes/64864/#microscope"' in html and 'href="/codes/64868/#microscope"' in html
    assert 'href="/codes/64910/#microscope"' not in html


def test_the_page_for_69990_says_where_it_is_covered(client):
    response = client.get("/codes/69990/")
    assert response.status_code == 404
    assert 'href="/codes/64868/#microscope"' in response.content.decode()


def test_an_edit_release_page_names_its_files_rows_and_changes(client, tmp_path):
    html = text_of(client.get("/releases/PTP-v302r0/").content.decode())
    assert "ccipra-v302r0-family.TXT.gz" in html and "Rows 11693" in html
    path = tmp_path / "MCR_MUE_PractitionerServices_Eff_10-01-2024.csv"
    header = "HCPCS/CPT Code,Practitioner Services MUE Values,MUE Adjudication Indicator"
    path.write_text(f"x\r\n{header}\r\n64864,3,3 Date of Service Edit: Clinical\r\n")
    call_command("import_cms_edits", str(path), verbosity=0)
    html = text_of(client.get("/releases/MUE-2024-10-01/").content.decode())
    assert "Compared with MUE-2024-07-01 : 0 added, 38 ended, 1 changed" in html
    assert "64864: MUE 2 (MAI 3) → 3 (MAI 3)" in html


def test_ptp_pairs_are_lines_of_codes_each_partner_once(client):
    """The code page lists each direction's partners as lines of codes per modifier
    indicator, rationale and dates (the table of every pair is on /edits/): every edit in
    force is one code on the page, ours as a link titled with our title."""
    from codes.cms.edit_facts import billing_edits

    facts = billing_edits("64910")
    html = client.get("/codes/64910/").content.decode()
    edits = html[html.index('id="billing-edits"') : html.index('id="specialties"')]
    assert "<table" not in edits and '<ul class="edit-lines">' in edits
    for direction in (facts.bundled_into_this, facts.this_bundled_into):
        for group in direction.groups:
            lines = group.lines
            codes = [text_of(str(line[3])).split(",") for line in lines]
            assert sum(len(line) for line in codes) == len(group.edits)
            for edit in group.edits:
                if edit.partner_title:
                    assert f'<a href="/codes/{edit.partner}/" title="' in edits


def test_ptp_rows_are_kept_per_release_and_a_new_release_is_read_afresh(client):
    """A code's PTP rows are kept in the shared cache under the release's id and import
    time; a release imported again (a new row) is never answered with the old rows."""
    from codes.cms.edit_facts import ptp_rows

    release = Release.objects.get(kind=ReleaseKind.NCCI_PTP)
    before = ptp_rows(release, "64910")
    edit = PtpEdit.objects.filter(release=release, column_1="64910").first()
    replacement = Release.objects.create(kind=ReleaseKind.NCCI_PTP, label="PTP-replacement")
    PtpEdit.objects.create(
        release=replacement,
        column_1="64910",
        column_2=edit.column_2,
        modifier_indicator="0",
        rationale=edit.rationale,
    )
    assert len(ptp_rows(replacement, "64910")) == 1 and len(before) > 1
    assert len(ptp_rows(release, "64910")) == len(before)
