"""Turn what a coder typed into a structured query.

Coders type a code (" 64868 ", "CPT 64868", or with the modifier they mean to append:
"64868-50", "64868 RT"), part of one ("6486"), a range ("64864-64868", "64864 to 64868"),
a list ("64866, 64868"), or words from a note ("tongue nerve").
User text never reaches a full-text engine raw: words are reduced to plain tokens here,
and each backend quotes them its own way.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from django.db import models

MAX_QUERY_LENGTH = 200
MAX_WORDS = 12
MAX_LISTED_CODES = 20

CODE = r"[0-9]{4}[0-9FTU]"
CODE_RE = re.compile(rf"^{CODE}$")
# "CPT 64868", "cpt64868", "CPT: 64868": the word a coder puts before a code.
CPT_WORD_RE = re.compile(r"^CPT[\s:#-]*(?=[0-9])")
# "64868-50", "64868 RT": a code with the modifier the coder means to append.
CODE_WITH_MODIFIER_RE = re.compile(rf"^({CODE})\s*(?:-\s*|\s+)([0-9A-Z]{{2}})$")
PREFIX_RE = re.compile(r"^[0-9]{1,4}$")
RANGE_RE = re.compile(rf"^({CODE})\s*(?:-|–|—|\.\.|TO|THROUGH|THRU)\s*({CODE})$")
LIST_RE = re.compile(rf"^{CODE}(?:\s*[,;\s]\s*{CODE})+$")
WORD_RE = re.compile(r"\w+", re.UNICODE)
PHRASE_RE = re.compile(r'"([^"]+)"')

# Words too common to narrow a search: the English stop words PostgreSQL's full-text
# search drops (its english.stop list), and "without". Dropped here on both databases, so
# SQLite, which indexes every word, finds exactly what PostgreSQL finds.
STOP_WORDS = frozenset(
    [
        "i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you", "your", "yours",
        "yourself", "yourselves", "he", "him", "his", "himself", "she", "her", "hers",
        "herself", "it", "its", "itself", "they", "them", "their", "theirs", "themselves",
        "what", "which", "who", "whom", "this", "that", "these", "those", "am", "is", "are",
        "was", "were", "be", "been", "being", "have", "has", "had", "having", "do", "does",
        "did", "doing", "a", "an", "the", "and", "but", "if", "or", "because", "as", "until",
        "while", "of", "at", "by", "for", "with", "about", "against", "between", "into",
        "through", "during", "before", "after", "above", "below", "to", "from", "up", "down",
        "in", "out", "on", "off", "over", "under", "again", "further", "then", "once", "here",
        "there", "when", "where", "why", "how", "all", "any", "both", "each", "few", "more",
        "most", "other", "some", "such", "no", "nor", "not", "only", "own", "same", "so",
        "than", "too", "very", "s", "t", "can", "will", "just", "don", "should", "now",
        "without",
    ]
)  # fmt: skip


class QueryKind(models.TextChoices):
    """What a coder typed. Templates compare with the enum (passed in the context), never
    with raw strings."""

    EMPTY = "empty", "Nothing"
    CODE = "code", "A code"
    PREFIX = "prefix", "Part of a code"
    RANGE = "range", "A range of codes"
    LIST = "list", "A list of codes"
    WORDS = "words", "Words"


class SortOrder(models.TextChoices):
    RELEVANCE = "relevance", "Best match"
    CODE = "code", "Code"


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    kind: str
    codes: tuple = ()
    words: tuple = ()
    phrases: tuple = ()
    modifier: str = ""  # typed after a code ("64868-50"): not part of the look-up
    truncated: bool = False
    notes: tuple = field(default=())

    @property
    def is_code_lookup(self):
        return self.kind in {QueryKind.CODE, QueryKind.PREFIX, QueryKind.RANGE, QueryKind.LIST}

    @property
    def prefix_bounds(self):
        """The inclusive code range a prefix covers ("6486" -> "64860".."6486U")."""
        prefix = self.codes[0]
        return prefix + "0" * (5 - len(prefix)), prefix + "U" * (5 - len(prefix))


def normalise(raw):
    """Drop control characters (NUL included), fold Unicode forms, collapse spaces."""
    text = unicodedata.normalize("NFKC", raw or "")
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return " ".join(text.split())


def parse_query(raw):
    text = normalise(raw)
    truncated = len(text) > MAX_QUERY_LENGTH
    if truncated:
        text = text[:MAX_QUERY_LENGTH].rstrip()
    notes = []
    if truncated:
        notes.append(
            f"Your search was longer than {MAX_QUERY_LENGTH} characters; "
            "only the first part was used."
        )
    upper = CPT_WORD_RE.sub("", text.upper())
    common = {"text": text, "truncated": truncated, "notes": tuple(notes)}

    if not text:
        return ParsedQuery(kind=QueryKind.EMPTY, **common)
    if CODE_RE.match(upper):
        return ParsedQuery(kind=QueryKind.CODE, codes=(upper,), **common)
    if match := CODE_WITH_MODIFIER_RE.match(upper):
        code, modifier = match.groups()
        return ParsedQuery(kind=QueryKind.CODE, codes=(code,), modifier=modifier, **common)
    if PREFIX_RE.match(upper):
        return ParsedQuery(kind=QueryKind.PREFIX, codes=(upper,), **common)
    if match := RANGE_RE.match(upper):
        low, high = sorted(match.groups())
        return ParsedQuery(kind=QueryKind.RANGE, codes=(low, high), **common)
    if LIST_RE.match(upper):
        codes = tuple(dict.fromkeys(re.findall(CODE, upper)))
        if len(codes) > MAX_LISTED_CODES:
            codes = codes[:MAX_LISTED_CODES]
            common["notes"] += (f"Only the first {MAX_LISTED_CODES} codes were looked up.",)
        return ParsedQuery(kind=QueryKind.LIST, codes=codes, **common)

    phrases = tuple(
        " ".join(words)
        for phrase in PHRASE_RE.findall(text)
        if len(words := meaningful_words(phrase)) > 1
    )
    words = meaningful_words(PHRASE_RE.sub(" ", text)) if phrases else meaningful_words(text)
    words = tuple(dict.fromkeys(words))
    if len(words) + len(phrases) > MAX_WORDS:
        words = words[: max(0, MAX_WORDS - len(phrases))]
        common["notes"] += (f"Only the first {MAX_WORDS} words were used.",)
    return ParsedQuery(kind=QueryKind.WORDS, words=words, phrases=phrases, **common)


def meaningful_words(text):
    """Return the lower-case word tokens of `text`, without stop words."""
    return [word for word in WORD_RE.findall(text.lower()) if word not in STOP_WORDS]
