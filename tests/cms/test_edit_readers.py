"""The readers of CMS's billing-edit files (PTP, MUE, add-on list, OPPS Addendum B), on
hand-made files in CMS's layouts: headers found past preambles and line breaks, Latin-1,
`*` for "no date", two-character status indicators, and every bad line refused with its
file and line."""

import datetime
import io
from decimal import Decimal

import pytest

from codes.cms import addendum_b, aoc, mue, ptp
from codes.cms.files import CmsFileError

COPYRIGHT = "CPT only copyright 2023 American Medical Association. All rights reserved."
PTP_HEADER = (
    "Column 1\tColumn 2\t*=in existence prior to 1996\tEffective Date\t"
    "Deletion Date *=no data\tModifier 0=not allowed 1=allowed 9=not applicable\t"
    "PTP Edit Rationale"
)


def rows(module, text, name="file.txt", encoding="cp1252"):
    stream = io.BytesIO(text.encode(encoding) if isinstance(text, str) else text)
    return list(module.read(name, stream))


def ptp_file(*lines, header=PTP_HEADER):
    return "\r\n".join([COPYRIGHT, header, *lines]) + "\r\n"


def test_ptp_reads_an_edit_with_no_dates():
    [(line, row)] = rows(
        ptp, ptp_file("64910\t69990\t\t\t*\t0\tCPT Manual or CMS manual coding instruction")
    )
    assert line == 3
    assert row == (
        "64910",
        "69990",
        False,
        None,
        None,
        "0",
        "CPT Manual or CMS manual coding instruction",
    )


def test_ptp_reads_dates_and_the_1996_mark():
    [(_, row)] = rows(
        ptp,
        ptp_file(
            "64831\t64702\t*\t19960101\t20240630\t1\tStandards of medical / surgical practice"
        ),
    )
    assert row[2] is True
    assert row[3:6] == ("1996-01-01", "2024-06-30", "1")


def test_ptp_header_over_several_rows_and_a_title_above_it():
    # CMS's own sheets spread the titles over rows below "Column 1"/"Column 2".
    text = "\r\n".join([
        "Medicare NCCI PTP edits, practitioner", COPYRIGHT, "",
        "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit",
        "\t\tprior to 1996\tDate\tDate *=no data\t0=not allowed\tRationale",
        "64864\t64702\t\t20020101\t*\t1\tMisuse of column two code with column one code",
    ])  # fmt: skip
    [(line, row)] = rows(ptp, text)
    assert (line, row[0], row[1]) == (6, "64864", "64702")


def test_ptp_reads_latin_1_text():
    [(_, row)] = rows(ptp, ptp_file("64864\t64702\t\t\t*\t1\tStandards of m\xe9dical practice"))
    assert row[-1] == "Standards of m\xe9dical practice"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("6486\t64702\t\t\t*\t1\tX", "column 1 code “6486” is not a five-character code"),
        ("64864\t\t\t\t*\t1\tX", "column 2 code “” is not a five-character code"),
        ("64864\t64702\t\t\t*\t2\tX", "modifier indicator “2” is not 0, 1 or 9"),
        ("64864\t64702\t\t\t2024-06-30\t1\tX", "deletion date “2024-06-30” is not a date"),
        ("64864\t64702\t\t20241301\t*\t1\tX", "effective date “20241301” is not a date"),
        ("64864\t64702\t\t\t*\t1\t", "no rationale"),
    ],
)
def test_ptp_refuses_a_bad_line_with_its_number(line, reason):
    good = "64831\t64702\t\t\t*\t1\tStandards of medical / surgical practice"
    with pytest.raises(CmsFileError) as error:
        rows(ptp, ptp_file(good, line), name="ccipra-v302r0-f4.TXT")
    assert error.value.name == "ccipra-v302r0-f4.TXT"
    assert error.value.line == 4
    assert reason in error.value.reason


def test_ptp_refuses_a_file_without_its_header():
    with pytest.raises(CmsFileError, match="not a PTP edit file"):
        rows(ptp, "HCPCS,MOD\r\n64864,\r\n")


def test_ptp_refuses_utf_16():
    with pytest.raises(CmsFileError, match="UTF-16"):
        rows(ptp, ptp_file("64864\t64702\t\t\t*\t1\tX"), encoding="utf-16")


