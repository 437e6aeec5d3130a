"""The family's rules as data: one declaration per rule of CODING_RULES.md, with what it
decides, its source and its confidence.

A rule's `when` reads the case (engine.Case: the facts of the note, already resolved into
the nerve, the technique, the length...) and says whether the rule applies. Rules whose
confidence is [P-CMS], [P-ICD] or [S] decide; a rule resting on an [R], [S-weak] or [X] item
still names its code, but the result marks it "for the coder to confirm" with its question
(CODING_RULES §6, §8).
"""

from dataclasses import dataclass

DECIDING = {"P-CMS", "P-ICD", "S"}
REFERENCE = "CODING_RULES.md"


@dataclass(frozen=True)
class Rule:
    id: str
    decides: str
    source: str
    confidence: str
    when: object = None  # case -> bool
    codes: tuple = ()  # the code, or (up to 4 cm, more than 4 cm) for a graft rule
    out_of_family: tuple = ()  # codes to weigh instead, for a Step 0 rule
    question: str = ""  # what the coder must settle when the rule does not decide alone

    @property
    def decides_alone(self):
        return self.confidence in DECIDING

    def as_json(self):
        return {"id": self.id, "decides": self.decides, "source": self.source,
                "confidence": self.confidence}  # fmt: skip


BRIDGING = {"graft", "conduit", "vein", "allograft", "pedicle", "anastomosis"}


def major(case):
    return case.nerve_kind == "major"


# Step 0: repairs outside the family. The first that applies ends the search for a family
# code. -----------------------------------------------------------------------------------
OUT_OF_FAMILY = [
    Rule(
        "R0-1",
        "Facial nerve repaired inside the temporal bone: not 64864/64865",
        "§2 Step 0; S8",
        "S",
        when=lambda c: c.nerve == "facial" and "intratemporal" in c.levels,
        out_of_family=("69740", "69745", "69720", "69725", "69955"),
    ),
    Rule(
        "R0-4",
        "Cranial nerve repaired inside the skull: not this family",
        "§2 Step 0; S9",
        "S-weak",
        when=lambda c: "intracranial" in c.levels,
        out_of_family=("61450", "61460", "61790"),
        question="Check the intracranial cross-references in the CPT codebook.",
    ),
    Rule(
        "R0-8",
        "A named nerve transfer with no code of its own (e.g. masseteric-to-facial, "
        "cross-facial graft)",
        "§2 Step 0",
        "X",
        when=lambda c: (
            c.has_nerve("masseteric") or c.has_out("cross_facial") or c.technique == "transfer"
        ),
        out_of_family=("64999",),
        question="No confirmed code: weigh the unlisted code 64999 with the payer.",
    ),
    Rule(
        "R0-5",
        "Reanimation by fascia or muscle with no nerve coaptation",
        "§2 Step 0; S8",
        "S",
        when=lambda c: c.has_out("fascia_muscle") and not c.techniques & (BRIDGING | {"direct"}),
        out_of_family=("15840", "15841", "15842", "15845"),
    ),
    Rule(
        "R0-7",
        "Nerve deliberately cut or avulsed: destruction, not repair",
        "§2 Step 0; S8",
        "S",
        when=lambda c: c.has_out("avulsion") and not c.techniques,
        out_of_family=("64742",),
    ),
    Rule(
        "R0-6",
        "Neurolysis or neuroplasty only, no division and coaptation",
        "§2 Step 0; §8.9",
        "R",
        when=lambda c: c.has_out("neurolysis") and not c.techniques,
        out_of_family=(
            "64702",
            "64704",
            "64708",
            "64712",
            "64713",
            "64714",
            "64718",
            "64719",
            "64721",
            "64727",
        ),
        question="No family code applies; the pointer to 64702-64727 is to be checked.",
    ),
]

# Not a repair and no code in the rules: the note hears that it is outside the family and
# that CODING_RULES names no code to weigh (no code is invented).
OUT_OF_FAMILY.append(
    Rule(
        "§2 Step 0",
        "A nerve stimulator implanted, not a nerve repaired: outside this family",
        "§2 Step 0 (CODING_RULES names no stimulator code)",
        "R",
        when=lambda c: c.has_out("stimulator") and not c.techniques,
        question="CODING_RULES names no code for a nerve stimulator: look it up outside "
        "this family (nerve repair, 64831-64913).",
    )
)

