"""Read a note into facts, each with the sentence it came from.

The pipeline (pipeline.py) finds the phrases of the vocabulary and marks the negated and
hypothetical ones; this module adds what phrases alone cannot say: lengths in cm or mm,
strand and nerve counts, side, sections. A finding that is negated, hypothetical or in a
plan section is kept apart (`not_counted`), so the result can show why it did not count.
"""

import bisect
import re
from dataclasses import dataclass, field

from codes.casecheck import vocabulary

NUMBER_WORDS = {
    "one": 1, "single": 1, "two": 2, "both": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "a pair of": 2,
}  # fmt: skip
NUMBER = r"(\d+(?:[.,]\d+)?|one|two|three|four|five|six|seven|eight)"
LENGTH_RE = re.compile(
    r"(?<![\w.])(\d+(?:[.,]\d+)?)\s*(?:-\s*)?(cm|centimet(?:er|re)s?|mm|millimet(?:er|re)s?)\b",
    re.IGNORECASE,
)
STRANDS_RE = re.compile(rf"\b{NUMBER}\s+(?:\w+\s+){{0,2}}?(strands?|cables?)\b", re.IGNORECASE)
NERVE_COUNT_RE = re.compile(
    r"\b(two|three|four|five|six|both|2|3|4|5|6)\s+(?:\w+\s+){0,3}?nerves\b", re.IGNORECASE
)
SIDE_RE = re.compile(
    r"\b(right|left|bilateral)\b(?!\s+(?:in place|in situ|open|alone|intact|to heal|"
    r"undisturbed|untouched|behind))",
    re.IGNORECASE,
)
WORD_RE = re.compile(r"[^\W\d_]+")
GAP_WORDS = re.compile(r"\b(gap|defect|deficit|distance)\b", re.IGNORECASE)
GRAFT_WORDS = re.compile(
    r"\b(graft|grafts|allograft|cable|cables|strand|strands|conduit|"
    r"tube|vein|segment|harvested)\b",
    re.IGNORECASE,
)
HEADER_RE = re.compile(
    r"^[ \t]*("
    + "|".join(re.escape(h) for h in sorted(vocabulary.SECTION_HEADERS, key=len, reverse=True))
    + r")[ \t]*(?::|$)",
    re.IGNORECASE | re.MULTILINE,
)
# Words that put a side on the graft's donor site, not on the repaired nerve ("a sural
# nerve graft was harvested from the left leg", "the donor site on the right calf").
HARVEST_RE = re.compile(r"\b(harvest\w*|donor|taken from|obtained from)\b", re.IGNORECASE)
DONOR_SIDE = "the graft's donor site, not the side of the repaired nerve"


@dataclass(frozen=True)
class Evidence:
    """Where a finding came from: its sentence, the words matched in it (offsets within the
    sentence) and the note's section."""

    sentence: str
    start: int
    end: int
    section: str = ""

    @property
    def before(self):
        return self.sentence[: self.start]

    @property
    def matched(self):
        return self.sentence[self.start : self.end]

    @property
    def after(self):
        return self.sentence[self.end :]

    def as_json(self):
        return {"sentence": self.sentence, "start": self.start, "end": self.end,
                "section": self.section}  # fmt: skip


def make_evidence(sentence, start, end, section=""):
    """Evidence with the sentence's surrounding white space (a line break before a header)
    taken off, the offsets moved with it."""
    stripped = sentence.lstrip()
    shift = len(sentence) - len(stripped)
    stripped = stripped.rstrip()
    return Evidence(stripped, max(start - shift, 0), min(end - shift, len(stripped)), section)


@dataclass
class Finding:
    kind: str  # NERVE, TECHNIQUE, FINDING, LEVEL, OUT, CAUSE, DIGIT, LENGTH, GAP, SIDE, ...
    key: str
    evidence: Evidence
    value: object = None
    why_not: str = ""  # "negated or hypothetical", "in the plan"
    qualifier: str = ""  # e.g. "radial" in "radial digital nerve"
    sentence: int = -1  # the index of its sentence in the note
    # For a SIDE: the nerve named nearest to it in its sentence ("" when the sentence names
    # none), so each repaired nerve gets its own side ("the right median nerve and the left
    # ulnar nerve").
    nerve: str = ""


