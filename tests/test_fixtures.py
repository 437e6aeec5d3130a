"""Checks over the reference content itself, read straight from the fixture files."""

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from codes.models import CodeProcedure

FIXTURE_DIR = Path(__file__).resolve().parent.parent / "fixtures"
CODE_FORMAT = re.compile(r"^[0-9]{4}[0-9FTU]$")
FAMILY = [
    "64831",
    "64832",
    "64834",
    "64835",
    "64836",
    "64837",
    "64840",
    "64856",
    "64857",
    "64858",
    "64859",
    "64861",
    "64862",
    "64864",
    "64865",
    "64866",
    "64868",
    "64872",
    "64874",
    "64876",
    "64885",
    "64886",
    "64890",
    "64891",
    "64892",
    "64893",
    "64895",
    "64896",
    "64897",
    "64898",
    "64901",
    "64902",
    "64905",
    "64907",
    "64910",
    "64911",
    "64912",
    "64913",
]
ADD_ON_CODES = {
    "64832",
    "64837",
    "64859",
    "64872",
    "64874",
    "64876",
    "64901",
    "64902",
    "64913",
}
COMMISSIONED = ["64864", "64866", "64868"]
COMPLETE_FIELDS = ["title", *CodeProcedure.PROSE_FIELDS]


def load_all():
    rows = []
    for path in sorted(FIXTURE_DIR.glob("*.json")):
        rows.extend(json.loads(path.read_text(encoding="utf-8")))
    return rows


ROWS = load_all()


def rows_of(model):
    return [row for row in ROWS if row["model"] == f"codes.{model}"]


CODES = {row["fields"]["code"]: row["fields"] for row in rows_of("codeprocedure")}


def test_fixtures_use_natural_keys_not_numeric_ids():
    assert ROWS
    assert all("pk" not in row for row in ROWS)


def test_every_code_of_the_family_is_present_once():
    codes = [row["fields"]["code"] for row in rows_of("codeprocedure")]
    assert [code for code, n in Counter(codes).items() if n > 1] == []
    assert sorted(codes) == sorted(FAMILY)


def test_every_code_is_well_formed():
    assert all(CODE_FORMAT.match(code) for code in CODES)


def test_official_descriptor_is_empty_everywhere():
    assert all(fields.get("official_descriptor", "") == "" for fields in CODES.values())


def test_add_on_flags_match_the_facts_sheet():
    flagged = {code for code, fields in CODES.items() if fields.get("is_add_on")}
    assert flagged == ADD_ON_CODES


def test_every_add_on_code_points_to_a_primary_code():
    primaries = {}
    for row in rows_of("coderelation"):
        fields = row["fields"]
        if fields["relation_type"] == "add_on_to":
            primaries.setdefault(fields["from_code"][0], set()).add(fields["to_code"][0])
    for add_on in ADD_ON_CODES:
        assert primaries.get(add_on), f"{add_on} has no primary code"


def test_add_on_relations_are_cms_add_on_list_within_the_catalogue():
    """The hand-written "add-on to" relations are exactly the pairs CMS's add-on list (the
    shipped July 2024 extract) gives between our codes, each marked verified."""
    shipped = Path(__file__).resolve().parents[1] / "fixtures/cms/ncci-2024-07/AOC_V2024Q3-MCR.txt"
    lines = shipped.read_text("cp1252").splitlines()[1:]
    cms = {
        (cells[1], cells[3])
        for cells in (line.split("\t") for line in lines)
        if cells[1] in CODES and cells[3] in CODES
    }
    relations = [
        row["fields"]
        for row in rows_of("coderelation")
        if row["fields"]["relation_type"] == "add_on_to"
    ]
    assert {(f["from_code"][0], f["to_code"][0]) for f in relations} == cms
    assert all(f["is_verified"] for f in relations)
    assert not cms & {(a, p) for a in ("64872", "64874", "64876") for p in ("64866", "64868")}