# Steps 1 to 5: the primary code. The first rule that applies decides. ----------------------
PRIMARY = [
    Rule(
        "R1-2",
        "Facial nerve joined to the hypoglossal nerve",
        "§2 Step 1; S8, S9",
        "S",
        when=lambda c: c.nerve == "facial" and c.donor == "hypoglossal",
        codes=("64868",),
    ),
    Rule(
        "R1-2",
        "Facial nerve joined to the spinal accessory nerve",
        "§2 Step 1; S8, S9",
        "S",
        when=lambda c: c.nerve == "facial" and c.donor == "accessory",
        codes=("64866",),
    ),
    Rule(
        "R1-7",
        "Nerve pedicle transfer, first stage",
        "§2 Step 1; S8",
        "S",
        when=lambda c: c.technique == "pedicle" and c.stage == 1,
        codes=("64905",),
    ),
    Rule(
        "R1-7",
        "Nerve pedicle transfer, second stage",
        "§2 Step 1; S8",
        "S",
        when=lambda c: c.technique == "pedicle" and c.stage == 2,
        codes=("64907",),
    ),
    Rule(
        "R1-6",
        "Processed nerve allograft, first strand of each nerve",
        "§2 Step 1, R5-3; S4",
        "P-CMS",
        when=lambda c: c.technique == "allograft",
        codes=("64912",),
    ),
    Rule(
        "R1-5",
        "The patient's own vein as a conduit, per nerve",
        "§2 Step 1, R5-2; S4",
        "P-CMS",
        when=lambda c: c.technique == "vein",
        codes=("64911",),
    ),
    Rule(
        "R1-4",
        "Synthetic conduit or vein allograft, per nerve",
        "§2 Step 1, R5-1; S8",
        "S",
        when=lambda c: c.technique == "conduit",
        codes=("64910",),
    ),
    Rule(
        "R0-3",
        "Facial nerve repair in the infratemporal region (graft included)",
        "§2 Step 0; S8, S9",
        "S",
        when=lambda c: c.nerve == "facial" and "infratemporal" in c.levels,
        codes=("64865",),
    ),
    Rule(
        "R4-1",
        "Autologous graft, head or neck",
        "§2 Step 4; S8, S4",
        "S",
        when=lambda c: c.technique == "graft" and c.region == "head_neck",
        codes=("64885", "64886"),
    ),
    Rule(
        "R4-2",
        "Autologous graft, hand or foot, one strand",
        "§2 Step 4; §8.1; S4",
        "S",
        when=lambda c: c.technique == "graft" and c.region == "hand_foot" and c.cable is False,
        codes=("64890", "64891"),
    ),
    Rule(
        "R4-4",
        "Autologous cable graft, hand or foot",
        "§2 Step 4; §8.1; S4",
        "S",
        when=lambda c: c.technique == "graft" and c.region == "hand_foot" and c.cable is True,
        codes=("64895", "64896"),
    ),
    Rule(
        "R4-3",
        "Autologous graft, arm or leg, one strand",
        "§2 Step 4; §8.1; S4",
        "S",
        when=lambda c: c.technique == "graft" and c.region == "arm_leg" and c.cable is False,
        codes=("64892", "64893"),
    ),
    Rule(
        "R4-5",
        "Autologous cable graft, arm or leg",
        "§2 Step 4; §8.1; S4",
        "S",
        when=lambda c: c.technique == "graft" and c.region == "arm_leg" and c.cable is True,
        codes=("64897", "64898"),
    ),
    Rule(
        "R2-1",
        "Direct repair of a digital nerve of a finger or toe",
        "§2 Step 2; §8.1",
        "S",
        when=lambda c: c.technique == "direct" and c.nerve == "digital",
        codes=("64831",),
    ),
    Rule(
        "R2-3",
        "Direct repair of a common sensory nerve of the hand or foot",
        "§2 Step 2; §1",
        "R",
        when=lambda c: c.technique == "direct" and c.nerve == "common_digital",
        codes=("64834",),
        question="The label of 64834 is from memory (§1): confirm the nerve fits it.",
    ),
    Rule(
        "R2-4",
        "Direct repair of the median nerve's thenar motor branch",
        "§2 Step 2; §8.1",
        "S",
        when=lambda c: c.technique == "direct" and c.nerve == "thenar",
        codes=("64835",),
    ),
    Rule(
        "R2-5",
        "Direct repair of the ulnar motor branch in the hand",
        "§2 Step 2; §8.1",
        "S",
        when=lambda c: c.technique == "direct" and c.nerve == "deep_ulnar",
        codes=("64836",),
    ),
    Rule(
        "R2-7",
        "Direct repair of the posterior tibial nerve",
        "§2 Step 2; §8.2",
        "S",
        when=lambda c: c.technique == "direct" and c.nerve == "posterior_tibial",
        codes=("64840",),
    ),
    Rule(
        "R2-10",
        "Direct repair of the sciatic nerve",
        "§2 Step 2; S4",
        "P-CMS",
        when=lambda c: c.technique == "direct" and c.nerve == "sciatic",
        codes=("64858",),
    ),
    Rule(
        "R2-8",
        "Direct repair of a major arm or leg nerve, with transposition",
        "§2 Step 2; S8",
        "S",
        when=lambda c: c.technique == "direct" and major(c) and c.transposition,
        codes=("64856",),
    ),
    Rule(
        "R2-9",
        "Direct repair of a major arm or leg nerve, without transposition",
        "§2 Step 2; §8.1",
        "S",
        when=lambda c: c.technique == "direct" and major(c) and not c.transposition,
        codes=("64857",),
    ),
    Rule(
        "R2-12",
        "Direct repair of the brachial plexus",
        "§2 Step 2; §1",
        "R",
        when=lambda c: c.technique == "direct" and c.nerve == "brachial_plexus",
        codes=("64861",),
        question="The label of 64861 is from memory (§1): confirm it.",
    ),
    Rule(
        "R2-12",
        "Direct repair of the lumbar plexus",
        "§2 Step 2; §1",
        "R",
        when=lambda c: c.technique == "direct" and c.nerve == "lumbar_plexus",
        codes=("64862",),
        question="The label of 64862 is from memory (§1): confirm it.",
    ),
    Rule(
        "R2-13",
        "Direct repair of the facial nerve outside the skull",
        "§2 Step 2, R0-2; S8",
        "S",
        when=lambda c: c.technique == "direct" and c.nerve == "facial",
        codes=("64864",),
    ),
]

