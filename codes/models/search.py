"""Search bookkeeping: the full-text document table and the catalogue generation.

Neither is written by Django: the database's triggers (`codes/search/schema.py`) keep both.
"""

from django.db import models
from django.db.models import Lookup

from codes.models.catalogue import CodeProcedure


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
        query_sql, query_params = self.rhs.postgresql()
        return f"{lhs} @@ {query_sql}", [*lhs_params, *query_params]

    def as_sql(self, compiler, connection):
        raise NotImplementedError(f"Full-text search is not set up for {connection.vendor}.")


class SearchEntry(models.Model):
    """A code's full-text document, read by search and never written by Django.

    The table and the triggers that keep it in sync are created by a migration from
    `codes/search/schema.py`: an FTS5 table on SQLite, a tsvector table on PostgreSQL.
    Its key column is named rowid because FTS5 keys its rows by rowid.
    """

    code = models.OneToOneField(
        CodeProcedure,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_column="rowid",
        related_name="search_entry",
    )
    document = SearchDocumentField()

    class Meta:
        managed = False
        db_table = "codes_searchentry"

    def __str__(self):
        return f"Search document for {self.code_id}"


class CatalogueGeneration(models.Model):
    """The catalogue generation: a number the database itself moves whenever anything
    search reads changes.

    Triggers (`codes/search/schema.py`) move it on every insert, update or delete of codes,
    their links and their vocabularies, however the change is made: the admin, an import,
    `update()`, `bulk_create()` or raw SQL. The in-memory facet index
    (`codes/search/facet_index.py`) rebuilds itself when the number has moved. A fresh row
    starts from a random number, so an index of an earlier database is never taken for
    the current one. (The table keeps its first name, codes_catalogueversion.)
    """

    number = models.BigIntegerField()

    class Meta:
        db_table = "codes_catalogueversion"

    def __str__(self):
        return f"Catalogue generation {self.number}"


class ArticleStamp(models.Model):
    """A code's article stamp: a number the database moves whenever anything a code page's
    article shows may have changed, so a kept article stays valid until then.

    One row per code, keyed by the code itself (the page's URL holds it: reading the
    stamp is one look-up by primary key), and one row, `SHARED`, for what every article
    shows (vocabularies, releases); a reviewer's new name moves the stamps of the codes
    they reviewed. Triggers (`codes/stamps.py`) move
    them however a change is made. A row is never deleted: a code deleted and created
    again must not find its old number. Numbers move by random steps, as the catalogue
    generation's do.
    """

    SHARED = "*"

    code = models.CharField(max_length=5, primary_key=True)
    number = models.BigIntegerField()

    class Meta:
        db_table = "codes_articlestamp"

    def __str__(self):
        return f"Article stamp {self.code}: {self.number}"
