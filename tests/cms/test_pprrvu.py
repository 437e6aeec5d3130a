import datetime
from decimal import Decimal

from codes.cms import gpci, locco, pprrvu

# CMS_FACTS.md section 1b: CPT, status, global, work, facility PE, non-facility PE, MP,
# total facility, total non-facility, PC/TC, pre/intra/post, mult, bilat, asst, co, team.
# Every non-facility PE is flagged NA.
FAMILY = """
64831 A 090 9.16 10.42 10.42 1.71 21.29 21.29 0 0.11/0.76/0.13 2 1 1 0 0
64832 A ZZZ 5.65 3.21 3.21 1.04 9.90 9.90 0 0.00/0.00/0.00 0 0 0 0 0
64834 A 090 10.81 10.12 10.12 1.84 22.77 22.77 0 0.11/0.76/0.13 2 1 0 0 0
64835 A 090 11.73 10.77 10.77 2.39 24.89 24.89 0 0.11/0.76/0.13 2 1 2 0 0
64836 A 090 11.73 10.77 10.77 2.39 24.89 24.89 0 0.11/0.76/0.13 2 1 2 0 0
64837 A ZZZ 6.25 3.31 3.31 1.28 10.84 10.84 0 0.00/0.00/0.00 0 0 2 0 0
64840 A 090 14.02 12.41 12.41 2.87 29.30 29.30 0 0.11/0.76/0.13 2 1 2 0 0
64856 A 090 15.07 12.25 12.25 3.33 30.65 30.65 0 0.11/0.76/0.13 2 0 1 1 0
64857 A 090 15.82 12.81 12.81 3.14 31.77 31.77 0 0.11/0.76/0.13 2 0 2 1 0
64858 A 090 17.82 14.13 14.13 3.65 35.60 35.60 0 0.11/0.76/0.13 2 1 2 1 0
64859 A ZZZ 4.25 2.25 2.25 0.86 7.36 7.36 0 0.00/0.00/0.00 0 0 2 1 0
64861 A 090 20.89 17.25 17.25 8.60 46.74 46.74 0 0.11/0.76/0.13 2 1 2 1 0
64862 A 090 21.09 16.14 16.14 4.32 41.55 41.55 0 0.11/0.76/0.13 2 1 2 0 0
64864 A 090 13.41 10.35 10.35 2.23 25.99 25.99 0 0.11/0.76/0.13 2 0 2 1 0
64865 A 090 16.09 14.10 14.10 2.31 32.50 32.50 0 0.11/0.76/0.13 2 0 2 1 0
64866 A 090 16.83 17.52 17.52 3.08 37.43 37.43 0 0.11/0.76/0.13 2 0 2 1 0
64868 A 090 14.90 12.78 12.78 2.14 29.82 29.82 0 0.11/0.76/0.13 2 0 2 1 0
64872 A ZZZ 1.99 1.06 1.06 0.40 3.45 3.45 0 0.00/0.00/0.00 0 0 2 1 0
64874 A ZZZ 2.98 1.57 1.57 0.61 5.16 5.16 0 0.00/0.00/0.00 0 0 2 1 0
64876 A ZZZ 3.37 1.78 1.78 0.69 5.84 5.84 0 0.00/0.00/0.00 0 0 2 1 0
64885 A 090 17.60 12.19 12.19 2.55 32.34 32.34 0 0.11/0.76/0.13 2 0 2 1 0
64886 A 090 20.82 14.79 14.79 3.14 38.75 38.75 0 0.11/0.76/0.13 2 0 2 1 0
64890 A 090 16.24 13.16 13.16 3.31 32.71 32.71 0 0.11/0.76/0.13 2 0 2 0 0
64891 A 090 17.35 13.88 13.88 3.54 34.77 34.77 0 0.11/0.76/0.13 2 0 2 0 0
64892 A 090 15.74 12.89 12.89 3.20 31.83 31.83 0 0.11/0.76/0.13 2 0 2 1 0
64893 A 090 16.87 13.63 13.63 3.44 33.94 33.94 0 0.11/0.76/0.13 2 0 2 0 0
64895 A 090 20.39 15.50 15.50 4.16 40.05 40.05 0 0.11/0.76/0.13 2 0 2 1 0
64896 A 090 21.96 16.74 16.74 4.50 43.20 43.20 0 0.11/0.76/0.13 2 0 2 1 0
64897 A 090 19.38 14.96 14.96 3.97 38.31 38.31 0 0.11/0.76/0.13 2 0 2 1 0
64898 A 090 20.97 16.22 16.22 4.30 41.49 41.49 0 0.11/0.76/0.13 2 0 2 1 0
64901 A ZZZ 10.20 5.40 5.40 2.10 17.70 17.70 0 0.00/0.00/0.00 0 0 2 1 0
64902 A ZZZ 11.81 6.26 6.26 2.41 20.48 20.48 0 0.00/0.00/0.00 0 0 2 1 0
64905 A 090 15.11 11.98 11.98 3.02 30.11 30.11 0 0.11/0.76/0.13 2 0 2 1 0
64907 A 090 20.03 15.17 15.17 4.09 39.29 39.29 0 0.11/0.76/0.13 2 0 2 1 0
64910 A 090 10.52 10.82 10.82 1.80 23.14 23.14 0 0.11/0.76/0.13 2 0 2 1 0
64911 A 090 14.00 14.20 14.20 2.86 31.06 31.06 0 0.11/0.76/0.13 2 0 2 1 0
64912 A 090 12.00 12.81 12.81 2.27 27.08 27.08 0 0.11/0.76/0.13 2 0 2 1 0
64913 A ZZZ 3.00 1.58 1.58 0.53 5.11 5.11 0 0.00/0.00/0.00 0 0 2 1 0
"""


