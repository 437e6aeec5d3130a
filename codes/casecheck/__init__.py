"""The case check: an operative note in, the codes it supports out, with the words that
decide each, the facts still missing, add-ons, modifiers, edits and diagnoses.

`check_note(text)` is the one entry point; `NoteRefused` carries a message for a 4xx. The
note is never stored, cached or logged (docs/casecheck.md).
"""

import re

MAX_NOTE_CHARS = 20_000
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class NoteRefused(ValueError):
    """The note cannot be checked; the message says why. `status` is the HTTP status."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def clean_note(text):
    """Return the note as text to check, or raise NoteRefused (without repeating the note)."""
    if text is not None:
        # A browser counts a line break as one character against the form's maxlength and
        # sends it as two (CR LF): count it as the browser did.
        text = text.replace("\r\n", "\n")
    if text is None or not text.strip():
        raise NoteRefused("Paste an operative note to check: the note is empty.")
    if len(text) > MAX_NOTE_CHARS:
        raise NoteRefused(
            f"The note is {len(text):,} characters long; the check reads at most "
            f"{MAX_NOTE_CHARS:,}. Paste the operative part of the note.",
            status=413,
        )
    if "\x00" in text or sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r") > 10:
        raise NoteRefused("This looks like a binary file, not the text of a note.")
    # A lone surrogate (half a character, from a broken copy or a JSON escape) is no text
    # at all: the tokenizer cannot encode it. Shown as the replacement character.
    return LONE_SURROGATE.sub("\ufffd", text)


def check_note(text, today=None):
    from codes.casecheck.engine import check

    return check(clean_note(text), today=today)
