"""codes.icd10: the shape of a code, and what the current release says about it (the
interface the case check calls)."""

import pytest

from codes.icd10 import explain_malformed, lookup, normalise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("G51.0", "G510"),
        ("g510", "G510"),
        (" s04.51xa ", "S0451XA"),
        ("C07", "C07"),
        ("S04.5", "S045"),
        ("G51.", None),
        ("G5.10", None),
        ("351.0", None),
        ("64868", None),
        ("0FB00ZZ", None),
        ("S04.51XAB", None),
        ("", None),
        (None, None),
        ("G51.0; DROP TABLE", None),
    ],
)
def test_normalise_gives_the_canonical_form_or_none(text, expected):
    assert normalise(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("351.0", "ICD-9-CM"),
        ("0FB00ZZ", "ICD-10-PCS"),
        ("64868", "CPT"),
        ("G5", "not the shape"),
    ],
)
def test_a_code_of_another_classification_is_named(text, words):
    assert words in explain_malformed(text)


@pytest.mark.django_db
def test_lookup_returns_the_codes_of_the_current_release_keyed_as_given():
    found = lookup(["G51.0", "s0451xa", "S04.51X", "G51", "Z99.99", "nonsense"])
    assert set(found) == {"G51.0", "s0451xa", "G51"}
    bell = found["G51.0"]
    assert (bell.code, bell.title, bell.billable) == ("G51.0", "Bell's palsy", True)
    assert found["s0451xa"].code == "S04.51XA"
    assert found["s0451xa"].billable is True
    assert found["G51"].billable is False


@pytest.mark.django_db
def test_lookup_reads_the_database_in_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        lookup(["G51.0", "G51.1", "S04.51XA"])
    with django_assert_num_queries(0):
        assert lookup(["nonsense", ""]) == {}