def expected_family():
    expected = {}
    for line in FAMILY.strip().splitlines():
        (code, status, glob, work, fac_pe, nonfac_pe, mp, fac_total, nonfac_total, pctc,
         split, mult, bilat, asst, co, team) = line.split()  # fmt: skip
        pre, intra, post = split.split("/")
        expected[code] = {
            "status": status,
            "global_days": glob,
            "work_rvu": Decimal(work),
            "facility_pe_rvu": Decimal(fac_pe),
            "nonfacility_pe_rvu": Decimal(nonfac_pe),
            "nonfacility_na": True,
            "facility_na": False,
            "mp_rvu": Decimal(mp),
            "facility_total": Decimal(fac_total),
            "nonfacility_total": Decimal(nonfac_total),
            "pctc": pctc,
            "preop": Decimal(pre),
            "intraop": Decimal(intra),
            "postop": Decimal(post),
            "multiple_procedure": mult,
            "bilateral": bilat,
            "assistant": asst,
            "co_surgeons": co,
            "team_surgery": team,
            "conversion_factor": Decimal("32.3465"),
        }
    return expected


def test_csv_and_fixed_width_forms_give_identical_rows(cms_rvu25d):
    csv_file = pprrvu.read("a.csv", (cms_rvu25d / "PPRRVU2025_Oct.csv").read_bytes())
    txt_file = pprrvu.read("a.txt", (cms_rvu25d / "PPRRVU2025_Oct.txt").read_bytes())
    assert len(csv_file.rows) == 19090
    assert csv_file.rows == txt_file.rows


def test_every_family_row_matches_the_team_s_reading_of_cms_s_file(cms_rvu25d):
    rows = pprrvu.read("a.csv", (cms_rvu25d / "PPRRVU2025_Oct.csv").read_bytes()).rows
    family = {row["hcpcs"]: row for row in rows if "64831" <= row["hcpcs"] <= "64913"}
    expected = expected_family()
    assert sorted(family) == sorted(expected)
    for code, values in expected.items():
        assert {name: family[code][name] for name in values} == values, code


def test_the_csv_header_names_the_release_and_its_dates(cms_rvu25d):
    facts = pprrvu.read("a.csv", (cms_rvu25d / "PPRRVU2025_Oct.csv").read_bytes()).facts
    assert facts.label == "RVU25D"
    assert facts.released_on == datetime.date(2025, 9, 11)
    assert facts.effective_from == datetime.date(2025, 10, 1)


def test_a_file_name_names_the_release_when_the_file_does_not():
    facts = pprrvu.release_from_name("PPRRVU25_JAN.txt")
    assert (facts.label, facts.effective_from) == ("RVU25A", datetime.date(2025, 1, 1))


def test_gpci_and_locco_forms_agree_and_cover_every_locality(cms_rvu25d):
    from_csv = gpci.read("GPCI2025.csv", (cms_rvu25d / "GPCI2025.csv").read_bytes())
    from_txt = gpci.read("GPCI2025.txt", (cms_rvu25d / "GPCI2025.txt").read_bytes())
    assert from_csv == from_txt
    assert len(from_csv) == 109
    alaska = next(row for row in from_csv if row["state"] == "AK")
    assert (alaska["contractor"], alaska["number"], alaska["work_gpci"]) == (
        "02102",
        "01",
        Decimal("1.5"),
    )
    counties = locco.read("25LOCCO.csv", (cms_rvu25d / "25LOCCO.csv").read_bytes())
    assert set(counties) == {(row["contractor"], row["number"]) for row in from_csv}
    assert counties[("05302", "99")] == "ALL OTHER COUNTIES"


def test_columns_are_found_by_name_so_an_added_column_shifts_nothing():
    from tests.conftest import SHIPPED_RVU25D

    text = (SHIPPED_RVU25D / "PPRRVU2025_Oct.csv").read_bytes().decode("cp1252")
    lines = text.split("\r\n")
    # A new column between TEAM SURG and ENDO BASE, as CMS might add one year.
    moved = []
    for number, line in enumerate(lines):
        cells = line.split(",")
        if len(cells) > 23:
            extra = {8: "PRIC", 9: "IND"}.get(number, "7")
            cells.insert(23, extra if number < 10 else "7")
        moved.append(",".join(cells))
    original = pprrvu.read("a.csv", text.encode("cp1252")).rows
    shifted = pprrvu.read("b.csv", "\r\n".join(moved).encode("cp1252")).rows
    assert shifted == original
