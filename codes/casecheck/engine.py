"""Operative note -> findings: the case the note describes, the rules that apply to it, and
what CMS's imported files say about the codes they propose.

`check(text)` parses the note once with the process's pipeline, reads its facts, resolves
them into a `Case`, runs the rule declarations of rules.py over it, and checks the proposed
codes against the imported add-on list, NCCI edits, MUEs and fee-schedule indicators.
Nothing here stores, caches or logs the note.
"""

import datetime
from dataclasses import dataclass, field, replace

from codes.casecheck import diagnoses, rules
from codes.casecheck.reader import read_note
from codes.casecheck.vocabulary import DONOR_NERVES, FACIAL_DONORS

MAJOR_NERVES = {"median", "ulnar", "radial", "musculocutaneous", "axillary", "femoral",
                "peroneal"}  # fmt: skip
REGIONS = {
    "head_neck": {"facial", "hypoglossal", "accessory", "lingual", "masseteric"},
    "hand_foot": {"digital", "common_digital", "thenar", "deep_ulnar"},
    "arm_leg": MAJOR_NERVES | {"posterior_tibial", "tibial", "sciatic"},
    "plexus": {"brachial_plexus", "lumbar_plexus"},
}
FACIAL_BRANCH_WORDS = ("branch", "trunk", "pes anserinus", "division")
BRIDGING_ORDER = ("pedicle", "allograft", "vein", "conduit", "graft")
OUT_OF_FAMILY_KEYS = {"intratemporal", "intracranial", "neurolysis", "fascia_muscle",
                      "cross_facial", "avulsion", "masseteric", "stimulator"}  # fmt: skip
NOTHING_DECIDES = "Nothing in this note decides a code of this family (64831-64913)."
# Digit modifiers (R7-2): (side, digit) -> modifier.
FINGER_MODIFIERS = {
    ("left", "thumb"): "FA", ("left", "index"): "F1", ("left", "middle"): "F2",
    ("left", "ring"): "F3", ("left", "little"): "F4", ("right", "thumb"): "F5",
    ("right", "index"): "F6", ("right", "middle"): "F7", ("right", "ring"): "F8",
    ("right", "little"): "F9", ("left", "great_toe"): "TA", ("left", "second_toe"): "T1",
    ("left", "third_toe"): "T2", ("left", "fourth_toe"): "T3", ("left", "fifth_toe"): "T4",
    ("right", "great_toe"): "T5", ("right", "second_toe"): "T6", ("right", "third_toe"): "T7",
    ("right", "fourth_toe"): "T8", ("right", "fifth_toe"): "T9",
}  # fmt: skip
DIGIT_CODES = {"64831", "64832", "64890", "64891", "64895", "64896"}


@dataclass
class RepairedNerve:
    """One repaired nerve as its ICD-10-CM injury code needs it, read from the sentences that
    name it (a sentence naming no repaired nerve goes with the last one named), or from the
    whole note where those sentences say nothing."""

    key: str
    sides: list  # "right", "left" or both; empty when the note does not say which
    levels: set
    digits: list


