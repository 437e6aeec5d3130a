"""/check/ and POST /api/check as a coder and an attacker meet them: the form and its
answer, the JSON, bad input (never a 500), CSRF, private mode, no caching."""

import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

NOTE = (
    "PROCEDURE: The ulnar digital nerve of the right index finger was repaired end-to-end "
    "with 9-0 nylon under the operating microscope. No graft was required."
)


def post_json(client, payload, content_type="application/json"):
    body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    return client.post("/api/check", body, content_type=content_type)


def test_the_form_is_linked_from_every_page(client):
    assert 'href="/check/"' in client.get("/").content.decode()


def test_the_form_has_one_text_area_and_a_csrf_token(client):
    response = client.get("/check/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<textarea") == 1
    assert 'name="csrfmiddlewaretoken"' in html
    assert "no-store" in response["Cache-Control"]


def test_a_note_shows_codes_evidence_and_rules(client):
    response = client.post("/check/", {"note": NOTE})
    html = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert ">64831</a>" in html and ">69990</a>" in html
    assert "<mark>end-to-end</mark>" in html
    assert "R2-1 [S]" in html and "R-MIC-1 [P-CMS]" in html
    assert "Words that did not count" in html  # the negated graft


def test_the_json_answer_carries_the_same_findings(client):
    data = post_json(client, {"note": NOTE}).json()
    assert [p["code"] for p in data["proposed"]] == ["64831"]
    assert [p["code"] for p in data["add_ons"]] == ["69990"]
    proposal = data["proposed"][0]
    assert proposal["rule"]["id"] == "R2-1" and proposal["rule"]["confidence"] == "S"
    assert any(e["sentence"][e["start"] : e["end"]] == "end-to-end" for e in proposal["evidence"])
    assert {m["modifier"] for m in data["modifiers"]} >= {"RT", "F6"}
    assert data["edits"]["mue"][0] == {
        "code": "64831",
        "units": 1,
        "mue": 1,
        "adjudication_indicator": "2",
    }
    assert [c["code"] for c in data["diagnoses"]["candidates"]] == [] or data["diagnoses"]


def test_every_repaired_nerve_has_its_diagnosis_in_the_answer(client):
    note = (
        "Left neck stab wound. The marginal mandibular branch of the left facial nerve was "
        "repaired end-to-end with 10-0 nylon. The left hypoglossal nerve was also severed and "
        "was repaired with 9-0 epineurial sutures."
    )
    data = post_json(client, {"note": note}).json()
    candidates = data["diagnoses"]["candidates"]
    assert [c["code"] for c in candidates] == ["S04.52XA", "S04.892A"]
    assert "facial nerve" in candidates[0]["why"] and "hypoglossal nerve" in candidates[1]["why"]
    html = client.post("/check/", {"note": note}).content.decode()
    assert "<strong>S04.52XA</strong>" in html and "<strong>S04.892A</strong>" in html


def test_missing_length_names_both_codes(client):
    note = "Right facial nerve sacrificed at parotidectomy; a sural nerve graft was interposed."
    data = post_json(client, {"note": note}).json()
    assert data["proposed"] == []
    assert data["missing"][0]["fact"] == "Graft length not stated"
    assert data["missing"][0]["leads_to"] == "64885 if up to 4 cm, 64886 if longer"


def test_out_of_family_names_the_codes_to_weigh_and_proposes_none(client):
    note = "Mastoidectomy; the tympanic segment of the right facial nerve was grafted."
    data = post_json(client, {"note": note}).json()
    assert data["proposed"] == [] and data["add_ons"] == []
    assert data["out_of_family"]["rule"]["id"] == "R0-1"
    assert "69740" in data["out_of_family"]["codes_to_weigh"]


def test_a_stimulator_is_outside_the_family_with_no_code_invented(client):
    note = "A right hypoglossal nerve stimulator was implanted for sleep apnoea."
    data = post_json(client, {"note": note}).json()
    assert data["proposed"] == [] and data["add_ons"] == []
    assert data["out_of_family"]["codes_to_weigh"] == []
    html = client.post("/check/", {"note": note}).content.decode()
    assert "Outside this family" in html
    assert "Codes to weigh instead" not in html


