"""Checks that every published code of the family is complete, cited and agrees with CMS.

Read straight from the fixture files (as tests/test_fixtures.py does), except the CMS
indicators, which come from the RVU25D rows tests/conftest.py imports."""

import re
from html.parser import HTMLParser

import pytest

from codes.cms.indicators import ASSISTANT, BILATERAL, CO_SURGEONS, MULTIPLE_PROCEDURE
from codes.models import CodeProcedure, FeeScheduleRow, SourceConfidence
from codes.rich_text import render_markdown
from tests.test_fixtures import ADD_ON_CODES, CODES, FAMILY, rows_of

PUBLISHED = [code for code in FAMILY if CODES[code]["editorial_state"] == "published"]
SOURCES = {row["fields"]["slug"]: row["fields"] for row in rows_of("source")}
WEAK = {SourceConfidence.RECALLED, SourceConfidence.UNSURE}
CMS_PFS_SOURCE = "cms-pfs-relative-value-file-rvu25d"
EXTRA_PROSE = ["inpatient_only_note", "places_of_service_note"]


def rows_for(model, code):
    return [row["fields"] for row in rows_of(model) if row["fields"]["code"] == [code]]


def modifier_notes(code):
    return {row["modifier"][0]: row["note"] for row in rows_for("codemodifier", code)}


def all_prose():
    """Every Markdown text the pages render, with a label saying where it is."""
    for code in FAMILY:
        for name in [*CodeProcedure.PROSE_FIELDS, *EXTRA_PROSE]:
            yield f"{code} {name}", CODES[code].get(name, "")
        for example in rows_for("clinicalexample", code):
            yield f"{code} example {example['position']}", example["text"]
        for modifier, note in modifier_notes(code).items():
            yield f"{code}-{modifier}", note


@pytest.mark.parametrize("code", PUBLISHED)
def test_every_published_code_is_complete_in_every_section(code):
    fields = CODES[code]
    for name in ["title", *CodeProcedure.PROSE_FIELDS]:
        assert fields.get(name, "").strip(), f"{code} has no {name}"
    assert len(rows_for("clinicalexample", code)) >= 2, f"{code} has fewer than two examples"
    notes = modifier_notes(code)
    assert notes and all(note.strip() for note in notes.values()), code
    for name in ["specialties", "places_of_service", "nerves", "sources"]:
        assert fields.get(name), f"{code} lists no {name}"


@pytest.mark.parametrize(("where", "text"), list(all_prose()))
def test_no_page_says_not_written_yet(where, text):
    assert "not written yet" not in text.lower(), where


@pytest.mark.parametrize(("where", "text"), list(all_prose()))
def test_no_paragraph_list_item_or_sentence_is_repeated(where, text):
    # A content script once appended the same paragraphs six times to 64864, 64866 and
    # 64868: the pages read as stuttering and printed on three pages.
    pieces = [
        piece.strip()
        for piece in re.split(r"\n\s*\n|\n(?=- )|(?<=[.!?]) ", text)
        if len(piece.strip()) > 40
    ]
    repeated = {piece for piece in pieces if pieces.count(piece) > 1}
    assert not repeated, f"{where} repeats: {sorted(repeated)[:2]}"


@pytest.mark.parametrize("code", PUBLISHED)
def test_examples_are_marked_illustrative(code):
    for example in rows_for("clinicalexample", code):
        assert example["text"].startswith("Illustrative scenario, not a real patient."), code


@pytest.mark.parametrize("slug", sorted(SOURCES))
def test_every_source_has_an_address_what_it_supports_and_a_confidence(slug):
    source = SOURCES[slug]
    findable = source["url"].strip() or (source["publisher"].strip() and source["title"].strip())
    assert findable, f"{slug} has neither a URL nor a citation a coder can find"
    assert source["supports"].strip(), f"{slug} does not say what it supports"
    assert source.get("confidence") in SourceConfidence.values, slug


def test_every_source_a_code_cites_exists():
    for code in FAMILY:
        for (slug,) in CODES[code]["sources"]:
            assert slug in SOURCES, f"{code} cites unknown source {slug}"


@pytest.mark.parametrize("code", FAMILY)
def test_no_fact_stated_as_certain_rests_only_on_weak_sources(code):
    fields = CODES[code]
    confidences = {SOURCES[slug]["confidence"] for (slug,) in fields["sources"]}
    if confidences <= WEAK:
        assert not fields.get("inpatient_only_verified"), code
        assert not fields.get("is_add_on"), f"{code}: add-on status rests on weak sources only"
    inpatient_source = fields.get("inpatient_only_source")
    if inpatient_source and SOURCES[inpatient_source[0]]["confidence"] in WEAK:
        assert not fields.get("inpatient_only_verified"), code
    if fields.get("work_rvu") is not None:
        source = fields.get("work_rvu_source")
        assert source and SOURCES[source[0]]["confidence"] not in WEAK, code