@dataclass
class Case:
    """The facts of a note, resolved into what the rules ask about."""

    facts: object
    nerve: str | None = None
    nerves: list = field(default_factory=list)
    donor: str | None = None
    technique: str | None = None
    techniques: set = field(default_factory=set)
    levels: set = field(default_factory=set)
    length_cm: float | None = None
    gap_cm: float | None = None
    strands: int | None = None
    cable: bool | None = None
    nerve_count: int = 1
    stage: int | None = None
    side: str | None = None
    digits: list = field(default_factory=list)
    evidence: dict = field(default_factory=dict)
    # Nerves repaired by another technique than the primary's ({nerve: technique}): each
    # takes its own primary code.
    mixed: dict = field(default_factory=dict)
    # Every repaired nerve with its own side, level and digits, for its diagnosis codes.
    repaired: list = field(default_factory=list)

    def finding(self, kind, key=None):
        return self.facts.has(kind, key)

    def has_nerve(self, key):
        return self.facts.has("NERVE", key)

    def has_out(self, key):
        return self.facts.has("OUT", key)

    @property
    def nerve_kind(self):
        return "major" if self.nerve in MAJOR_NERVES else self.nerve

    @property
    def region(self):
        return next((r for r, keys in REGIONS.items() if self.nerve in keys), None)

    delayed = property(
        lambda self: any(f.qualifier != "primary" for f in self.facts.all("FINDING", "delayed"))
    )
    delayed_primary = property(
        lambda self: any(f.qualifier == "primary" for f in self.facts.all("FINDING", "delayed"))
    )
    transposition = property(lambda self: self.finding("FINDING", "transposition"))
    mobilisation = property(lambda self: self.finding("FINDING", "mobilisation"))
    bone_shortening = property(lambda self: self.finding("FINDING", "bone_shortening"))
    microscope = property(lambda self: self.finding("FINDING", "microscope"))
    loupes = property(lambda self: self.finding("FINDING", "loupes"))
    cosurgeon = property(lambda self: self.finding("FINDING", "cosurgeon"))
    assistant = property(lambda self: self.finding("FINDING", "assistant"))
    also_direct = property(lambda self: "direct" in self.techniques)


def resolve(facts):
    """Turn the note's findings into a Case (reading, not deciding)."""
    case = Case(facts)
    case.techniques = set(facts.keys("TECHNIQUE")) - {"direct_hint"}
    if facts.has("FINDING", "cable") and not case.techniques & set(BRIDGING_ORDER):
        case.techniques.add("graft")  # "two cables of sural nerve" is a cable graft
    named = facts.keys("NERVE")
    donors = set()
    if "facial" in named and "anastomosis" in case.techniques:
        case.donor = next((d for d in FACIAL_DONORS if d in named), None)
        donors |= set(FACIAL_DONORS)
    if case.techniques & {"graft"}:
        donors |= DONOR_NERVES
    case.nerves = [key for key in named if key not in donors]
    case.nerve = case.nerves[0] if case.nerves else None
    for key in BRIDGING_ORDER:
        if key in case.techniques:
            case.technique = key
            break
    if case.donor:
        case.technique = "anastomosis"
    elif case.technique is None and "anastomosis" in case.techniques:
        case.technique = "transfer"
    elif case.technique is None and (
        "direct" in case.techniques or (facts.has("TECHNIQUE", "direct_hint") and case.nerve)
    ):
        case.technique = "direct"
    case.levels = set(facts.keys("LEVEL"))
    case.digits = facts.keys("DIGIT")
    if case.digits:
        case.levels.add("foot" if any(d.endswith("toe") for d in case.digits) else "hand")
    if case.nerve == "facial" and any(
        word in f.evidence.matched.lower()
        for f in facts.all("NERVE", "facial")
        for word in FACIAL_BRANCH_WORDS
    ):
        case.levels.add("extracranial")
    lengths = facts.all("LENGTH")
    if lengths:
        case.length_cm = max(f.value for f in lengths)
        case.evidence["length"] = max(lengths, key=lambda f: f.value)
    gaps = facts.all("GAP")
    if gaps:
        case.gap_cm = max(f.value for f in gaps)
        case.evidence["gap"] = gaps[0]
    strands = facts.all("STRANDS")
    if strands:
        case.strands = max(f.value for f in strands)
        case.evidence["strands"] = strands[0]
    if (
        (case.strands and case.strands >= 2)
        or facts.has("FINDING", "cable")
        or (
            facts.has("TECHNIQUE", "graft")
            and any("cable" in f.evidence.matched.lower() for f in facts.all("TECHNIQUE", "graft"))
        )
    ):
        case.cable = True
    elif case.strands == 1 or facts.has("FINDING", "single_strand"):
        case.cable = False
    if facts.has("FINDING", "stage_1"):
        case.stage = 1
    elif facts.has("FINDING", "stage_2"):
        case.stage = 2
    sentences = nerve_sentences(facts, case.nerves)
    own = own_techniques(facts, sentences)
    if len({t for t in own.values() if t}) > 1:
        case.technique = own.get(case.nerve) or case.technique
        case.mixed = {n: t for n, t in own.items() if t and t != case.technique}
    case.nerve_count = count_nerves(case, facts)
    case.repaired = [repaired_nerve(case, facts, nerve, sentences[nerve]) for nerve in case.nerves]
    sides = set(facts.keys("SIDE"))
    if "bilateral" not in sides and sides_by_nerve(case):
        # The right median and the left ulnar nerve: two nerves, one side each, not one
        # procedure on both sides (50).
        case.side = SIDE_BY_NERVE
    elif "bilateral" in sides or {"right", "left"} <= sides:
        case.side = "bilateral"
    elif sides:
        case.side = sides.pop()
    return case