@dataclass
class NoteFacts:
    findings: list = field(default_factory=list)
    not_counted: list = field(default_factory=list)
    words: int = 0

    def all(self, kind, key=None):
        return [f for f in self.findings if f.kind == kind and (key is None or f.key == key)]

    def has(self, kind, key=None):
        return any(True for _ in self.all(kind, key))

    def keys(self, kind):
        seen = []
        for finding in self.all(kind):
            if finding.key not in seen:
                seen.append(finding.key)
        return seen

    def first(self, kind, key=None):
        found = self.all(kind, key)
        return found[0] if found else None

    def not_counted_of(self, kind, key=None):
        return [f for f in self.not_counted if f.kind == kind and (key is None or f.key == key)]


def sections_of(text):
    """[(start offset, section name)] of the note's headed sections, in order."""
    return [(m.start(), m.group(1).lower()) for m in HEADER_RE.finditer(text)]


def section_at(sections, offset):
    name = ""
    for start, section in sections:
        if start > offset:
            break
        name = section
    return name


# No graft, gap, strand or nerve count in a note runs to more digits than this; a longer
# number is not a measure (and would overflow a float).
MAX_DIGITS = 6


def number(word):
    """The number a word says ("two", "3", "4,5"), or None."""
    word = word.lower().replace(",", ".")
    if word in NUMBER_WORDS:
        return NUMBER_WORDS[word]
    if len(word.split(".")[0]) > MAX_DIGITS:
        return None
    try:
        return float(word) if "." in word else int(word)
    except ValueError:
        return None