@pytest.mark.parametrize("code", FAMILY)
def test_modifier_notes_that_state_cms_indicators_cite_the_cms_source(code):
    if any("CMS (RVU25D)" in note for note in modifier_notes(code).values()):
        assert [CMS_PFS_SOURCE] in CODES[code]["sources"], code
        assert SOURCES[CMS_PFS_SOURCE]["confidence"] == SourceConfidence.PRIMARY


# What a note must say for each indicator value; the words of codes/cms/indicators.py
# are the page's, these are the notes' own.
ASSISTANT_WORDS = {
    "0": "only when documentation shows medical necessity",
    "1": "does not pay an assistant",
    "2": "an assistant may be paid",
}
CO_SURGEON_WORDS = {"0": "does not permit co-surgeons", "1": "only with documentation of the need"}
BILATERAL_WORDS = {"0": "no bilateral payment adjustment", "1": "150%"}
MULTIPLE_WORDS = {"2": "standard multiple-procedure reduction"}


def cms_row(code):
    return FeeScheduleRow.objects.get(release__label="RVU25D", hcpcs=code, modifier="")


def assert_agrees(code, note, value, words, meanings):
    assert value in meanings, f"{code}: unknown CMS value {value}"
    assert value in words, f"{code}: a note on a code whose CMS value is {value}"
    assert words[value] in note, f"{code}: note disagrees with CMS value {value}: {note}"
    for other, phrase in words.items():
        if other != value:
            assert phrase not in note, f"{code}: note states CMS value {other}, not {value}"


@pytest.mark.django_db
@pytest.mark.parametrize("code", FAMILY)
def test_modifier_notes_agree_with_cms_indicators(code):
    row = cms_row(code)
    notes = modifier_notes(code)
    for modifier in ["80", "81", "82", "AS"]:
        if modifier in notes:
            assert_agrees(code, notes[modifier], row.assistant, ASSISTANT_WORDS, ASSISTANT)
    if "62" in notes:
        assert_agrees(code, notes["62"], row.co_surgeons, CO_SURGEON_WORDS, CO_SURGEONS)
    if "50" in notes:
        assert_agrees(code, notes["50"], row.bilateral, BILATERAL_WORDS, BILATERAL)
    if "51" in notes:
        assert_agrees(code, notes["51"], row.multiple_procedure, MULTIPLE_WORDS, MULTIPLE_PROCEDURE)
    if "66" in notes:
        assert row.team_surgery == "0" and "not permit" in notes["66"], code


@pytest.mark.django_db
def test_add_on_flags_agree_with_cms_global_period():
    zzz = set(
        FeeScheduleRow.objects.filter(
            release__label="RVU25D", hcpcs__in=FAMILY, modifier="", global_days="ZZZ"
        ).values_list("hcpcs", flat=True)
    )
    assert zzz == ADD_ON_CODES


def test_no_add_on_code_carries_a_modifier_that_only_primaries_take():
    for code in ADD_ON_CODES:
        assert not {"51", "22", "78", "79"} & set(modifier_notes(code)), code


def test_no_official_descriptor_and_titles_are_short():
    for code in FAMILY:
        assert CODES[code]["official_descriptor"] == ""
        assert len(CODES[code]["title"]) <= 80, code


@pytest.mark.parametrize(("where", "text"), list(all_prose()))
def test_markdown_renders_without_literal_markup(where, text):
    rendered = render_markdown(text)
    assert "**" not in rendered, where
    assert "- **" not in rendered, where
    assert not re.search(r"<p>\s*- ", rendered), f"{where}: a list rendered as a paragraph"


class ListDepth(HTMLParser):
    """The deepest nesting of <ul> inside <li> in a piece of HTML."""

    def __init__(self):
        super().__init__()
        self.open_lists = 0
        self.deepest = 0

    def handle_starttag(self, tag, attrs):
        if tag == "ul":
            self.open_lists += 1
            self.deepest = max(self.deepest, self.open_lists)

    def handle_endtag(self, tag):
        if tag == "ul":
            self.open_lists -= 1


def list_depth(markdown_text):
    parser = ListDepth()
    parser.feed(render_markdown(markdown_text))
    return parser.deepest


def test_nested_lists_render_as_nested_lists():
    nested = [(where, text) for where, text in all_prose() if re.search(r"^ {4}- ", text, re.M)]
    assert nested, "the fixtures hold no nested list to check"
    for where, text in nested:
        assert list_depth(text) >= 2, f"{where}: the nested list was flattened"


def test_two_and_four_space_nested_lists_both_nest():
    """An editor's two-space indent nests a list as a four-space one does (cmark-gfm)."""
    assert list_depth("- a\n  - b") == 2
    assert list_depth("- a\n    - b") == 2