# Facts the result asks for when the note lacks them.
FACIAL_LEVEL = Rule("R0-2", "Facial nerve repaired outside the skull (trunk, pes, branches)",
                    "§2 Step 0; §4 element 2; S8, S9", "S")  # fmt: skip
SIDE = Rule("R7-1", "Side of a limb or face (RT/LT; the ICD-10-CM side)", "§2 Step 7; §4.3",
            "R")  # fmt: skip
DIGIT = Rule("R7-2", "Digit modifiers F1-F9, FA, T1-T9, TA", "§2 Step 7; §4.3", "R")

DELAYED_PRIMARY = Rule(
    "R3-1",
    "'Delayed primary repair': after the day of injury, before the ends scar",
    "§2 Step 3; §4 element 8",
    "R",
)
RADIAL_SENSORY = Rule(
    "R2-3",
    "Superficial radial (radial sensory) nerve: no code of its own in the rules",
    "§2 Step 2, R2-3, R2-9",
    "R",
)

# Threshold of the graft codes.
LENGTH_RULE = Rule("R4-8", "Exactly 4 cm takes the 'up to 4 cm' code", "§2 Step 4; §8.3", "S")

# Add-ons: (rule, add-on code, units of the case). Each is proposed only when CMS's add-on
# list allows it with a proposed primary (checked against the imported AOC release).
ADD_ONS = [
    (
        Rule(
            "R2-2",
            "Each further digital nerve repaired directly",
            "§2 Step 2; S1",
            "P-CMS",
            when=lambda c: c.technique == "direct" and c.nerve == "digital" and c.nerve_count > 1,
        ),
        "64832",
        lambda c: c.nerve_count - 1,
    ),
    (
        Rule(
            "R2-6",
            "Each further hand or foot nerve repaired directly",
            "§2 Step 2; S1",
            "P-CMS",
            when=lambda c: (
                c.technique == "direct"
                and c.nerve in {"common_digital", "thenar", "deep_ulnar"}
                and c.nerve_count > 1
            ),
        ),
        "64837",
        lambda c: c.nerve_count - 1,
    ),
    (
        Rule(
            "R2-11",
            "Each further major peripheral nerve repaired directly",
            "§2 Step 2; S1",
            "P-CMS",
            when=lambda c: c.technique == "direct" and major(c) and c.nerve_count > 1,
        ),
        "64859",
        lambda c: c.nerve_count - 1,
    ),
    (
        Rule(
            "R4-6",
            "Each further nerve grafted, one strand",
            "§2 Step 4; S1",
            "P-CMS",
            when=lambda c: c.technique == "graft" and c.nerve_count > 1 and c.cable is not True,
        ),
        "64901",
        lambda c: c.nerve_count - 1,
    ),
    (
        Rule(
            "R4-7",
            "Each further nerve grafted, cable",
            "§2 Step 4; S1",
            "P-CMS",
            when=lambda c: c.technique == "graft" and c.nerve_count > 1 and c.cable is True,
        ),
        "64902",
        lambda c: c.nerve_count - 1,
    ),
    (
        Rule(
            "R5-4",
            "Each further nerve-allograft strand",
            "§2 Step 5; S1",
            "P-CMS",
            when=lambda c: c.technique == "allograft" and (c.strands or 1) > c.nerve_count,
        ),
        "64913",
        lambda c: (c.strands or 1) - c.nerve_count,
    ),
    (
        Rule(
            "R3-1",
            "Secondary or delayed repair",
            "§2 Step 3; S1",
            "P-CMS",
            when=lambda c: c.delayed,
        ),
        "64872",
        lambda c: 1,
    ),
    (
        Rule(
            "R3-2",
            "Extensive mobilisation or transposition of the nerve",
            "§2 Step 3; S1",
            "P-CMS",
            when=lambda c: (c.mobilisation or c.transposition) and not major(c),
        ),
        "64874",
        lambda c: 1,
    ),
    (
        Rule(
            "R3-6",
            "64874 with 64856 for extensive mobilisation",
            "§2 Step 3",
            "X",
            when=lambda c: c.mobilisation and major(c) and c.transposition,
            question="64856 already includes transposition; whether 64874 may be added for "
            "extensive mobilisation is not documented.",
        ),
        "64874",
        lambda c: 1,
    ),
    (
        Rule(
            "R3-2",
            "Extensive mobilisation of a major nerve repaired without transposition",
            "§2 Step 3; S1",
            "P-CMS",
            when=lambda c: c.mobilisation and major(c) and not c.transposition,
        ),
        "64874",
        lambda c: 1,
    ),
    (
        Rule(
            "R3-3",
            "A limb bone shortened so the nerve ends could meet",
            "§2 Step 3; S1",
            "P-CMS",
            when=lambda c: c.bone_shortening,
        ),
        "64876",
        lambda c: 1,
    ),
]