SIDE_BY_NERVE = "by nerve"


def sides_by_nerve(case):
    """{nerve: its side} when the repaired nerves each have one side and they differ."""
    own = {nerve.key: nerve.sides for nerve in case.repaired}
    if len(own) < 2 or any(len(sides) != 1 for sides in own.values()):
        return {}
    if len({sides[0] for sides in own.values()}) < 2:
        return {}
    return {nerve: sides[0] for nerve, sides in own.items()}


def nerve_sentences(facts, nerves):
    """{repaired nerve: the indexes of the sentences that are about it}: those that name it,
    and those that name no repaired nerve after the last sentence that did ("The median nerve
    was divided. It was repaired end-to-end.")."""
    by_sentence = {}
    for finding in facts.findings:
        if finding.sentence >= 0:
            by_sentence.setdefault(finding.sentence, []).append(finding)
    sentences = {nerve: set() for nerve in nerves}
    last = []
    for index in sorted(by_sentence):
        named = [f.key for f in by_sentence[index] if f.kind == "NERVE" and f.key in sentences]
        last = named or last
        for nerve in last:
            sentences[nerve].add(index)
    return sentences


def own_techniques(facts, sentences):
    """{repaired nerve: its technique}, read from its sentences (`nerve_sentences`): the
    bridging technique first, then a direct repair, None when its sentences name none."""
    own = {}
    for nerve, indexes in sentences.items():
        found = {f.key for f in facts.all("TECHNIQUE") if f.sentence in indexes}
        own[nerve] = next((t for t in BRIDGING_ORDER if t in found), None) or (
            "direct" if "direct" in found else None
        )
    return own


LIMB_LEVELS = {"hand", "forearm", "arm"}


def repaired_nerve(case, facts, nerve, indexes):
    """The side, level and digits of one repaired nerve. Its side is the one written next to
    it ("the left ulnar nerve"); a nerve with none takes the note's side only when the note
    names a single side, never a guess between two. Its level and digits are those of its
    own sentences, else the note's."""
    sides = facts.all("SIDE")
    own_sides = {f.key for f in sides if f.nerve == nerve}
    if not own_sides:
        stated = {f.key for f in sides}
        own_sides = stated if stated in ({"right"}, {"left"}) else set()
    if "bilateral" in own_sides:
        own_sides = {"right", "left"}
    levels = {f.key for f in facts.all("LEVEL") if f.sentence in indexes}
    if not levels & LIMB_LEVELS:
        levels = case.levels
    digits = []
    for finding in facts.all("DIGIT"):
        if finding.sentence in indexes and finding.key not in digits:
            digits.append(finding.key)
    return RepairedNerve(
        nerve,
        [side for side in ("right", "left") if side in own_sides],
        levels,
        digits or case.digits,
    )


# Direct repairs: the nerves one add-on counts (+64832 digital nerves, +64837 the hand and
# foot nerves of 64834-64836, +64859 major nerves). Bridging codes count every nerve of the
# region.
DIRECT_GROUPS = [{"digital"}, {"common_digital", "thenar", "deep_ulnar"}, MAJOR_NERVES]


def same_add_on(case):
    if case.technique == "direct":
        return next((g for g in DIRECT_GROUPS if case.nerve in g), {case.nerve})
    return REGIONS.get(case.region, {case.nerve})