def test_a_donor_site_side_is_shown_as_not_counted(client):
    note = (
        "Right ulnar nerve cut at the wrist. A sural nerve graft was harvested from the left "
        "leg; two cables of 3 cm were coapted to the ulnar nerve."
    )
    data = post_json(client, {"note": note}).json()
    assert [p["code"] for p in data["proposed"]] == ["64897"]
    assert {m["modifier"] for m in data["modifiers"]} >= {"RT"}
    assert "50" not in {m["modifier"] for m in data["modifiers"]}
    assert any("donor site" in f["why"] for f in data["not_counted"])


@pytest.mark.parametrize(
    ("note", "status", "words"),
    [
        ("", 400, "empty"),
        ("   \n ", 400, "empty"),
        ("x" * 20_001, 413, "20,000"),
        ("\x00\x01\x02binary\x00", 400, "binary"),
        ("\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f", 400, "binary"),
    ],
)
def test_bad_notes_get_a_clear_message(client, note, status, words):
    response = client.post("/check/", {"note": note})
    assert response.status_code == status
    assert words in response.content.decode()
    response = post_json(client, {"note": note})
    assert response.status_code == status
    assert words in response.json()["error"]


@pytest.mark.parametrize(
    "note",
    [
        "graft " * 3_333,
        "nerve " * 3_333,
        "Se reparó el nervio con sutura bajo anestesia general.",
        "神经修复术 " * 100,
        "\u202eright\u202c digital nerve",
        "Exactly 4 cm 4.0 cm 40 mm 0 mm 99999999999999999999 cm",
    ],
)
def test_odd_notes_never_fail(client, note):
    assert client.post("/check/", {"note": note}).status_code == 200
    assert post_json(client, {"note": note}).status_code == 200


def test_html_and_script_are_escaped_in_the_highlights(client):
    note = "<script>alert(1)</script> The <b>radial digital nerve</b> was repaired end-to-end."
    html = client.post("/check/", {"note": note}).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>radial" not in html


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("not json", "application/json", 400),
        (json.dumps(["a list"]), "application/json", 400),
        (json.dumps({"note": 5}), "application/json", 400),
        (json.dumps({"text": NOTE}), "application/json", 400),
        ("note=x", "application/x-www-form-urlencoded", 415),
        (b"\xff\xfe\x00", "application/json", 400),
    ],
)
def test_bad_json_gets_a_4xx(client, body, content_type, status):
    assert post_json(client, body, content_type).status_code == status


def test_the_api_takes_only_post(client):
    assert client.get("/api/check").status_code == 405


def test_the_form_needs_its_csrf_token():
    client = Client(enforce_csrf_checks=True)
    assert client.post("/check/", {"note": NOTE}).status_code == 403


def test_private_mode_requires_a_login(client, settings):
    settings.SITE_REQUIRE_LOGIN = True
    for response in (client.get("/check/"), post_json(client, {"note": NOTE})):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_an_unexpected_failure_is_a_message_not_a_traceback(client, monkeypatch):
    from codes.casecheck import engine

    def broken(text, today=None):
        raise RuntimeError(text)

    monkeypatch.setattr(engine, "check", broken)
    response = client.post("/check/", {"note": NOTE})
    assert response.status_code == 500
    assert "nothing of it was kept" in response.content.decode()
    assert post_json(client, {"note": NOTE}).status_code == 500


def test_line_breaks_count_once_as_the_browser_counts_them(client):
    note = "The radial digital nerve was repaired end-to-end.\r\n" * 400
    assert len(note) > 20_000 >= len(note.replace("\r\n", "\n"))
    assert client.post("/check/", {"note": note}).status_code == 200


def test_a_number_too_long_to_be_a_length_is_ignored(client):
    # Found by the fuzz: 400 nines and "cm" overflowed a float.
    note = "A sural nerve graft of " + "9" * 400 + " cm was placed to the facial nerve."
    data = post_json(client, {"note": note}).json()
    assert data["missing"][0]["fact"] == "Graft length not stated"