def test_only_add_on_codes_carry_a_verified_global_period():
    # ZZZ for add-on codes is seen; 090 for primary codes is only recalled, so unknown.
    for code, fields in CODES.items():
        expected = "ZZZ" if code in ADD_ON_CODES else ""
        assert fields.get("global_period", "") == expected, code


@pytest.mark.parametrize("code", COMMISSIONED)
def test_commissioned_codes_are_complete(code):
    fields = CODES[code]
    for name in COMPLETE_FIELDS:
        assert fields.get(name, "").strip(), f"{code} has no {name}"
    assert fields.get("nerves"), f"{code} lists no nerve"
    assert fields.get("sources"), f"{code} lists no source"
    examples = [row for row in rows_of("clinicalexample") if row["fields"]["code"] == [code]]
    assert len(examples) >= 3
    notes = [row for row in rows_of("codemodifier") if row["fields"]["code"] == [code]]
    assert notes and all(row["fields"]["note"].strip() for row in notes)


def test_every_code_lists_a_source():
    assert all(fields.get("sources") for fields in CODES.values())


def test_unsure_inpatient_status_is_flagged_not_stated_as_certain():
    assert CODES["64866"]["inpatient_only"] == "yes"
    assert CODES["64866"]["inpatient_only_as_of"] == "2024-12-01"
    assert CODES["64866"].get("inpatient_only_verified", False) is False
    assert CODES["64868"]["inpatient_only"] == "unknown"
    others = {c: f.get("inpatient_only", "unknown") for c, f in CODES.items()}
    assert {c for c, v in others.items() if v != "unknown"} == {"64866"}


def test_64868_specialties_are_marked_as_editorial_judgement():
    assert CODES["64868"]["specialties"]
    assert CODES["64868"]["specialties_note"].strip()


def test_no_add_on_code_carries_modifier_51():
    for row in rows_of("codemodifier"):
        code, modifier = row["fields"]["code"][0], row["fields"]["modifier"][0]
        assert not (code in ADD_ON_CODES and modifier == "51"), code


@pytest.mark.parametrize(
    ("slug", "words"),
    [
        ("facial-nerve", ["CN VII", "cranial nerve 7", "seventh cranial nerve",
                          "facial palsy", "facial paralysis", "facial reanimation"]),
        ("spinal-accessory-nerve", ["CN XI", "accessory nerve", "cranial nerve 11",
                                    "eleventh cranial nerve"]),
        ("hypoglossal-nerve", ["CN XII", "tongue nerve", "cranial nerve 12",
                               "twelfth cranial nerve"]),
        ("digital-nerves", ["finger nerve", "toe nerve"]),
    ],
)  # fmt: skip
def test_nerves_carry_every_word_people_use(slug, words):
    nerve = next(row["fields"] for row in rows_of("nerve") if row["fields"]["slug"] == slug)
    aliases = {line.strip().lower() for line in nerve["aliases"].splitlines()}
    assert {word.lower() for word in words} <= aliases


def test_vocabularies_are_complete_and_unique():
    modifiers = [row["fields"]["code"] for row in rows_of("modifier")]
    assert len(modifiers) == len(set(modifiers)) == 20
    places = [row["fields"]["code"] for row in rows_of("placeofservice")]
    assert sorted(places) == ["11", "19", "21", "22", "23", "24", "31"]
    slugs = [row["fields"]["slug"] for row in rows_of("specialty")]
    assert sorted(slugs) == [
        "hand-surgery",
        "neurosurgery",
        "orthopaedic-surgery",
        "otolaryngology",
        "plastic-surgery",
        "podiatry",
    ]


def test_every_supporting_diagnosis_is_a_well_formed_code_of_a_code_of_the_family():
    from codes.icd10 import normalise

    rows = rows_of("supportingdiagnosis")
    assert rows
    for row in rows:
        fields = row["fields"]
        assert fields["code"][0] in FAMILY
        assert normalise(fields["diagnosis_code"]) == fields["diagnosis_code"]
    pairs = [(row["fields"]["code"][0], row["fields"]["diagnosis_code"]) for row in rows]
    assert [pair for pair, n in Counter(pairs).items() if n > 1] == []
