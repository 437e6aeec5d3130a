"""ICD-10-CM for the rest of the site: what a code looks like and what the current release
says about it. Reads the database only: the web process never imports the
`simple-icd-10-cm` package (its data would sit in every worker's memory); only the loader
(`codes/icd10/loader.py`, run by `manage.py load_icd10cm`) does.

The interface other features call (keep it stable):

- `normalise(text) -> str | None`: the canonical form (no dot, upper case: "S0451XA"), or
  None when the text cannot be an ICD-10-CM code;
- `lookup(codes) -> {code as given: DiagnosisFacts}`: the codes that exist in the current
  release, with their title and whether they are billable;
- `explain_malformed(text) -> str`: why a text is not an ICD-10-CM code, for a message.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

# A letter, a digit, a letter or digit (the category), then up to four letters or digits;
# the dot, when written, comes after the category.
CODE_RE = re.compile(r"^([A-Z][0-9][0-9A-Z])(?:\.?([0-9A-Z]{1,4}))?$")
MAX_INPUT = 20
ICD9_RE = re.compile(r"^(?:[0-9]{3}(?:\.?[0-9]{1,2})?|E[0-9]{3}(?:\.?[0-9])?)$")
PCS_RE = re.compile(r"^[0-9A-HJ-NP-Z]{7}$")
CPT_RE = re.compile(r"^[0-9]{4}[0-9FTU]$")


def normalise(text) -> str | None:
    """Return the code without its dot, upper case ("g51.0" -> "G510"), or None when the
    text does not have the shape of an ICD-10-CM code (it may still not exist)."""
    if not isinstance(text, str) or len(text) > MAX_INPUT:
        return None
    match = CODE_RE.match(text.strip().upper())
    if match is None:
        return None
    return match.group(1) + (match.group(2) or "")


def explain_malformed(text):
    """Say, in a sentence, why `text` is not an ICD-10-CM code (for a code from another
    classification, which one it looks like)."""
    cleaned = (text or "").strip().upper()
    if not cleaned:
        return "Type an ICD-10-CM code, such as G51.0 or S04.51XA."
    if len(cleaned) > MAX_INPUT:
        return "That is too long for an ICD-10-CM code (at most seven characters and a dot)."
    if CPT_RE.match(cleaned):
        return (
            f"{cleaned} looks like a CPT procedure code, not an ICD-10-CM diagnosis code: "
            "look it up among the procedures."
        )
    if ICD9_RE.match(cleaned):
        return (
            f"{cleaned} looks like an ICD-9-CM code. ICD-9-CM is no longer used for "
            "diagnoses; ICD-10-CM codes start with a letter (e.g. G51.0)."
        )
    if PCS_RE.match(cleaned.replace(".", "")) and cleaned[0].isdigit():
        return (
            f"{cleaned} looks like an ICD-10-PCS (inpatient procedure) code. This site lists "
            "ICD-10-CM diagnosis codes, which start with a letter and a digit (e.g. S04.51XA)."
        )
    return (
        "That is not the shape of an ICD-10-CM code: a letter, a digit, a letter or digit, "
        "then up to four more characters after the dot (e.g. G51.0, S04.51XA)."
    )


def with_dot(code):
    """ "S0451XA" -> "S04.51XA"."""
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


@dataclass(frozen=True)
class DiagnosisFacts:
    """What the current release says about one code."""

    code: str  # with the dot: "S04.51XA"
    title: str
    billable: bool
    normalised: str  # without it: "S0451XA"
    release: str  # the release's label

    @property
    def url(self):
        return f"/diagnoses/{self.code}/"


def lookup(codes: Iterable[str]) -> dict[str, DiagnosisFacts]:
    """Return {code as given: facts} for the given codes that exist in the current
    release, in one query. Malformed codes and codes the release lacks are left out."""
    from codes.models import Diagnosis

    wanted = {}
    for given in codes:
        if (code := normalise(given)) is not None:
            wanted.setdefault(code, []).append(given)
    if not wanted:
        return {}
    rows = (
        Diagnosis.objects.current()
        .filter(code__in=list(wanted))
        .values_list("code", "title", "billable", "release__label")
    )
    found = {}
    for code, title, billable, label in rows:
        facts = DiagnosisFacts(with_dot(code), title, billable, code, label)
        for given in wanted[code]:
            found[given] = facts
    return found
