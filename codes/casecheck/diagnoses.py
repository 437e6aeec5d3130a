"""ICD-10-CM codes that fit what the note says: candidates as data (CODING_RULES §3.2-3.4),
with the side and 7th character the note supports, or a question when it does not.

Every candidate is validated through `validate()`, which asks the loaded ICD-10-CM release
(`codes.icd10.lookup`, issue 17) whether the code exists and is billable; with no release
loaded, candidates are shown as "not yet verified" (never as valid).
"""

from dataclasses import dataclass, field

# nerve key -> (code pattern, rule, confidence). {side} takes 1 right / 2 left / 0 unspecified
# (or 9 for the S04.89- and S64.8X- style), {seventh} the 7th character.
INJURY = {
    "facial": ("S04.5{side}X{seventh}", "§3.4; D-1", "P-ICD"),
    "accessory": ("S04.7{side}X{seventh}", "§3.2; D-1", "P-ICD"),
    "hypoglossal": ("S04.89{side9}{seventh}", "§3.2 (index mapping R)", "R"),
    "thenar": ("S64.1{side}X{seventh}", "§3.4", "P-ICD"),
    "deep_ulnar": ("S64.0{side}X{seventh}", "§3.4", "P-ICD"),
    "common_digital": ("S64.8X{side9}{seventh}", "§3.2", "R"),
    "sciatic": ("S74.0{side}X{seventh}", "§3.4", "P-ICD"),
    "brachial_plexus": ("S14.3XX{seventh}", "§3.4", "P-ICD"),
    "lumbar_plexus": ("S34.4XX{seventh}", "§3.4", "P-ICD"),
    "posterior_tibial": ("S84.0{side}X{seventh}", "§3.4", "P-ICD"),
    "tibial": ("S84.0{side}X{seventh}", "§3.4", "P-ICD"),
    "peroneal": ("S84.1{side}X{seventh}", "§3.4", "P-ICD"),
    "femoral": ("S74.1{side}X{seventh}", "§3.4", "P-ICD"),
    "axillary": ("S44.3{side}X{seventh}", "§3.2", "P-ICD"),
    "musculocutaneous": ("S44.4{side}X{seventh}", "§3.2", "P-ICD"),
}
# Median, ulnar and radial by level: wrist and hand, forearm, upper arm.
BY_LEVEL = {
    "median": {"hand": "S64.1", "forearm": "S54.1", "arm": "S44.1"},
    "ulnar": {"hand": "S64.0", "forearm": "S54.0", "arm": "S44.0"},
    "radial": {"hand": "S64.2", "forearm": "S54.2", "arm": "S44.2"},
}
# Digital nerves of fingers: thumb S64.3-, others S64.49- by finger and side.
OTHER_FINGERS = {("right", "index"): "0", ("left", "index"): "1", ("right", "middle"): "2",
                 ("left", "middle"): "3", ("right", "ring"): "4", ("left", "ring"): "5",
                 ("right", "little"): "6", ("left", "little"): "7"}  # fmt: skip
SIDE = {"right": "1", "left": "2"}
SIDE9 = {"right": "1", "left": "2"}
PALSY = ["G51.0", "G51.8", "G51.9"]
TUMOUR = ["C07", "D11.0", "D37.030"]


@dataclass
class Candidate:
    code: str
    why: str
    rule: str
    confidence: str
    title: str = ""
    status: str = "not yet verified"  # "valid and billable", "not billable", "not in release"


@dataclass
class Diagnoses:
    candidates: list = field(default_factory=list)
    questions: list = field(default_factory=list)
    verified_against: str = ""


def seventh_character(case, codes):
    """D-2, D-3, §8.7: a repair is active treatment (A), even late; reanimation of a
    long-standing palsy by nerve transfer treats the residual condition (S)."""
    if set(codes) & {"64866", "64868"} and case.finding("CAUSE", "palsy"):
        return "S"
    return "A"


def nerve_name(key):
    """The nerve as the vocabulary first names it ("median nerve", "thenar motor branch")."""
    from codes.casecheck.vocabulary import NERVE_PHRASES

    return NERVE_PHRASES.get(key, [key.replace("_", " ")])[0]