# Units per nerve for the per-nerve bridging codes (R5-1 to R5-3).
PER_NERVE = Rule(
    "R5-1", "Conduit, vein and allograft codes are reported per nerve", "§2 Step 5; S3", "P-CMS"
)

MICROSCOPE = Rule(
    "R-MIC-1",
    "+69990 only with a primary CMS lists for it",
    "§2 Step 6; S1",
    "P-CMS",
    when=lambda c: c.microscope,
)
MICROSCOPE_BLOCKED = Rule(
    "R-MIC-3",
    "69990 is never paid with 64910-64913 (NCCI, indicator 0)",
    "§2 Step 6; §8.6; S2",
    "P-CMS",
)
LOUPES = Rule(
    "R-MIC-5",
    "Loupes do not support 69990",
    "§2 Step 6; S6, S7, S13",
    "S",
    when=lambda c: c.loupes and not c.microscope,
)
ONCE = Rule("R-MIC-4", "69990 once per session", "§2 Step 6; S6, S13", "S")

# Questions the case raises whatever the code (R and X items, §8).
QUESTIONS = [
    Rule(
        "§8.2",
        "'Tibial' alone: posterior tibial (64840) or a major leg nerve (64856/64857)?",
        "§8.2",
        "X",
        when=lambda c: c.nerve == "tibial" and c.technique == "direct",
        question="The note says 'tibial nerve': if the posterior tibial nerve, 64840; "
        "otherwise 64857 (64856 with transposition).",
    ),
    Rule(
        "R4-9",
        "What graft length means (graft or gap; one cable or all strands)",
        "§2 Step 4",
        "X",
        when=lambda c: (
            c.technique == "graft" and (c.cable is True or (c.length_cm is None and c.gap_cm))
        ),
        question="Check the length against the surgeon's stated graft length; for a cable "
        "graft, whether the length of one cable or of all strands counts is not settled.",
    ),
    Rule(
        "R4-11",
        "A direct-repair code with a graft code for the same facial nerve",
        "§2 Step 4",
        "X",
        when=lambda c: c.technique == "graft" and c.also_direct and c.nerve == "facial",
        question="The note describes both suture and a graft for the facial nerve: whether "
        "64864 may go with 64885/64886 for one nerve is not settled; the graft code "
        "includes both coaptations.",
    ),
    Rule(
        "§8.5",
        "A second unit of the same major-nerve or facial code",
        "§8.5",
        "X",
        when=lambda c: c.technique == "direct" and c.nerve == "facial" and c.nerve_count > 1,
        question="Two facial nerves or branches repaired: a second unit of 64864 is a "
        "question for the coder (MUE 2, MAI 3).",
    ),
]