def count_nerves(case, facts):
    """Nerves of the primary's region repaired: distinct nerves, each side of a digit
    ("radial and ulnar digital nerves") and each finger counting once; "two nerves" in words
    when the note says so."""
    if case.nerve is None:
        return 1
    group = same_add_on(case)
    mentions = {
        (f.key, f.qualifier)
        for f in facts.all("NERVE")
        if f.key in case.nerves and f.key in group and f.key not in case.mixed
    }
    qualified = {key for key, qualifier in mentions if qualifier}
    count = len({pair for pair in mentions if pair[1]}) + len(
        {key for key, _ in mentions} - qualified
    )
    if case.nerve == "digital":
        count = max(count, len(case.digits))
    if facts.has("SIDE", "bilateral"):
        count = max(count, 2)  # the note says the same nerve was repaired on both sides
    explicit = [f.value for f in facts.all("NERVE_COUNT")]
    return max([count, 1, *explicit])


# The result --------------------------------------------------------------------------------


@dataclass
class Proposal:
    code: str
    units: int
    rule: rules.Rule
    evidence: list
    decided: bool = True
    add_on: bool = False
    note: str = ""
    title: str = ""


@dataclass
class Missing:
    fact: str
    leads_to: str
    rule: rules.Rule
    evidence: list = field(default_factory=list)


@dataclass
class Refused:
    code: str
    reason: str
    rule: rules.Rule


@dataclass
class ModifierHint:
    modifier: str
    code: str
    reason: str
    rule_id: str
    confidence: str


@dataclass
class OutOfFamily:
    rule: rules.Rule
    evidence: list


@dataclass
class CaseResult:
    words: int = 0
    proposed: list = field(default_factory=list)
    add_ons: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    questions: list = field(default_factory=list)
    refused: list = field(default_factory=list)
    modifiers: list = field(default_factory=list)
    out_of_family: OutOfFamily | None = None
    not_counted: list = field(default_factory=list)
    edits: object = None
    diagnoses: object = None
    message: str = ""

    @property
    def codes(self):
        return [p.code for p in self.proposed + self.add_ons]


def evidence_of(case, *keys):
    facts = case.facts
    found = []
    for kind, key in keys:
        if key == "length" or key == "strands" or key == "gap":
            item = case.evidence.get(key)
        else:
            item = facts.first(kind, key)
        if item is not None and item.evidence not in found:
            found.append(item.evidence)
    return found


def primary_evidence(case):
    keys = [
        ("NERVE", case.nerve),
        ("TECHNIQUE", case.technique if case.technique not in {"direct", "transfer"} else None),
    ]
    if case.technique == "direct":
        keys.append(
            ("TECHNIQUE", "direct")
            if case.finding("TECHNIQUE", "direct")
            else ("TECHNIQUE", "direct_hint")
        )
    if case.donor:
        keys += [("NERVE", case.donor), ("TECHNIQUE", "anastomosis")]
    if case.technique == "graft":
        keys += [("LENGTH", "length"), ("STRANDS", "strands")]
        if case.cable is not None:
            keys.append(("FINDING", "cable" if case.cable else "single_strand"))
    for level in case.levels & {"infratemporal", "extracranial"}:
        keys.append(("LEVEL", level))
    if case.transposition:
        keys.append(("FINDING", "transposition"))
    if case.stage:
        keys.append(("FINDING", f"stage_{case.stage}"))
    return evidence_of(case, *[(k, v) for k, v in keys if v])