def injury_codes(nerve, seventh):
    """The injury codes one repaired nerve (engine.RepairedNerve) supports, one per side (and
    per finger for a digital nerve), or ([], question) when a fact is missing."""
    name = nerve_name(nerve.key)
    if nerve.key == "digital":
        if len(nerve.sides) != 1 or not nerve.digits:
            return [], (
                f"Side and finger are needed for the {name} injury code "
                "(S64.3- thumb, S64.49- other fingers, S94.- toes)."
            )
        side = nerve.sides[0]
        codes = []
        for digit in nerve.digits:
            if digit == "thumb":
                codes.append(f"S64.3{SIDE[side]}X{seventh}")
            elif (side, digit) in OTHER_FINGERS:
                codes.append(f"S64.49{OTHER_FINGERS[(side, digit)]}{seventh}")
            else:
                return [], "Toe digital nerves probably fall under S94.8- (index mapping [R])."
        return codes, ""
    if nerve.key in BY_LEVEL:
        level = next((lv for lv in ("hand", "forearm", "arm") if lv in nerve.levels), None)
        if level is None:
            return [], (
                f"Level of the {name} injury (wrist/hand, forearm, upper arm) "
                "decides S64.-, S54.- or S44.-."
            )
        if not nerve.sides:
            return [], f"Side not stated for the {name}: needed for its injury code."
        return [f"{BY_LEVEL[nerve.key][level]}{SIDE[side]}X{seventh}" for side in nerve.sides], ""
    if nerve.key in INJURY:
        pattern = INJURY[nerve.key][0]
        if "{side" not in pattern:
            return [pattern.format(seventh=seventh)], ""
        if not nerve.sides:
            return [], f"Side not stated for the {name}: needed for its injury code."
        return [
            pattern.format(side=SIDE[side], side9=SIDE9[side], seventh=seventh)
            for side in nerve.sides
        ], ""
    return [], ""


def candidates(case, codes):
    found = Diagnoses()
    seventh = seventh_character(case, codes)
    if case.finding("CAUSE", "tumour"):
        for code in TUMOUR:
            found.candidates.append(
                Candidate(
                    code,
                    "The note names a tumour or its resection: "
                    "the neoplasm drives the claim (§3.4).",
                    "§3.4",
                    "R",
                )
            )
    if case.finding("CAUSE", "palsy"):
        for code in PALSY:
            found.candidates.append(
                Candidate(
                    code,
                    "Facial palsy: which code the index gives is for the coder (§8.8).",
                    "§8.8; D-5",
                    "R",
                )
            )
    if case.finding("CAUSE", "laceration"):
        # Every repaired nerve has its own injury code (side, level or finger of its own).
        for nerve in case.repaired:
            nerve_codes, question = injury_codes(nerve, seventh)
            for code in nerve_codes:
                if any(c.code == code for c in found.candidates):
                    continue  # two nerves of one code (radial and ulnar digital of a finger)
                why = (
                    f"Injury of the {nerve_name(nerve.key)} repaired, initial encounter: a "
                    "repair is active treatment (D-2)."
                    if seventh == "A"
                    else f"Sequela of the old injury of the {nerve_name(nerve.key)}, after the "
                    "palsy code (D-3, §8.7)."
                )
                confidence = INJURY.get(nerve.key, ("", "", "P-ICD"))[2]
                found.candidates.append(Candidate(code, why, "D-1, D-2", confidence))
            if question and question not in found.questions:
                found.questions.append(question)
        if any(c.code.startswith("S04") for c in found.candidates):
            found.questions.append(
                "Code also any open wound of the head (S01.-) or skull fracture (S02.-), "
                "and code first any intracranial injury (S06.-) (D-6)."
            )
    validate(found)
    return found


def validate(found):
    """Mark each candidate valid and billable, or not, in the loaded ICD-10-CM release.

    One query (`codes.icd10.lookup`, issue 17). A candidate the release lacks is dropped,
    never shown as a code; with no release loaded every candidate stays "not yet verified".
    """
    from codes.icd10 import lookup
    from codes.models import Diagnosis

    if not found.candidates:
        return
    facts = lookup([c.code for c in found.candidates])
    if not facts and not Diagnosis.objects.current().exists():
        return
    for candidate in found.candidates:
        diagnosis = facts.get(candidate.code)
        if diagnosis is None:
            candidate.status = "not in the loaded release"
        else:
            candidate.title = diagnosis.title
            candidate.status = "valid and billable" if diagnosis.billable else "not billable"
    for candidate in found.candidates:
        if candidate.status == "not billable":
            found.questions.append(
                f"{candidate.code} is a heading, not billable: choose the code below it "
                "that the note supports."
            )
    found.candidates = [c for c in found.candidates if c.status == "valid and billable"]
    found.verified_against = next((f.release for f in facts.values()), "")
