"""The spaCy pipeline that reads a note: built once per process, on first use.

A blank English pipeline (tokenizer only: no model is downloaded or loaded), a sentencizer,
an EntityRuler holding the target rules of `vocabulary.py`, and negspacy's NegEx component
with the clinical termset, extended with the hypotheticals of `vocabulary.py` and trimmed of
cues that misfire in operative notes ("the ends could not be approximated, so a graft was
placed" must not negate the graft). spaCy is imported here only, so a worker that never
serves the case check never loads it (docs/benchmarks.md).
"""

import bisect
import threading

from codes.casecheck import vocabulary

_lock = threading.Lock()
_nlp = None

# NegEx cues from negspacy's clinical set that read "could not be brought together, so a
# graft was placed" as a negated graft: an operative note uses them for the reason a
# technique was chosen.
MISFIRING_CUES = {
    "not",
    "cannot",
    "can't",
    "cant",
    "couldn't",
    "couldnt",
    "versus",
    "evaluate for",
    "doubt",
    "symptoms atypical",
    "free",
    "free of",
    "ro",
    "r/o",
}
EXTRA_TERMINATION = [
    "so",
    "therefore",
    "thus",
    "then",
    "instead",
    "and then",
    "after which",
    "followed by",
    "subsequently",
    ";",
    "and a",
    "and the",
    "with a",
    "using a",
    "using the",
    "was then",
]


def termset():
    from negspacy.termsets import termset as negspacy_termset

    patterns = negspacy_termset("en_clinical").get_patterns()
    patterns["preceding_negations"] = sorted(
        (set(patterns["preceding_negations"]) - MISFIRING_CUES)
        | set(vocabulary.NOT_THE_FACT_BEFORE)
    )
    patterns["following_negations"] = sorted(
        (set(patterns["following_negations"]) - MISFIRING_CUES) | set(vocabulary.NOT_THE_FACT_AFTER)
    )
    patterns["termination"] = sorted(set(patterns["termination"]) | set(EXTRA_TERMINATION))
    return patterns


def entity_patterns():
    """Every phrase of the vocabulary as an EntityRuler phrase pattern (matched on lower-cased
    tokens by spaCy's PhraseMatcher), labelled by kind, with the key as its id."""
    groups = {
        "NERVE": vocabulary.NERVE_PHRASES,
        "TECHNIQUE": vocabulary.TECHNIQUE_PHRASES,
        "FINDING": vocabulary.FINDING_PHRASES,
        "LEVEL": vocabulary.LEVEL_PHRASES,
        "OUT": vocabulary.OUT_OF_FAMILY_PHRASES,
        "CAUSE": vocabulary.CAUSE_PHRASES,
        "DIGIT": vocabulary.DIGITS,
    }
    patterns = []
    for label, table in groups.items():
        for key, phrases in table.items():
            for phrase in phrases:
                patterns.append({"label": label, "id": key, "pattern": phrase})
    return patterns


def register_components():
    """Register "case_negex": negspacy's NegEx (its termset, matching, clause boundaries and
    decision, unchanged) with its outer loop indexed. negspacy walks every entity for every
    clause, building each entity anew each time: 0.2 s on a 2,000-word note; looking each
    entity's clause up by position is the same answer in a few milliseconds."""
    from negspacy.negation import Negex
    from spacy.language import Language

    if Language.has_factory("case_negex"):
        return

    class IndexedNegex(Negex):
        def negex(self, doc):
            preceding, following, terminating = self.process_negations(doc)
            boundaries = self.termination_boundaries(doc, terminating)
            starts = [start for start, _ in boundaries]
            for entity in doc.ents:
                start, end = boundaries[bisect.bisect_right(starts, entity.start) - 1]
                if entity.end > end:
                    continue  # across a clause boundary: negspacy skips it too
                self._apply_negation(
                    entity,
                    [cue for cue in preceding if start <= cue[1] < end],
                    [cue for cue in following if start <= cue[1] < end],
                )
            return doc

    Language.factory(
        "case_negex",
        default_config={
            "neg_termset": None,
            "ent_types": None,
            "extension_name": "negex",
            "chunk_prefix": None,
            "span_keys": None,
        },
    )(IndexedNegex)


_header_pattern = None


def header_lines(text):
    """Offsets of the lines of a note that are a section header on their own ("PROCEDURE:",
    "FINDINGS"), with or without a colon."""
    global _header_pattern
    if _header_pattern is None:
        import re

        headers = sorted(vocabulary.SECTION_HEADERS, key=len, reverse=True)
        _header_pattern = re.compile(
            r"[ \t]*(?:" + "|".join(re.escape(h) for h in headers) + r")[ \t]*:?[ \t]*",
            re.IGNORECASE,
        )
    found = []
    position = 0
    for line in text.split("\n"):
        # A header is a short line; testing only those keeps a long note's cost near zero.
        if len(line) <= 60 and _header_pattern.fullmatch(line):
            found.append((position, position + len(line)))
        position += len(line) + 1
    return found


def register_header_breaks():
    """Register "header_breaks": a section header alone on its line is a sentence of its own,
    so a header with no full stop does not run into the next sentence (the sentencizer keeps
    the starts set here)."""
    from spacy.language import Language

    if Language.has_factory("header_breaks"):
        return

    @Language.component("header_breaks")
    def header_breaks(doc):
        lines = header_lines(doc.text)
        if not lines:
            return doc
        starts = [token.idx for token in doc]
        for start, end in lines:
            # The header's first word, and the first word after its line break.
            for offset in (start, end + 1):
                i = bisect.bisect_left(starts, offset)
                while i < len(doc) and doc[i].is_space:
                    i += 1
                if 0 < i < len(doc):
                    doc[i].is_sent_start = True
        return doc


def build():
    import spacy

    register_components()
    register_header_breaks()
    nlp = spacy.blank("en")
    nlp.add_pipe("header_breaks")
    nlp.add_pipe("sentencizer")
    ruler = nlp.add_pipe(
        "entity_ruler", config={"overwrite_ents": True, "phrase_matcher_attr": "LOWER"}
    )
    ruler.add_patterns(entity_patterns())
    nlp.add_pipe("case_negex", config={"neg_termset": termset(), "chunk_prefix": []})
    return nlp


def get_pipeline():
    """The process's pipeline, built on first use (about a second) and kept."""
    global _nlp
    if _nlp is None:
        with _lock:
            if _nlp is None:
                _nlp = build()
    return _nlp
