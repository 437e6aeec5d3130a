"""Fuzz /check/ and POST /api/check: whatever the note, the answer is never a 5xx.

Hypothesis builds notes from pieces of the synthetic notes, the vocabulary's phrases,
lengths and counts of every shape, negation cues, section headers, odd Unicode and markup,
and sends each through the form and the JSON API (and as raw JSON bodies). Like
tests/test_fuzz.py it keeps no example database: each run is a fresh sample."""

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from codes.casecheck import vocabulary

pytestmark = pytest.mark.django_db

NOTES = Path(__file__).parent / "notes"
SENTENCES = [
    sentence.strip() + "."
    for path in sorted(NOTES.glob("*.txt"))
    for sentence in path.read_text(encoding="utf-8").split(".")
    if sentence.strip()
]
PHRASES = sorted(
    {
        phrase
        for table in (
            vocabulary.NERVE_PHRASES, vocabulary.TECHNIQUE_PHRASES, vocabulary.FINDING_PHRASES,
            vocabulary.LEVEL_PHRASES, vocabulary.OUT_OF_FAMILY_PHRASES, vocabulary.CAUSE_PHRASES,
            vocabulary.DIGITS,
        )
        for phrases in table.values()
        for phrase in phrases
    }
)  # fmt: skip
CUES = vocabulary.NOT_THE_FACT_BEFORE + vocabulary.NOT_THE_FACT_AFTER
HEADERS = [f"\n{header.upper()}:" for header in vocabulary.SECTION_HEADERS]
ODD = [
    "\x00", "\x7f", "\u202e", "\u200b", "\ufeff", "\U0001f600", "<script>alert(1)</script>",
    "<b>", "&amp;", "{{ x }}", "{% csrf_token %}", "%s", "\\", '"', "'", "\r\n", "\t",
    "９", "½", "1e309", "NaN", "-4 cm", "4,0 cm", "0.0000001 mm", "9" * 400 + " cm",
]  # fmt: skip

measures = st.builds(
    lambda number, unit: f"{number} {unit}",
    st.one_of(st.integers(-10, 10**12).map(str), st.floats(allow_nan=True).map(str),
              st.sampled_from(["one", "two", "4.0", "4", "40", ".5", "3,5"])),
    st.sampled_from(["cm", "mm", "centimetres", "millimeters", "strands", "cables", "nerves"]),
)  # fmt: skip
pieces = st.one_of(
    st.sampled_from(SENTENCES),
    st.sampled_from(PHRASES),
    st.sampled_from(CUES),
    st.sampled_from(HEADERS),
    st.sampled_from(ODD),
    measures,
    st.text(max_size=30),
)
notes = st.lists(pieces, min_size=1, max_size=40).map(" ".join)


def assert_answered(client, note):
    for response in (
        client.post("/check/", {"note": note}),
        client.post("/api/check", json.dumps({"note": note}), content_type="application/json"),
    ):
        assert response.status_code < 500, (response.status_code, note[:200])


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(note=notes)
@example(note="")
@example(note="x" * 20_000)
@example(note="x" * 20_001)
@example(note=" ".join(PHRASES))
@example(note=" ".join(CUES))
def test_no_note_makes_a_5xx(client, note):
    assert_answered(client, note)


@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(body=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode),
                      st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                               lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
                               max_leaves=8).map(lambda v: json.dumps(v).encode())))  # fmt: skip
def test_no_json_body_makes_a_5xx(client, body):
    response = client.post("/api/check", body, content_type="application/json")
    assert response.status_code < 500