def read(doc):
    """The facts of a parsed note (a spaCy Doc from pipeline.get_pipeline())."""
    text = doc.text
    sections = sections_of(text)
    facts = NoteFacts(words=len(WORD_RE.findall(text)))

    def evidence(sent, start_char, end_char):
        return make_evidence(sent.text, start_char - sent.start_char, end_char - sent.start_char,
                        section_at(sections, start_char))  # fmt: skip

    sentences = list(doc.sents)
    starts = [sent.start for sent in sentences]
    entities = list(doc.ents)  # Doc.ents builds new spans at each access
    techniques_by_sentence = {}
    nerves_by_sentence = {}
    for ent in entities:
        # Span.sent walks the document each time; look the sentence up instead.
        index = bisect.bisect_right(starts, ent.start) - 1
        sent = sentences[index]
        if ent.label_ == "TECHNIQUE":
            techniques_by_sentence.setdefault(index, []).append(ent._.negex)
        found = Finding(ent.label_, ent.ent_id_, evidence(sent, ent.start_char, ent.end_char))
        found.sentence = index
        # "Delayed primary repair": a flag for the coder, not a delayed repair (R3-1).
        if (
            ent.label_ == "FINDING"
            and ent.ent_id_ == "delayed"
            and ent.end < len(doc)
            and doc[ent.end].lower_ == "primary"
        ):
            found.qualifier = "primary"
        if ent.label_ == "NERVE":
            nerves_by_sentence.setdefault(index, []).append(
                (ent.start_char - sent.start_char, ent.end_char - sent.start_char, ent.ent_id_)
            )
            previous = doc[ent.start - 1].lower_ if ent.start > 0 else ""
            found.qualifier = (
                ent.text.lower().split()[0]
                if ent.text.lower().split()[0] in {"radial", "ulnar"} and ent.ent_id_ == "digital"
                else (previous if previous in {"radial", "ulnar", "medial", "lateral"} else "")
            )
        add(
            facts,
            found,
            negated=ent._.negex,
            plan=found.evidence.section in vocabulary.PLAN_SECTIONS,
        )

    for index, sent in enumerate(sentences):
        in_plan = section_at(sections, sent.start_char) in vocabulary.PLAN_SECTIONS
        # A length in a sentence whose every technique is negated ("no graft of 3 cm").
        negations = techniques_by_sentence.get(index, [])
        negated_sentence = bool(negations) and all(negations)
        for match in LENGTH_RE.finditer(sent.text):
            value = number(match.group(1))
            if value is None:
                continue
            unit = match.group(2).lower()
            cm = value / 10 if unit.startswith("m") else float(value)
            # A gap or defect named just before the number is the gap, not the graft (R4-9).
            window = sent.text[max(0, match.start() - 40) : match.start()]
            is_gap = bool(GAP_WORDS.search(window)) and not GRAFT_WORDS.search(window)
            found = Finding(
                "GAP" if is_gap else "LENGTH",
                "cm",
                make_evidence(
                    sent.text, match.start(), match.end(), section_at(sections, sent.start_char)
                ),
                value=round(cm, 2),
            )
            if not is_gap and not GRAFT_WORDS.search(sent.text) and not GAP_WORDS.search(sent.text):
                # A length in a sentence about neither graft nor gap (an incision, a wound).
                continue
            add(facts, found, negated=negated_sentence, plan=in_plan)
        # Counts of strands and of nerves; a nerve count stands even in a negated sentence
        # ("two nerves were repaired, no graft").
        for kind, pattern, negated in (
            ("STRANDS", STRANDS_RE, negated_sentence),
            ("NERVE_COUNT", NERVE_COUNT_RE, False),
        ):
            for match in pattern.finditer(sent.text):
                count = number(match.group(1))
                if isinstance(count, int):
                    evidence = make_evidence(
                        sent.text, match.start(), match.end(), section_at(sections, sent.start_char)
                    )
                    add(
                        facts,
                        Finding(kind, "count", evidence, value=count),
                        negated=negated,
                        plan=in_plan,
                    )
        for match in SIDE_RE.finditer(sent.text):
            nerves = nerves_by_sentence.get(index, [])
            nearest = nearest_nerve(match, nerves)
            found = Finding(
                "SIDE",
                match.group(1).lower(),
                make_evidence(
                    sent.text, match.start(), match.end(), section_at(sections, sent.start_char)
                ),
                sentence=index,
                nerve=nearest[2] if nearest else "",
            )
            if donor_side(sent.text, match, nerves):
                found.qualifier = "donor"
                found.why_not = DONOR_SIDE
                facts.not_counted.append(found)
                continue
            add(facts, found, negated=False, plan=False)
    return facts


def nearest_nerve(match, nerves):
    """The (start, end, key) of the nerve named nearest to a side in its sentence, or None."""
    if not nerves:
        return None
    return min(nerves, key=lambda n: max(n[0] - match.end(), match.start() - n[1], 0))


def donor_side(text, match, nerves):
    """Whether a side in a sentence belongs to the graft's donor site: the nerve nearest to
    it is a donor nerve (sural, great auricular...), or, unless it names a repaired nerve
    ("the left median nerve"), a harvest word comes just before it
    ("harvested from the left leg"), or just after it with no repaired nerve in the
    sentence ("the left calf, the donor site")."""
    if nerves:
        nearest = nearest_nerve(match, nerves)
        if nearest[2] in vocabulary.DONOR_NERVES:
            return True
        if max(nearest[0] - match.end(), match.start() - nearest[1], 0) <= 3:
            return False  # "the left median nerve": the side of the nerve it names
    if HARVEST_RE.search(text[max(0, match.start() - 40) : match.start()]):
        return True
    repaired = [n for n in nerves if n[2] not in vocabulary.DONOR_NERVES]
    return not repaired and bool(HARVEST_RE.search(text[match.end() : match.end() + 40]))


def add(facts, finding, negated, plan):
    if negated:
        finding.why_not = "negated or hypothetical in the note"
        facts.not_counted.append(finding)
    elif plan:
        finding.why_not = "in the note's plan, not what was done"
        facts.not_counted.append(finding)
    else:
        facts.findings.append(finding)
