"""'Did you mean': a corrected spelling from the words the index holds.

A reader who may not see drafts is suggested only words of published codes (the public
vocabulary, codes/search/schema.py), so a draft's words never reach the public this way;
editors are suggested from every code's words.
"""

import difflib

from django.db import connection

from codes.search.query import QueryKind
from codes.search.schema import PUBLIC_WORDS_TABLE

# Spelling suggestions --------------------------------------------------------------------


def indexed_words_like(word, sees_drafts=False):
    """Return indexed words that might be what the user meant by `word`: only published
    codes' words unless the user `sees_drafts`."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The vocabulary's trigram index finds the similar words.
            if sees_drafts:
                cursor.execute(
                    "SELECT word FROM codes_searchvocabulary WHERE word %% %s "
                    "ORDER BY similarity(word, %s) DESC LIMIT 20",
                    [word, word],
                )
            else:
                # Similar words from the distinct vocabulary, kept when a published code
                # holds them: the public table has a row per word and code, and a trigram
                # scan of it reads every code of a common word (migration 0023).
                cursor.execute(
                    "SELECT v.word FROM codes_searchvocabulary v WHERE v.word %% %s "
                    f"AND EXISTS (SELECT 1 FROM {PUBLIC_WORDS_TABLE['postgresql']} p "
                    "WHERE p.word = v.word) "
                    "ORDER BY similarity(v.word, %s) DESC LIMIT 20",
                    [word, word],
                )
            return {found for (found,) in cursor.fetchall()}
        # The vocabulary of the unstemmed index: one row per distinct word.
        vocabulary = "codes_searchwords" if sees_drafts else PUBLIC_WORDS_TABLE["sqlite"]
        cursor.execute(
            f"SELECT term FROM {vocabulary}_vocab WHERE term >= %s AND term < %s",
            [word[0], chr(ord(word[0]) + 1)],
        )
        return {term for (term,) in cursor.fetchall()}


def suggest_spelling(parsed, sees_drafts=False):
    """Return a corrected query text, or "" when no word looks misspelt (from published
    codes' words unless the reader `sees_drafts`)."""
    if parsed.kind != QueryKind.WORDS or not parsed.words:
        return ""
    corrected, changed = [], False
    for word in parsed.words:
        if len(word) < 3 or word.isdigit():
            corrected.append(word)
            continue
        candidates = indexed_words_like(word, sees_drafts)
        if word in candidates:
            corrected.append(word)
            continue
        close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.75)
        if close:
            corrected.append(close[0])
            changed = True
        else:
            corrected.append(word)
    return " ".join(corrected) if changed else ""
