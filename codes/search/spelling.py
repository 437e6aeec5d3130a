"""'Did you mean': a corrected spelling from the words the index holds."""

import difflib

from django.db import connection

from codes.search.query import QueryKind

# Spelling suggestions --------------------------------------------------------------------


def indexed_words_like(word):
    """Return indexed words that might be what the user meant by `word`."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The vocabulary's trigram index finds the similar words.
            cursor.execute(
                "SELECT word FROM codes_searchvocabulary WHERE word %% %s "
                "ORDER BY similarity(word, %s) DESC LIMIT 20",
                [word, word],
            )
            return {found for (found,) in cursor.fetchall()}
        # The vocabulary of the unstemmed index: one row per distinct word.
        cursor.execute(
            "SELECT term FROM codes_searchwords_vocab WHERE term >= %s AND term < %s",
            [word[0], chr(ord(word[0]) + 1)],
        )
        return {term for (term,) in cursor.fetchall()}


def suggest_spelling(parsed):
    """Return a corrected query text, or "" when no word looks misspelt."""
    if parsed.kind != QueryKind.WORDS or not parsed.words:
        return ""
    corrected, changed = [], False
    for word in parsed.words:
        if len(word) < 3 or word.isdigit():
            corrected.append(word)
            continue
        candidates = indexed_words_like(word)
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
