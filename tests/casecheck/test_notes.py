"""The case check on synthetic notes of our own (tests/casecheck/notes/*.txt), each with its
expectations in notes/expectations.json: the codes proposed and added, the facts missing,
the codes refused, the rule that puts a note outside the family, the words shown as
evidence and the words that did not count. Add a note by adding a file and its entry."""

import json
from pathlib import Path

import pytest

from codes.casecheck import check_note

pytestmark = pytest.mark.django_db

NOTES = Path(__file__).parent / "notes"
EXPECTATIONS = json.loads((NOTES / "expectations.json").read_text(encoding="utf-8"))


def test_every_note_has_expectations_and_every_expectation_a_note():
    assert {p.stem for p in NOTES.glob("*.txt")} == set(EXPECTATIONS)


@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_note(name):
    expect = EXPECTATIONS[name]
    result = check_note((NOTES / f"{name}.txt").read_text(encoding="utf-8"))
    assert [p.code for p in result.proposed] == expect.get("proposed", [])
    assert sorted(p.code for p in result.add_ons) == sorted(expect.get("add_ons", []))
    refused = {r.code for r in result.refused}
    assert refused >= set(expect.get("refused", []))
    assert not refused & set(expect.get("add_ons", []))
    missing = " | ".join(f"{m.fact}: {m.leads_to}" for m in result.missing)
    for words in expect.get("missing", []):
        assert words.lower() in missing.lower()
    if not expect.get("missing"):
        assert not [m for m in result.missing if "Side" not in m.fact and "finger" not in m.fact]
    out = result.out_of_family.rule.id if result.out_of_family else None
    assert out == expect.get("out_of_family")
    if out:
        assert not result.proposed and not result.add_ons
    shown = " ".join(
        e.matched for p in result.proposed + result.add_ons for e in p.evidence
    ).lower()
    for words in expect.get("evidence", []):
        assert words.lower() in shown
    not_counted = {f.key for f in result.not_counted}
    assert not_counted >= set(expect.get("not_counted", []))
    assert {q.id for q in result.questions} >= set(expect.get("questions", []))
    assert {p.code for p in result.proposed if not p.decided} == set(expect.get("undecided", []))
    assert {m.modifier for m in result.modifiers} >= set(expect.get("modifiers", []))
    if "diagnoses" in expect:
        diagnoses = result.diagnoses.candidates
        assert [c.code for c in diagnoses] == expect["diagnoses"]
        assert all(c.status == "valid and billable" and c.title for c in diagnoses)
    if expect.get("message"):
        assert expect["message"] in result.message
    else:
        assert not result.message


def test_a_candidate_the_release_lacks_is_dropped(monkeypatch):
    from codes.casecheck import diagnoses

    monkeypatch.setitem(diagnoses.INJURY, "sciatic", ("S74.0{side}Q{seventh}", "test", "P-ICD"))
    result = check_note((NOTES / "sciatic.txt").read_text(encoding="utf-8"))
    assert result.diagnoses.candidates == []


def test_a_side_not_stated_is_asked_for_not_guessed():
    result = check_note(
        "Glass laceration. The median nerve at the forearm was repaired end-to-end."
    )
    assert result.diagnoses.candidates == []
    assert "Side not stated" in result.diagnoses.questions[0]
    assert "Side not stated" in [m.fact for m in result.missing]


def test_a_facial_injury_reminds_of_the_wound_and_fracture_codes():
    result = check_note((NOTES / "facial_graft_short.txt").read_text(encoding="utf-8"))
    assert any("S01.-" in q for q in result.diagnoses.questions)


def test_each_repaired_nerve_gets_its_own_side_or_a_question():
    # Two sides in the note and none next to the median nerve: its side is asked for, never
    # borrowed from the ulnar nerve's.
    result = check_note(
        "Glass injuries to the right and left forearm. The median nerve was repaired "
        "end-to-end. The right ulnar nerve was repaired end-to-end."
    )
    assert [c.code for c in result.diagnoses.candidates] == ["S54.01XA"]
    assert "Side not stated for the median nerve" in result.diagnoses.questions[0]


def test_a_digital_nerve_of_each_finger_gets_its_own_code():
    result = check_note(
        "Left hand saw laceration. The radial digital nerve of the left index finger was "
        "repaired end-to-end with 9-0 nylon. The ulnar digital nerve of the left middle "
        "finger was repaired end-to-end with 9-0 nylon."
    )
    assert [c.code for c in result.diagnoses.candidates] == ["S64.491A", "S64.493A"]


def test_two_nerves_on_different_sides_get_rt_or_lt_not_50():
    """The right median and the left ulnar nerve: each line takes the side of the nerve it
    reports; 50 is one procedure on both sides."""
    result = check_note(NOTES.joinpath("median_right_ulnar_left.txt").read_text())
    modifiers = {m.modifier for m in result.modifiers}
    assert "50" not in modifiers and "RT/LT" in modifiers
    hint = next(m for m in result.modifiers if m.modifier == "RT/LT")
    assert "median right" in hint.reason and "ulnar left" in hint.reason
    # One nerve repaired on both sides is still 50.
    bilateral = check_note(NOTES.joinpath("bilateral_facial.txt").read_text())
    assert "50" in {m.modifier for m in bilateral.modifiers}