def test_ptp_refuses_bytes_that_are_not_latin_1():
    data = ptp_file("64864\t64702\t\t\t*\t1\tX").encode() + b"64864\t64703\t\t\t*\t1\t\x81\r\n"
    with pytest.raises(CmsFileError) as error:
        rows(ptp, data)
    assert error.value.line == 4 and "0x81" in error.value.reason


def test_ptp_release_from_the_file_name():
    facts = ptp.release_from_name("ccipra-v302r0-f1.TXT")
    assert (facts.label, facts.effective_from) == ("PTP-v302r0", datetime.date(2024, 7, 1))
    assert ptp.release_from_name("ccipra-v313r1-f2.xlsx").effective_from == datetime.date(
        2025, 10, 1
    )
    assert ptp.release_from_name("ccipra-family.TXT").label is None


MUE_HEADER = (
    "HCPCS/CPT Code,Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale"
)


def test_mue_reads_the_digit_of_the_adjudication_indicator():
    row = "64864,2,3 Date of Service Edit: Clinical,Clinical: Data"
    text = f"{COPYRIGHT}\r\n{MUE_HEADER}\r\n{row}\r\n"
    assert rows(mue, text) == [(3, ("64864", 2, "3", "Clinical: Data"))]


def test_mue_header_cell_with_a_line_break():
    header = (
        '"HCPCS/\nCPT Code","Practitioner Services\nMUE Values",'
        "MUE Adjudication Indicator,MUE Rationale"
    )
    row = '64868,1,"3 Date of Service Edit: Clinical",Anatomic Consideration'
    text = f'"{COPYRIGHT}",,,\r\n{header}\r\n{row}\r\n'
    assert rows(mue, text)[0][1] == ("64868", 1, "3", "Anatomic Consideration")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("64864,two,3 Date of Service Edit: Clinical,X", "MUE value “two”"),
        ("64864,2,4 Something,X", "does not start with 1, 2 or 3"),
        ("64864,2,,X", "does not start with 1, 2 or 3"),
        ("64831,1,2 Date of Service Edit: Policy,X", "64831 repeats line 3"),
    ],
)
def test_mue_refuses_a_bad_line(line, reason):
    text = f"{COPYRIGHT}\r\n{MUE_HEADER}\r\n64831,1,2 Date of Service Edit: Policy,X\r\n{line}\r\n"
    with pytest.raises(CmsFileError) as error:
        rows(mue, text)
    assert error.value.line == 4 and reason in error.value.reason


def test_mue_release_from_the_file_name():
    facts = mue.release_from_name("MCR_MUE_PractitionerServices_Eff_07-01-2024.csv")
    assert (facts.label, facts.effective_from) == ("MUE-2024-07-01", datetime.date(2024, 7, 1))


AOC_HEADER = (
    "AOC_Edit_Type\tAdd-On_Code\tAOC_DelDT_Julian\tPrimary_Code\tPrimary_Code_DelDT_Julian\t"
    "AOC_Edit_EffDT_Julian\tAOC_Edit_DelDT_Julian\tSpecial_Instruction_Notes"
)


def test_aoc_reads_types_primaries_and_julian_dates():
    text = "\r\n".join([
        AOC_HEADER,
        "1\t64832\t\t64831\t\t2024001\t\t",
        "2\t0054T\t\tCCCCC\t\t\t\tContractor Defined Primary Codes",
        "1\t64872\t\t64870\t2015001\t2010001\t\t",
    ])  # fmt: skip
    read = [row for _, row in rows(aoc, text)]
    assert read[0] == ("64832", "64831", "1", "2024-01-01", None, "")
    assert read[1][1:3] == ("CCCCC", "2")
    assert read[2][4] == "2015-01-01"  # ended with its primary code


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("4\t64832\t\t64831\t\t\t\t", "AOC edit type “4”"),
        ("1\t64832\t\t6483\t\t\t\t", "primary code “6483”"),
        ("1\t64832\t\t64834\t\t2024400\t\t", "“2024400” is not a date (YYYYDDD"),
        ("1\t64832\t\t64831\t\t\t\t", "64832 with 64831 repeats line 2"),
    ],
)
def test_aoc_refuses_a_bad_line(line, reason):
    text = f"{AOC_HEADER}\r\n1\t64832\t\t64831\t\t\t\t\r\n{line}\r\n"
    with pytest.raises(CmsFileError) as error:
        rows(aoc, text, name="AOC_V2024Q3-MCR.txt")
    assert error.value.line == 3 and reason in error.value.reason