def check(text, today=None):
    """Check one note. The text is read and dropped: nothing here keeps it."""
    facts = read_note(text)
    case = resolve(facts)
    result = CaseResult(words=facts.words, not_counted=facts.not_counted)

    out = next((rule for rule in rules.OUT_OF_FAMILY if rule.when(case)), None)
    if out is not None:
        result.out_of_family = OutOfFamily(out, out_evidence(case))
        result.diagnoses = diagnoses.candidates(case, [])
        return result

    decide_primary(case, result)
    if result.proposed:
        units_and_add_ons(case, result, today)
    for question in rules.QUESTIONS:
        if question.when(case):
            result.questions.append(question)
    if result.proposed or result.add_ons:
        from codes.cms.pair_check import Entry
        from codes.cms.pair_check import check as pair_check

        entries = [Entry(p.code, p.units) for p in result.proposed + result.add_ons]
        result.edits = pair_check(entries, today=today)
        for proposal in result.proposed + result.add_ons:
            proposal.title = result.edits.titles.get(proposal.code, "")
        suggest_modifiers(case, result)
    if not result.proposed and not result.missing:
        result.message = NOTHING_DECIDES
    result.diagnoses = diagnoses.candidates(case, result.codes)
    return result


def out_evidence(case):
    found = []
    for finding in case.facts.findings:
        deciding = finding.key in OUT_OF_FAMILY_KEYS or (
            finding.kind == "TECHNIQUE" and finding.key == "anastomosis"
        )
        if deciding and finding.evidence not in found:
            found.append(finding.evidence)
    return found[:4]


def decide_primary(case, result):
    rule = next((rule for rule in rules.PRIMARY if rule.when(case)), None)
    if rule is None:
        ask_for_what_is_missing(case, result)
        return
    code = rule.codes[0]
    if len(rule.codes) == 2:
        short, long = rule.codes
        if case.length_cm is None:
            gap = (
                f" (the note gives a gap of {case.gap_cm:g} cm, not the graft's length)"
                if (case.gap_cm)
                else ""
            )
            result.missing.append(
                Missing(
                    f"Graft length not stated{gap}",
                    f"{short} if up to 4 cm, {long} if longer",
                    rule,
                    primary_evidence(case),
                )
            )
            return
        code = short if case.length_cm <= 4 else long
    decided = rule.decides_alone
    note = ""
    evidence = primary_evidence(case)
    if len(rule.codes) == 2:
        length = case.evidence["length"].evidence
        if length not in evidence:
            evidence.append(length)
        note = f"Graft length {case.length_cm:g} cm"
        note += f": {rules.LENGTH_RULE.decides} ({rules.LENGTH_RULE.id})." if (
            case.length_cm == 4) else "."  # fmt: skip
    if rule.codes == ("64864",) and "extracranial" not in case.levels:
        decided = False
        note = "Level not stated: 64864 holds outside the skull only."
        result.missing.append(
            Missing(
                "Level of the facial nerve repair not stated",
                "64864 outside the skull (trunk, branches), 64865 infratemporal, "
                "69740/69745 inside the temporal bone",
                rules.FACIAL_LEVEL,
                evidence,
            )
        )
    units = case.nerve_count if code in {"64910", "64911", "64912"} else 1
    result.proposed.append(Proposal(code, units, rule, evidence, decided=decided, note=note))
    if case.technique == "direct":
        further_primaries(case, result)
    mixed_primaries(case, result)
    if case.delayed_primary and not case.delayed:
        result.missing.append(
            Missing(
                "'Delayed primary repair': delayed or primary?",
                "+64872 if the coder counts it as delayed (R3-1: not at the time of injury); "
                "no add-on if counted as a primary repair; the ICD-10-CM 7th character stays A",
                rules.DELAYED_PRIMARY,
                evidence_of(case, ("FINDING", "delayed")),
            )
        )
    if case.side is None:
        result.missing.append(
            Missing(
                "Side not stated",
                "RT or LT on the claim, and the side of the ICD-10-CM code",
                rules.SIDE,
            )
        )
    if code in DIGIT_CODES and not case.digits:
        result.missing.append(
            Missing(
                "Which finger or toe not stated",
                "the digit modifier (F1-F9, FA, T1-T9, TA) and the ICD-10-CM code",
                rules.DIGIT,
            )
        )


