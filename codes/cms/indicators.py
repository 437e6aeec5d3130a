"""What each PPRRVU indicator value means, in our own words (after CMS's record layout in the
RVU25D documentation). The reader refuses a value not listed here; pages show the words."""

STATUS = {
    "A": "Active: paid separately under the fee schedule when covered",
    "B": "Bundled: never paid separately; payment is part of another service",
    "C": "Priced by the Medicare contractor, not by CMS's relative values",
    "D": "Deleted code",
    "E": "Excluded from the fee schedule by regulation",
    "F": "Deleted or discontinued, with no grace period",
    "G": "Not valid for Medicare; another code is used (grace period applies)",
    "H": "Deleted modifier for this code",
    "I": "Not valid for Medicare; another code is used",
    "J": "Anesthesia service; no relative values",
    "M": "Measurement code, reported for quality programmes only",
    "N": "Not covered by Medicare",
    "P": "Bundled or excluded; no relative values",
    "R": "Restricted coverage; priced by the contractor when covered",
    "T": "Paid only when no other fee-schedule service is billed the same day",
    "X": "Excluded from Medicare by statute",
}
# Only these statuses have their relative values used for payment.
PAID_STATUSES = {"A", "R", "T"}

GLOBAL_DAYS = {
    "000": "the day of the procedure only",
    "010": "the day of the procedure and the 10 days after it",
    "090": "the day before, the day of, and the 90 days after surgery",
    "MMM": "maternity care: the usual global surgery rules do not apply",
    "XXX": "the global surgery rules do not apply",
    "YYY": "the Medicare contractor sets the period",
    "ZZZ": "inside the primary code's global period (the code always goes with another service)",
}

PCTC = {
    "0": "A physician service: modifiers 26 and TC do not apply",
    "1": "A diagnostic test with professional (26) and technical (TC) parts",
    "2": "A professional-component-only code",
    "3": "A technical-component-only code",
    "4": "A global-test-only code",
    "5": "An incident-to code",
    "6": "A laboratory physician interpretation code",
    "7": "A physical therapy service independent therapists may not bill in a hospital",
    "8": "A physician interpretation code",
    "9": "The professional/technical split does not apply",
}

MULTIPLE_PROCEDURE = {
    "0": "No multiple-procedure reduction",
    "1": "Older reduction rules: 100%, 50%, then 25% for later procedures",
    "2": "Standard reduction: 100% for the highest-valued procedure, 50% for each other",
    "3": "Multiple endoscopy rules apply within the endoscopic family",
    "4": "Imaging reductions apply to the technical and professional parts",
    "5": "Practice expense of later therapy services is reduced by 50%",
    "6": "The technical part of later cardiovascular tests is reduced by 25%",
    "7": "The technical part of later ophthalmology tests is reduced by 20%",
    "9": "The multiple-procedure concept does not apply",
}

BILATERAL = {
    "0": "Bilateral payment adjustment does not apply: both sides are paid as one",
    "1": "A bilateral procedure is paid at 150% of one side",
    "2": "The relative values already cover both sides: paid at 100%",
    "3": "Each side is paid at up to 100%",
    "9": "The bilateral concept does not apply",
}

ASSISTANT = {
    "0": "An assistant is paid only when documentation shows medical necessity",
    "1": "An assistant may not be paid (statutory restriction)",
    "2": "An assistant may be paid",
    "9": "The assistant-at-surgery concept does not apply",
}

CO_SURGEONS = {
    "0": "Co-surgeons are not permitted",
    "1": "Co-surgeons may be paid with documentation of the need",
    "2": "Co-surgeons are permitted without documentation when of different specialties",
    "9": "The co-surgeon concept does not apply",
}

TEAM_SURGERY = {
    "0": "Team surgeons are not permitted",
    "1": "Team surgeons may be paid with documentation, by report",
    "2": "Team surgeons are permitted, by report",
    "9": "The team surgery concept does not apply",
}

# Each payment-policy indicator: the row's field, its name, the modifiers it governs and
# the meaning of each value. The reader validates with it; the page and API describe with it.
POLICY_INDICATORS = [
    ("multiple_procedure", "Multiple procedures", ("51",), MULTIPLE_PROCEDURE),
    ("bilateral", "Bilateral surgery", ("50",), BILATERAL),
    ("assistant", "Assistant at surgery", ("80", "81", "82", "AS"), ASSISTANT),
    ("co_surgeons", "Co-surgeons", ("62",), CO_SURGEONS),
    ("team_surgery", "Team surgery", ("66",), TEAM_SURGERY),
    ("pctc", "Professional and technical parts", ("26", "TC"), PCTC),
]

# Every coded field the reader checks, with its allowed values.
ALLOWED_VALUES = {
    "status": STATUS,
    "global_days": GLOBAL_DAYS,
    **{field: meanings for field, _name, _modifiers, meanings in POLICY_INDICATORS},
}


def policy_for_modifier(modifier_code, row):
    """Return what CMS's row says about a modifier ("CMS: an assistant may be paid"), or ""."""
    for field, _name, modifiers, meanings in POLICY_INDICATORS:
        if modifier_code in modifiers:
            return meanings[getattr(row, field)]
    return ""
