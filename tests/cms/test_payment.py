from decimal import Decimal
from types import SimpleNamespace

import pytest

from codes.cms.payment import payments, spread
from codes.models import FeeScheduleRow, Locality


def row_of(code):
    return FeeScheduleRow.objects.get(release__label="RVU25D", hcpcs=code, modifier="")


def locality(key):
    contractor, number = key.split("-")
    return Locality.objects.get(release__label="RVU25D", contractor=contractor, number=number)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "place", "facility", "non_facility"),
    [
        # National: total RVUs x 32.3465. 64868: 29.82 x 32.3465 = 964.572663.
        ("64868", None, "964.57", "964.57"),
        # 64832: 9.90 x 32.3465 = 320.23035.
        ("64832", None, "320.23", "320.23"),
        # Alabama (1, 0.869, 0.575), 64868: 14.90 + 12.78 x 0.869 + 2.14 x 0.575
        # = 27.23632; x 32.3465 = 880.99962... → 881.00.
        ("64868", "10112-00", "881.00", "881.00"),
        # Alaska (1.5, 1.081, 0.592), 64868: 22.35 + 13.81518 + 1.26688 = 37.43206;
        # x 32.3465 = 1210.7961... → 1210.80.
        ("64868", "02102-01", "1210.80", "1210.80"),
        # Alaska, 64864: 13.41 x 1.5 + 10.35 x 1.081 + 2.23 x 0.592 = 20.115 + 11.18835
        # + 1.32016 = 32.62351; x 32.3465 = 1055.2558... → 1055.26.
        ("64864", "02102-01", "1055.26", "1055.26"),
    ],
)
def test_payment_matches_hand_computed_amounts(code, place, facility, non_facility):
    amounts = payments(row_of(code), locality(place) if place else None)
    assert str(amounts["facility"].amount) == facility
    assert str(amounts["non_facility"].amount) == non_facility
    assert amounts["non_facility"].not_applicable and not amounts["facility"].not_applicable


def test_half_a_cent_rounds_up():
    row = SimpleNamespace(work_rvu=Decimal("1"), facility_pe_rvu=Decimal("0"), facility_na=False,
                          nonfacility_pe_rvu=Decimal("0"), nonfacility_na=False,
                          mp_rvu=Decimal("0"), conversion_factor=Decimal("10.005"))  # fmt: skip
    assert str(payments(row)["facility"].amount) == "10.01"


@pytest.mark.django_db
def test_the_spread_across_localities_names_lowest_median_and_highest():
    row = row_of("64868")
    localities = list(Locality.objects.filter(release__label="RVU25D"))
    result = spread(row, localities, chosen=locality("02102-01"))
    assert len(result["all"]) == 109
    assert result["lowest"][0] == min(result["all"])
    assert result["highest"][0] == max(result["all"])
    assert result["all"][54] == result["median"]
    assert str(result["chosen"][0]) == "1210.80"
