"""Full-text matching and ranking, spelled for each database.

`SearchDocumentField` stands for a code's indexed document (`SearchEntry.document`). Its
`matches` lookup and the `Relevance` expression compile to FTS5 on SQLite and to tsvector
queries on PostgreSQL, so the ORM builds one join and one ordering on both.

The right-hand side of a match is always a `WordQuery` built from plain word tokens
(see `query.py`); each backend quotes the tokens itself.
"""

from dataclasses import dataclass

from django.db import models
from django.db.models import FloatField, Lookup

# Column weights, highest first. SQLite's bm25() takes one per FTS5 column (code, title,
# terms, tags, body); PostgreSQL's setweight() labels A-D in the same order.
BM25_WEIGHTS = (10.0, 10.0, 5.0, 2.0, 1.0)


@dataclass(frozen=True)
class WordQuery:
    """Words and phrases to find. `any_word` relaxes AND to OR; `prefix` completes the
    last word (for autocomplete)."""

    words: tuple = ()
    phrases: tuple = ()
    any_word: bool = False
    prefix: bool = False

    def __bool__(self):
        return bool(self.words or self.phrases)

    def fts5(self):
        """Return an FTS5 MATCH expression: every token quoted, so none is syntax."""

        def quoted(text):
            return '"' + text.replace('"', '""') + '"'

        parts = [quoted(phrase) for phrase in self.phrases]
        parts += [quoted(word) for word in self.words]
        if self.prefix and self.words:
            parts[-1] += "*"
        return (" OR " if self.any_word else " ").join(parts)

    def websearch(self):
        """Return text for PostgreSQL's websearch_to_tsquery (never a syntax error)."""
        parts = [f'"{phrase}"' for phrase in self.phrases] + list(self.words)
        return (" or " if self.any_word else " ").join(parts)

    def tsquery(self):
        """Return to_tsquery text completing the last word; tokens are \\w+ only."""
        parts = [" <-> ".join(phrase.split()) for phrase in self.phrases]
        parts += list(self.words)
        if self.words:
            parts[-1] += ":*"
        return (" | " if self.any_word else " & ").join(f"({part})" for part in parts)


def postgres_tsquery_sql(word_query):
    if word_query.prefix:
        return "to_tsquery('english', %s)", [word_query.tsquery()]
    return "websearch_to_tsquery('english', %s)", [word_query.websearch()]


class SearchDocumentField(models.Field):
    """The indexed document: an FTS5 table on SQLite, a tsvector column on PostgreSQL.

    Never selected; it exists to be matched and ranked.
    """

    def db_type(self, connection):
        return "tsvector" if connection.vendor == "postgresql" else None


@SearchDocumentField.register_lookup
class Matches(Lookup):
    lookup_name = "matches"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [value]

    def as_sqlite(self, compiler, connection):
        # FTS5 matches against a hidden column named after the table itself, reached
        # through whatever alias the query gave the table.
        quote = connection.ops.quote_name
        hidden_column = f"{quote(self.lhs.alias)}.{quote(self.lhs.target.model._meta.db_table)}"
        return f"{hidden_column} MATCH %s", [self.rhs.fts5()]

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = compiler.compile(self.lhs)
        query_sql, query_params = postgres_tsquery_sql(self.rhs)
        return f"{lhs} @@ {query_sql}", [*lhs_params, *query_params]

    def as_sql(self, compiler, connection):
        raise NotImplementedError(f"Full-text search is not set up for {connection.vendor}.")


class Relevance(models.Expression):
    """How well a code's document matches; higher is better."""

    output_field = FloatField()

    def __init__(self, document, word_query):
        super().__init__()
        self.document = document
        self.word_query = word_query

    def get_source_expressions(self):
        return [self.document]

    def set_source_expressions(self, expressions):
        (self.document,) = expressions

    def resolve_expression(self, *args, **kwargs):
        clone = super().resolve_expression(*args, **kwargs)
        clone.document = clone.document.resolve_expression(*args, **kwargs)
        return clone

    def as_sqlite(self, compiler, connection):
        table = connection.ops.quote_name(self.document.alias)
        weights = ", ".join(str(weight) for weight in BM25_WEIGHTS)
        # bm25() is lower for better matches.
        return f"(-bm25({table}, {weights}))", []

    def as_postgresql(self, compiler, connection):
        document, params = compiler.compile(self.document)
        query_sql, query_params = postgres_tsquery_sql(self.word_query)
        return f"ts_rank({document}, {query_sql})", [*params, *query_params]

    def as_sql(self, compiler, connection):
        raise NotImplementedError(f"Full-text search is not set up for {connection.vendor}.")
