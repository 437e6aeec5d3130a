"""Medicare's payment formula for the Physician Fee Schedule (CMS's RVU documentation):

    payment = (work RVU x work GPCI + PE RVU x PE GPCI + MP RVU x MP GPCI) x conversion factor

with the facility or the non-facility practice expense RVU, and every GPCI 1 for the national
amount. Amounts are rounded to the cent, half up.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from codes.cms.indicators import PAID_STATUSES

CENT = Decimal("0.01")
ONE = Decimal("1")
SETTINGS = (("facility", "facility_pe_rvu", "facility_na"),
            ("non_facility", "nonfacility_pe_rvu", "nonfacility_na"))  # fmt: skip


@dataclass(frozen=True)
class Payment:
    setting: str
    work_rvu: Decimal
    pe_rvu: Decimal
    mp_rvu: Decimal
    work_gpci: Decimal
    pe_gpci: Decimal
    mp_gpci: Decimal
    conversion_factor: Decimal
    # CMS marks the practice expense of a setting "NA" where the service is rarely or never
    # done there; the amount is still what the formula gives, and the page says so.
    not_applicable: bool

    @property
    def adjusted_rvus(self):
        return (
            self.work_rvu * self.work_gpci + self.pe_rvu * self.pe_gpci + self.mp_rvu * self.mp_gpci
        )

    @property
    def amount(self):
        return (self.adjusted_rvus * self.conversion_factor).quantize(CENT, ROUND_HALF_UP)

    def as_json(self):
        return {
            "setting": self.setting,
            "amount": str(self.amount),
            "not_applicable": self.not_applicable,
            "inputs": {
                "work_rvu": str(self.work_rvu),
                "pe_rvu": str(self.pe_rvu),
                "mp_rvu": str(self.mp_rvu),
                "work_gpci": str(self.work_gpci),
                "pe_gpci": str(self.pe_gpci),
                "mp_gpci": str(self.mp_gpci),
                "conversion_factor": str(self.conversion_factor),
            },
            "adjusted_rvus": str(self.adjusted_rvus),
        }


def is_paid(row):
    """Whether CMS uses the row's relative values for payment (status A, R or T)."""
    return row.status in PAID_STATUSES


def payments(row, locality=None):
    """Return {setting: Payment} for a fee-schedule row, nationally or in a locality."""
    work_gpci, pe_gpci, mp_gpci = (
        (locality.work_gpci, locality.pe_gpci, locality.mp_gpci) if locality else (ONE, ONE, ONE)
    )
    return {
        setting: Payment(
            setting=setting,
            work_rvu=row.work_rvu,
            pe_rvu=getattr(row, pe_field),
            mp_rvu=row.mp_rvu,
            work_gpci=work_gpci,
            pe_gpci=pe_gpci,
            mp_gpci=mp_gpci,
            conversion_factor=row.conversion_factor,
            not_applicable=getattr(row, na_field),
        )
        for setting, pe_field, na_field in SETTINGS
    }


def spread(row, localities, chosen=None, setting="facility"):
    """Return what Medicare pays for a row across localities: lowest, median, highest."""
    amounts = sorted(
        ((payments(row, locality)[setting].amount, locality) for locality in localities),
        key=lambda pair: pair[0],
    )
    if not amounts:
        return None
    middle = len(amounts) // 2
    if len(amounts) % 2:
        median = amounts[middle][0]
    else:
        median = ((amounts[middle - 1][0] + amounts[middle][0]) / 2).quantize(CENT, ROUND_HALF_UP)
    return {
        "setting": setting,
        "lowest": amounts[0],
        "median": median,
        "highest": amounts[-1],
        "chosen": (payments(row, chosen)[setting].amount, chosen) if chosen else None,
        "all": [amount for amount, _locality in amounts],
    }