def further_primaries(case, result):
    """Direct repairs of nerves of another kind in the same note each take their own code
    (64831 for a digital nerve and 64836 for the ulnar motor branch)."""
    group = same_add_on(case)
    for other in case.nerves:
        if other in group or other in case.mixed or other not in set().union(*REGIONS.values()):
            continue
        other_case = replace(case, nerve=other)
        rule = next((r for r in rules.PRIMARY if r.when(other_case)), None)
        if rule is None or len(rule.codes) != 1 or rule.codes[0] in result.codes:
            continue
        evidence = evidence_of(other_case, ("NERVE", other))
        result.proposed.append(
            Proposal(rule.codes[0], 1, rule, evidence, decided=rule.decides_alone,
                     note="Another nerve of the same session: its own primary code.")
        )  # fmt: skip
        group = group | next((g for g in DIRECT_GROUPS if other in g), {other})


def mixed_primaries(case, result):
    """A nerve repaired by another technique than the primary's (a graft on one nerve, a
    direct suture on another) takes its own primary code; NCCI pairs among the codes get
    59/XS where the edit allows it (R7-4, suggest_modifiers)."""
    for other, technique in case.mixed.items():
        other_case = replace(case, nerve=other, technique=technique, nerve_count=1, mixed={})
        rule = next((r for r in rules.PRIMARY if r.when(other_case)), None)
        if rule is None:
            continue
        evidence = evidence_of(other_case, ("NERVE", other))
        if len(rule.codes) == 2:
            if other_case.length_cm is None:
                result.missing.append(
                    Missing(
                        f"Graft length of the {other.replace('_', ' ')} nerve not stated",
                        f"{rule.codes[0]} if up to 4 cm, {rule.codes[1]} if longer",
                        rule,
                        evidence,
                    )
                )
                continue
            code = rule.codes[0] if other_case.length_cm <= 4 else rule.codes[1]
        else:
            code = rule.codes[0]
        if code in result.codes:
            continue
        result.proposed.append(
            Proposal(code, 1, rule, evidence, decided=rule.decides_alone,
                     note=f"Another nerve of the same session, repaired by another technique "
                     f"({technique}): its own primary code; 59/XS if NCCI pairs the codes "
                     "(R7-4).")
        )  # fmt: skip


def ask_for_what_is_missing(case, result):
    """No primary rule applies: say which fact would decide, and between which codes."""

    def ask(fact, leads_to, rule_id):
        rule = next((r for r in rules.PRIMARY if r.id == rule_id), rules.PRIMARY[0])
        result.missing.append(Missing(fact, leads_to, rule, primary_evidence(case)))

    if case.nerve == "radial_sensory":
        result.missing.append(
            Missing(
                "Superficial radial (radial sensory) nerve: the rules give it no code of its own",
                "64834 if the coder takes it as a common sensory nerve of the hand (R2-3, "
                "label not confirmed); 64857 if taken as the radial nerve (R2-9); for a graft, "
                "the hand or the arm graft codes by the same choice",
                rules.RADIAL_SENSORY,
                primary_evidence(case),
            )
        )
    elif case.technique == "graft" and case.region in {"hand_foot", "arm_leg"}:
        single, cable = {
            "hand_foot": ("64890/64891", "64895/64896"),
            "arm_leg": ("64892/64893", "64897/64898"),
        }[case.region]
        ask(
            "Number of strands not stated",
            f"{single} for one strand, {cable} for a cable graft (each: up to 4 cm / longer)",
            "R4-2",
        )
        if case.length_cm is None:
            ask(
                "Graft length not stated",
                "the 'up to 4 cm' code if up to 4 cm, the other if longer",
                "R4-2",
            )
    elif case.technique == "graft" and case.region == "plexus":
        ask(
            "Graft to a plexus",
            "arm/leg graft codes 64892-64898 by strands and length: for the coder to confirm",
            "R4-3",
        )
    elif case.technique and case.nerve is None:
        ask(
            "Which nerve was repaired is not stated",
            "the code depends on the nerve and its region (Step 2, Step 4)",
            "R2-1",
        )
    elif case.technique == "pedicle":
        ask(
            "Stage of the nerve pedicle transfer not stated",
            "64905 first stage, 64907 second stage",
            "R1-7",
        )
    elif case.nerve == "tibial" and case.technique == "direct":
        ask(
            "'Tibial nerve': posterior tibial or not",
            "64840 for the posterior tibial nerve; 64857 (64856 with transposition) otherwise",
            "R2-7",
        )
    elif case.nerve and case.technique is None and case.finding("FINDING", "repair"):
        ask(
            "Technique not stated",
            "direct suture (Step 2), graft (Step 4), conduit or vein "
            "(64910/64911), allograft (64912)",
            "R1-4",
        )
    elif case.nerve and case.technique == "direct" and case.region == "head_neck":
        ask(
            f"Direct repair of the {case.nerve.replace('_', ' ')} nerve",
            "no direct-repair code of this family names it: for the coder",
            "R2-13",
        )


