"""The spaCy pipeline that reads a note: built once per process, on first use.

A blank English pipeline (tokenizer only: no model is downloaded or loaded), a sentencizer,
an EntityRuler holding the target rules of `vocabulary.py`, and negspacy's NegEx component
with the clinical termset, extended with the hypotheticals of `vocabulary.py` and trimmed of
cues that misfire in operative notes ("the ends could not be approximated, so a graft was
placed" must not negate the graft). spaCy is imported here only, so a worker that never
serves the case check never loads it (docs/benchmarks.md).
"""

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


def phrase_pattern(phrase):
    # "end-to-end" is three tokens to spaCy's tokenizer; match each as written.

    tokens = [token.lower_ for token in _tokenizer()(phrase)]
    return [{"LOWER": token} for token in tokens]


_bare = None


def _tokenizer():
    global _bare
    if _bare is None:
        import spacy

        _bare = spacy.blank("en")
    return _bare


def entity_patterns():
    """Every phrase of the vocabulary as an EntityRuler pattern, labelled by kind, with the
    key as its id."""
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
                patterns.append({"label": label, "id": key, "pattern": phrase_pattern(phrase)})
    return patterns


def build():
    import spacy
    from negspacy.negation import Negex  # noqa: F401  (registers the "negex" factory)

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
    ruler.add_patterns(entity_patterns())
    nlp.add_pipe("negex", config={"neg_termset": termset(), "chunk_prefix": []})
    return nlp


def get_pipeline():
    """The process's pipeline, built on first use (about a second) and kept."""
    global _nlp
    if _nlp is None:
        with _lock:
            if _nlp is None:
                _nlp = build()
    return _nlp
