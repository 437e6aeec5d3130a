"""Full text, spelled for each database: the parts of a code's document and their weights
(`FIELD_GROUPS`), and `WordQuery`, the words to find, written as an FTS5 expression on
SQLite and as a tsquery on PostgreSQL.

A `WordQuery` is always built from plain word tokens (see `query.py`); each backend quotes
the tokens itself. The `matches` lookup of `SearchEntry.document` (codes/models/search.py)
compiles a WordQuery the same way, so an ORM query runs on both databases.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldGroup:
    """A part of every code's document. A code whose group alone holds the whole query
    gains the group's weight in relevance (see `codes.search`)."""

    name: str
    columns: tuple  # its FTS5 columns on SQLite
    label: str  # its setweight() label on PostgreSQL
    weight: int

    @property
    def part_table(self):
        """Each group also has a full-text table of its own (schema.py): a word is found
        there from that group's postings alone, where matching it within the group on the
        whole document reads every posting of the word (and, on PostgreSQL, every matching
        document's row, to check the weight)."""
        return f"codes_searchpart_{self.name}"

    def ids_sql(self, word_query, vendor):
        """(SQL, params) of a SELECT of the ids of the codes whose part alone holds the
        whole query, from the part's own table."""
        table = self.part_table
        if vendor == "postgresql":
            query_sql, params = word_query.postgresql()
            return f"SELECT rowid FROM {table} WHERE doc @@ {query_sql}", params
        return f"SELECT rowid FROM {table} WHERE {table} MATCH %s", [word_query.fts5()]


# Most telling first: a match in the code or title outweighs every lesser part together.
FIELD_GROUPS = (
    FieldGroup("title", ("code", "title"), "A", 8),
    FieldGroup("terms", ("terms",), "B", 4),  # nerve names and aliases, lay words
    FieldGroup("tags", ("tags",), "C", 2),  # specialty, modifier and section names
    FieldGroup("body", ("body",), "D", 1),  # the long text fields
)


@dataclass(frozen=True)
class WordQuery:
    """Words and phrases to find. `any_word` relaxes AND to OR; `prefix` completes the
    last word (for autocomplete). Matched within one FieldGroup through the group's own
    table (`FieldGroup.ids_sql`)."""

    words: tuple = ()
    phrases: tuple = ()
    any_word: bool = False
    prefix: bool = False

    def __bool__(self):
        return bool(self.words or self.phrases)

    @property
    def has_several_terms(self):
        return len(self.words) + len(self.phrases) > 1

    def fts5(self):
        """Return an FTS5 MATCH expression: every token quoted, so none is syntax."""

        def quoted(text):
            return '"' + text.replace('"', '""') + '"'

        parts = [quoted(phrase) for phrase in self.phrases]
        parts += [quoted(word) for word in self.words]
        if self.prefix and self.words:
            parts[-1] += "*"
        return (" OR " if self.any_word else " ").join(parts)

    def tsquery(self):
        """Return to_tsquery text. Tokens are \\w+ only (query.py), so quoting them
        makes each a plain lexeme."""

        def lexeme(token, completes=False):
            return f"'{token}'" + (":*" if completes else "")

        parts = [" <-> ".join(lexeme(token) for token in phrase.split()) for phrase in self.phrases]
        parts += [lexeme(word) for word in self.words]
        if self.prefix and self.words:
            parts[-1] = lexeme(self.words[-1], completes=True)
        return (" | " if self.any_word else " & ").join(f"({part})" for part in parts)

    def postgresql(self):
        """Return (SQL, params) of this query as a PostgreSQL tsquery."""
        return "to_tsquery('english', %s)", [self.tsquery()]