def aoc_primaries(add_ons, today):
    """{add-on: set of primaries} from the imported add-on list in effect."""
    from codes.cms.edit_facts import current_edit_releases
    from codes.models import AddOnEdit, ReleaseKind

    release = current_edit_releases(today).get(ReleaseKind.ADD_ON)
    if release is None:
        return None
    table = {}
    rows = AddOnEdit.objects.filter(release=release, add_on__in=add_ons).exclude(
        deleted_on__lt=today or datetime.date.today()
    )
    for add_on, primary in rows.values_list("add_on", "primary"):
        table.setdefault(add_on, set()).add(primary)
    return table


def units_and_add_ons(case, result, today):
    candidates = [
        (rule, code, units(case)) for rule, code, units in rules.ADD_ONS if rule.when(case)
    ]
    wants_microscope = case.microscope
    table = aoc_primaries([c for _, c, _ in candidates] + ["69990"], today)
    primaries = {p.code for p in result.proposed}
    for rule, code, count in candidates:
        if count < 1:
            continue
        evidence = add_on_evidence(case, code)
        if table is None:
            result.refused.append(
                Refused(code, "No add-on code list has been imported: not yet verified.", rule)
            )
            continue
        allowed = table.get(code, set())
        if allowed & (primaries | {a.code for a in result.add_ons}):
            result.add_ons.append(
                Proposal(
                    code,
                    count,
                    rule,
                    evidence,
                    decided=rule.decides_alone,
                    add_on=True,
                    note=rule.question,
                )
            )
        else:
            result.refused.append(
                Refused(
                    code,
                    f"CMS's add-on list does not allow +{code} with "
                    f"{', '.join(sorted(primaries))}.",
                    rule,
                )
            )
    if case.loupes and not wants_microscope:
        result.refused.append(
            Refused("69990", "The note shows loupes, not an operating microscope.", rules.LOUPES)
        )
    if wants_microscope and table is not None:
        allowed = table.get("69990", set()) & primaries
        if not allowed:
            result.refused.append(
                Refused(
                    "69990",
                    f"CMS lists none of {', '.join(sorted(primaries))} as a primary for 69990.",
                    rules.MICROSCOPE,
                )
            )
        elif blocked := microscope_blocked(primaries, today):
            result.refused.append(
                Refused(
                    "69990",
                    f"NCCI pairs {', '.join(blocked)} with 69990 "
                    "with modifier indicator 0: never paid together.",
                    rules.MICROSCOPE_BLOCKED,
                )
            )
        else:
            result.add_ons.append(
                Proposal(
                    "69990",
                    1,
                    rules.MICROSCOPE,
                    evidence_of(case, ("FINDING", "microscope")),
                    add_on=True,
                    note=f"{rules.ONCE.decides}.",
                )
            )


def microscope_blocked(primaries, today):
    from codes.cms.edit_facts import current_edit_releases
    from codes.models import PtpEdit, ReleaseKind

    release = current_edit_releases(today).get(ReleaseKind.NCCI_PTP)
    if release is None:
        return []
    day = today or datetime.date.today()
    return sorted(
        {
            edit.column_1
            for edit in PtpEdit.objects.among(release, sorted(primaries | {"69990"}))
            if edit.column_2 == "69990" and edit.modifier_indicator == "0" and edit.in_force_on(day)
        }
    )