def test_aoc_release_from_the_file_name():
    assert aoc.release_from_name("AOC_V2024Q3-MCR.txt").label == "AOC-V2024Q3"
    facts = aoc.release_from_name("AOC_V2025Q4_01-MCR.txt")
    assert (facts.label, facts.effective_from) == ("AOC-V2025Q4-01", datetime.date(2025, 10, 1))


# OPPS Addendum B in its documented layout (CMS_FACTS.md 2.2): title and notes above the
# header, a note column whose header is a sentence, and two-character status indicators.
ADDENDUM_B = "\r\n".join([
    '"Addendum B.-Final OPPS Payment by HCPCS Code for CY 2025",,,,,,,,,,',
    '"CPT codes and descriptions only are copyright 2024 American Medical Association.",,,,,,,,,,',
    ",,,,,,,,,,",
    'HCPCS Code,Short Descriptor,SI,APC,Relative Weight,Payment Rate,National Unadjusted '
    'Copayment,Minimum Unadjusted Copayment,"Note: Actual copayments would be capped at the '
    'inpatient deductible",Drug and Device Pass-Through Expiration during Calendar Year,'
    "* Indicates a Change",
    "64864,,C,,,,,,,,",
    '64831,,J1,5432,"95.1234","$8,123.45",,"$1,624.69",,,',
    "64999,,T,5431,,,,,,,*",
])  # fmt: skip


def test_addendum_b_reads_status_apc_and_rate():
    read = {
        row[0]: row
        for _, row in rows(addendum_b, ADDENDUM_B, name="January 2025 Web Addendum B.12.31.24.csv")
    }
    assert read["64864"] == ("64864", "C", "", None, None)
    assert read["64831"] == ("64831", "J1", "5432", Decimal("95.1234"), Decimal("8123.45"))
    assert read["64999"][1] == "T"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("64868,,,,,,,,,,", "status indicator “”"),
        ("64868,,ABC,,,,,,,,", "status indicator “ABC”"),
        ("64868,,T,54x,,,,,,,", "APC “54x”"),
        ("64868,,T,5431,,lots,,,,,", "payment rate “lots”"),
        ("64864,,C,,,,,,,,", "64864 repeats line 5"),
    ],
)
def test_addendum_b_refuses_a_bad_line(line, reason):
    with pytest.raises(CmsFileError) as error:
        rows(addendum_b, ADDENDUM_B + "\r\n" + line)
    assert error.value.line == 8 and reason in error.value.reason


def test_addendum_b_without_an_si_column_is_refused():
    with pytest.raises(CmsFileError, match="no column SI"):
        rows(addendum_b, "HCPCS Code,Short Descriptor,APC\r\n64864,,\r\n")


def test_addendum_b_release_from_the_file_name():
    facts = addendum_b.release_from_name("January 2025 Web Addendum B.12.31.24.csv")
    assert facts.label == "OPPS-B-2025-01"
    assert facts.effective_from == datetime.date(2025, 1, 1)
    assert facts.released_on == datetime.date(2024, 12, 31)
    assert (
        addendum_b.release_from_name("2023_January_Web_Addendum_B.01202023a.csv").label
        == "OPPS-B-2023-01"
    )


@pytest.mark.parametrize(
    ("module", "what"),
    [(ptp, "not a PTP edit file"), (mue, "not an MUE table"), (aoc, "not an add-on code list"),
     (addendum_b, "not an OPPS Addendum B file")],
)  # fmt: skip
def test_every_reader_refuses_another_kind_of_file(module, what):
    other = (
        "HCPCS,MOD,DESCRIPTION\r\n64864,,\r\n" if module is not mue else "Column 1\tColumn 2\r\n"
    )
    with pytest.raises(CmsFileError, match=what):
        rows(module, other)
    with pytest.raises(CmsFileError, match="UTF-16"):
        rows(module, other, encoding="utf-16")


def test_real_ptp_parts_read_as_they_are(cms_ncci_2024_07):
    """The first rows of each real gzip part, streamed: header found, codes and dates read."""
    import itertools

    from codes.cms.files import given_files

    for number in (1, 2, 3, 4):
        [given] = given_files(cms_ncci_2024_07 / f"ccipra-v302r0-f{number}.TXT.gz")
        with given.open() as stream:
            first = list(itertools.islice(ptp.read(given.name, stream), 1000))
        assert len(first) == 1000 and first[0][0] == 3
        assert all(row[3] is None and row[5] in {"0", "1", "9"} for _, row in first)