def add_on_evidence(case, code):
    keys = {
        "64872": [("FINDING", "delayed")],
        "64874": [("FINDING", "mobilisation"), ("FINDING", "transposition")],
        "64876": [("FINDING", "bone_shortening")],
        "64913": [("STRANDS", "strands")],
    }
    found = evidence_of(case, *keys.get(code, []))
    if not found:
        found = [f.evidence for f in case.facts.all("NERVE") if f.key in case.nerves][:3]
        found += [f.evidence for f in case.facts.all("NERVE_COUNT")][:1]
    return found


def suggest_modifiers(case, result):
    from codes.models import FeeScheduleRow, Release

    codes = [p.code for p in result.proposed]
    release = Release.objects.current()
    rows = {}
    if release is not None:
        rows = {row.hcpcs: row for row in FeeScheduleRow.objects.for_codes(release, codes)}
    hints = result.modifiers
    for code in codes:
        row = rows.get(code)
        if case.side in {"right", "left"}:
            hints.append(
                ModifierHint(
                    "RT" if case.side == "right" else "LT",
                    code,
                    f"The note says {case.side} side.",
                    "R7-1",
                    "R",
                )
            )
        if case.side == SIDE_BY_NERVE:
            each = ", ".join(
                f"{nerve.replace('_', ' ')} {side}" for nerve, side in sides_by_nerve(case).items()
            )
            hints.append(
                ModifierHint(
                    "RT/LT",
                    code,
                    f"The nerves were repaired on different sides ({each}): RT or LT on each "
                    "line by the nerve it reports; not 50, which is one procedure on both "
                    "sides.",
                    "R7-1",
                    "R",
                )
            )
        if case.side == "bilateral" and row is not None:
            hints.append(
                ModifierHint(
                    "50",
                    code,
                    f"Bilateral indicator {row.bilateral}: "
                    + (
                        "150% when billed bilaterally."
                        if row.bilateral == "1"
                        else "no bilateral adjustment; confirm both sides."
                    ),
                    "R7-9",
                    "P-CMS",
                )
            )
        if code in DIGIT_CODES:
            for digit in case.digits:
                modifier = FINGER_MODIFIERS.get((case.side, digit))
                if modifier:
                    hints.append(
                        ModifierHint(
                            modifier,
                            code,
                            f"{case.side.title()} {digit.replace('_', ' ')}.",
                            "R7-2",
                            "R",
                        )
                    )
        if code == "64907":
            hints.append(
                ModifierHint(
                    "58",
                    code,
                    "A planned second stage inside the global period of 64905.",
                    "R7-6",
                    "S",
                )
            )
        if case.cosurgeon and row is not None:
            allowed = row.co_surgeons in {"1", "2"}
            hints.append(
                ModifierHint(
                    "62",
                    code,
                    f"Co-surgeon indicator {row.co_surgeons}: "
                    + (
                        "co-surgery may be paid with documentation."
                        if allowed
                        else "co-surgery is not paid."
                    ),
                    "R7-7",
                    "P-CMS",
                )
            )
        if case.assistant and row is not None:
            words = {
                "0": "paid only with documentation of medical necessity",
                "1": "an assistant is not paid",
                "2": "an assistant may be paid",
            }
            hints.append(
                ModifierHint(
                    "80",
                    code,
                    f"Assistant indicator {row.assistant}: "
                    f"{words.get(row.assistant, 'see the fee schedule')}.",
                    "R7-8",
                    "P-CMS",
                )
            )
    if result.edits is not None:
        for pair in result.edits.edits:
            if pair.edit.modifier_indicator == "1":
                hints.append(
                    ModifierHint(
                        "59/XS",
                        pair.edit.column_2,
                        f"NCCI pairs "
                        f"{pair.edit.column_1} and {pair.edit.column_2}; only "
                        "for a distinct nerve or site, documented.",
                        "R7-4",
                        "P-CMS",
                    )
                )
