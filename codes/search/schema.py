"""The full-text index, kept in sync by the database itself.

Triggers (not Django signals) keep the index right, so `bulk_create`, `update()`, raw SQL,
fixture loads and admin edits are all indexed the same way. One document per code, in
weighted parts:

- `code`, `title`: the code and our title (highest weight);
- `terms`: nerve names and aliases, and the code's own lay words ("tongue nerve");
- `tags`: specialty, modifier and section names;
- `body`: the long text fields.

SQLite: an FTS5 table (Porter stemming) whose rowid is the code's id; one FTS5 table per
part (title, terms, tags, body), holding only its index, for finding a word within one part
quickly (and the body's snippets); and
an unstemmed FTS5 table of the words a user may type, whose vocabulary feeds "Did you mean".
PostgreSQL: a table holding a weighted tsvector (GIN index), the same words under a trigram
index (pg_trgm) for suggestions, and the body text for highlighted snippets.

What each part holds is declared once, in `DOCUMENT`; the document's SQL, the tables it
reads and the triggers on each of them are derived from it, and so are the tables whose
changes move the catalogue generation (those and every table a facet reads).

The storage (tables, indexes) is created by migrations, each holding its SQL as it stood
when it was written (0003, 0009); a change to the storage is a new migration. The triggers
and the refresh function are not history but derived from the declaration: every trigger
this module owns is dropped before migrations run and installed anew after every `migrate`
that applied something, and the index is rebuilt (see `restore_triggers`). They must be
off while migrations run, because SQLite rebuilds a table to alter it, and a trigger naming
that table would break the rebuild.

The article stamps' triggers (`codes/stamps.py`, prefix `codes_stamp_`) are owned here
too: dropped and installed with these, and the shared stamp moved after each install.
"""

from dataclasses import dataclass

from django.db import connections, transaction

from codes import stamps
from codes.commit_triggers import once_per_commit_function
from codes.models import CodeProcedure, Diagnosis, EditorialState
from codes.search.facets import FACETS
from codes.search.fulltext import FIELD_GROUPS
from codes.search.links import resolve

# The document ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnText:
    """Columns of the code's own row."""

    columns: tuple


@dataclass(frozen=True)
class LinkedText:
    """Columns of the vocabulary rows a code reaches by `path` (an ORM path: `nerves`,
    `code_modifiers__modifier`, or a foreign key such as `section`)."""

    path: str
    columns: tuple


@dataclass(frozen=True)
class RowText:
    """Columns of a code's own rows in another table, reached by `path` (a reverse
    foreign key such as `examples`)."""

    path: str
    columns: tuple


@dataclass(frozen=True)
class DiagnosisText:
    """The words (title and inclusion terms, `Diagnosis.search_text`) of the ICD-10-CM
    codes linked to the code as supporting diagnoses, reached by `path` (the links), from
    every stored release. A new release's loader touches the links, so the documents
    follow it."""

    path: str


# What each column of a code's document holds (the columns of `fulltext.FIELD_GROUPS`).
# The document's SQL, the tables it reads and the triggers that keep it in step are all
# derived from this.
DOCUMENT = {
    "code": (OwnText(("code",)),),
    "title": (OwnText(("title",)),),
    # Nerve names and aliases, the code's own lay words, and the titles of the diagnoses
    # that support it (a search for "Bell's palsy" ranks the procedures it supports).
    "terms": (
        LinkedText("nerves", ("name", "aliases")),
        OwnText(("search_terms",)),
        DiagnosisText("supporting_diagnoses"),
    ),
    # Specialty, modifier and section names.
    "tags": (
        LinkedText("specialties", ("name",)),
        LinkedText("code_modifiers__modifier", ("name",)),
        LinkedText("section", ("name",)),
    ),
    # The long text fields, and the clinical examples.
    "body": (OwnText(CodeProcedure.PROSE_FIELDS), RowText("examples", ("title", "text"))),
}
DOCUMENT_COLUMNS = tuple(DOCUMENT)
CODE_TABLE = CodeProcedure._meta.db_table
DIAGNOSIS_TABLE = Diagnosis._meta.db_table


# Tables the database does not hold yet (migrating back before they were created): the
# document reads nothing from them and no trigger names them. Set by `restore_triggers`.
_absent_tables = frozenset()


def concatenated(alias, columns):
    """SQL joining the columns with spaces: `d.code || ' ' || d.title`."""
    return " || ' ' || ".join(f"{alias}.{column}" for column in columns)


def text_sql(source, vendor):
    """SQL for one source's text, for the code aliased `c` ('' when it has none)."""
    if isinstance(source, OwnText):
        return concatenated("c", source.columns)
    joined_rows = "string_agg({}, ' ')" if vendor == "postgresql" else "group_concat({}, ' ')"
    if isinstance(source, DiagnosisText):
        table, code_column = row_table(source)
        if {table, DIAGNOSIS_TABLE} & _absent_tables:
            return "''"
        # SQLite's group_concat takes no separator with DISTINCT: a comma separates words
        # as well as a space.
        distinct = (
            "string_agg(DISTINCT d.search_text, ' ')"
            if vendor == "postgresql"
            else "group_concat(DISTINCT d.search_text)"
        )
        return (
            f"COALESCE((SELECT {distinct} FROM {table} r "
            f"JOIN {DIAGNOSIS_TABLE} d ON d.code = r.diagnosis_code "
            f"WHERE r.{code_column} = c.id), '')"
        )
    if isinstance(source, RowText):
        table, code_column = row_table(source)
        text = joined_rows.format(concatenated("r", source.columns))
        return f"COALESCE((SELECT {text} FROM {table} r WHERE r.{code_column} = c.id), '')"
    link = resolve(source.path)
    text = concatenated("v", source.columns)
    if link.is_own_column:
        return (
            f"COALESCE((SELECT {text} FROM {link.vocabulary_table} v "
            f"WHERE v.id = c.{link.target_column}), '')"
        )
    joined = joined_rows.format(text)
    return (
        f"COALESCE((SELECT {joined} FROM {link.table} l "
        f"JOIN {link.vocabulary_table} v ON v.id = l.{link.target_column} "
        f"WHERE l.{link.code_column} = c.id), '')"
    )


def row_table(source):
    """(table, the column holding the code's id) of a RowText's (or DiagnosisText's)
    rows."""
    field = CodeProcedure._meta.get_field(source.path)
    return field.related_model._meta.db_table, field.field.column


def document_select_sql(vendor):
    """Return a SELECT of (id, code, title, terms, tags, body) over codes aliased `c`."""
    columns = [
        " || ' ' || ".join(text_sql(source, vendor) for source in sources)
        for sources in DOCUMENT.values()
    ]
    return f"SELECT c.id, {', '.join(columns)} FROM {CODE_TABLE} c"


@dataclass(frozen=True)
class Watched:
    """A table whose rows feed documents: the SQL that yields the ids of the codes a
    changed row affects ({row} is NEW or OLD), and the events that matter."""

    table: str
    affected_ids: str
    events: tuple


def watched_tables():
    """Every table the document reads, with how a change to it reaches the codes."""
    watched = {CODE_TABLE: Watched(CODE_TABLE, "{row}.id", ("INSERT", "UPDATE", "DELETE"))}
    for sources in DOCUMENT.values():
        for source in sources:
            if isinstance(source, OwnText):
                continue
            if isinstance(source, RowText | DiagnosisText):
                table, code_column = row_table(source)
                watched[table] = Watched(
                    table, f"{{row}}.{code_column}", ("INSERT", "UPDATE", "DELETE")
                )
                if isinstance(source, DiagnosisText):
                    # A release's rows are inserted by the loader, which then touches the
                    # links (one refresh for all); an update or a delete reaches the codes
                    # linked to that diagnosis.
                    watched[DIAGNOSIS_TABLE] = Watched(
                        DIAGNOSIS_TABLE,
                        f"SELECT {code_column} FROM {table} WHERE diagnosis_code = {{row}}.code",
                        ("UPDATE", "DELETE"),
                    )
                continue
            link = resolve(source.path)
            if link.is_own_column:
                vocabulary_change = (
                    f"SELECT id FROM {CODE_TABLE} WHERE {link.target_column} = {{row}}.id"
                )
            else:
                watched[link.table] = Watched(
                    link.table, f"{{row}}.{link.code_column}", ("INSERT", "UPDATE", "DELETE")
                )
                vocabulary_change = (
                    f"SELECT {link.code_column} FROM {link.table} "
                    f"WHERE {link.target_column} = {{row}}.id"
                )
            # A vocabulary row's insert links nothing yet, and its delete first deletes
            # its links (Django cascades, and the link's triggers run).
            watched[link.vocabulary_table] = Watched(
                link.vocabulary_table, vocabulary_change, ("UPDATE",)
            )
    return list(watched.values())


def generation_tables():
    """Every table search or its facets read: any change to one moves the catalogue
    generation (models.CatalogueGeneration), which tells the facet index to rebuild."""
    tables = {watched.table for watched in watched_tables()}
    for facet in FACETS:
        tables |= facet.source.tables()
    return sorted(tables)


SOURCE_TABLES = watched_tables()
GENERATION_TABLES = generation_tables()
GENERATION_EVENTS = ("INSERT", "UPDATE", "DELETE")
# An upsert, so the row comes back after a flush empties its table. The number moves by a
# random step, not by one: a change that is rolled back must not leave a number that the
# next committed change would reach again (an index of the rolled-back data would pass for
# current). A new row starts from a random number for the same reason.
SQLITE_BUMP_GENERATION = (
    "INSERT INTO codes_catalogueversion (id, number) "
    "VALUES (1, abs(random() % 1000000000000000)) "
    "ON CONFLICT (id) DO UPDATE SET number = number + 1 + abs(random() % 1000000)"
)
POSTGRESQL_BUMP_GENERATION = (
    "INSERT INTO codes_catalogueversion (id, number) "
    "VALUES (1, floor(random() * 1e15)::bigint) "
    "ON CONFLICT (id) DO UPDATE "
    "SET number = codes_catalogueversion.number + 1 + floor(random() * 1e6)::bigint"
)

# Every trigger and function this module installs starts with one of these; whatever a
# database holds under them is dropped before migrations and installed anew after, so a
# table the declaration no longer reads keeps no trigger.
SEARCH_TRIGGER_PREFIX = "codes_search_"
GENERATION_TRIGGER_PREFIX = "codes_generation_"
# The article stamps' triggers (codes/stamps.py) are installed and dropped with these.
OWNED_PREFIXES = (
    SEARCH_TRIGGER_PREFIX,
    GENERATION_TRIGGER_PREFIX,
    "codes_version_",
    stamps.STAMP_TRIGGER_PREFIX,
)


def generation_tables_in(tables):
    """The generation's tables that exist (all when `tables` is None): migrating back, a
    facet's table may not exist yet."""
    return [table for table in GENERATION_TABLES if tables is None or table in tables]


def generation_trigger(table):
    return f"{GENERATION_TRIGGER_PREFIX}{table}"


def postgresql_generation_triggers_immediate():
    """SET CONSTRAINTS making the generation and the article stamps move at each statement
    instead of at commit, for tests, whose transactions never commit. Each runs once per
    client statement (the setting they check holds the statement's start): a statement
    noting stamps twice (an upsert's insert and update) leaves the second set pending until
    the next write, which only a test that commits nothing can notice."""
    names = ", ".join(
        [*(generation_trigger(table) for table in GENERATION_TABLES), stamps.FLUSH_TRIGGER]
    )
    return f"SET CONSTRAINTS {names} IMMEDIATE"


def affected_ids_sql(watched, event):
    """A SELECT yielding the ids of the codes an event's row affects: the OLD row's for a
    delete, the NEW row's for an insert, both for an update (a link may move)."""

    def ids(row):
        sql = watched.affected_ids.format(row=row)
        return sql if sql.startswith("SELECT") else f"SELECT {sql}"

    if event == "DELETE":
        return ids("OLD")
    if event == "UPDATE" and watched.table != CODE_TABLE:
        return f"{ids('NEW')} UNION {ids('OLD')}"
    return ids("NEW")


# SQLite ----------------------------------------------------------------------------------


def sqlite_refresh_statements(ids_sql, with_parts=True, with_public_words=True):
    """Rebuild the documents of the codes whose ids `ids_sql` yields.

    The part tables hold no text of their own (external content), so a document leaves
    them by the 'delete' command with the very text it went in with, read from the whole
    document before that is replaced.
    """
    parts = SEARCH_PARTS if with_parts else []
    return [
        *(
            f"INSERT INTO {table} ({table}, rowid, {', '.join(columns)}) "
            f"SELECT 'delete', rowid, {', '.join(columns)} FROM codes_searchentry "
            f"WHERE rowid IN ({ids_sql})"
            for table, columns in parts
        ),
        f"DELETE FROM codes_searchentry WHERE rowid IN ({ids_sql})",
        f"DELETE FROM codes_searchwords WHERE rowid IN ({ids_sql})",
        *(
            [f"DELETE FROM {PUBLIC_WORDS_TABLE['sqlite']} WHERE rowid IN ({ids_sql})"]
            if with_public_words
            else []
        ),
        *sqlite_fill_statements(ids_sql, with_parts, with_public_words),
    ]


def sqlite_fill_statements(ids_sql=None, with_parts=True, with_public_words=True):
    """Index the documents of the codes `ids_sql` yields (all codes without it): the whole
    document, then its parts and its words, all read back from the document. The public
    words hold only published codes' words: "Did you mean" for a reader who may not see
    drafts reads them."""
    parts = SEARCH_PARTS if with_parts else []
    of_codes = f" WHERE c.id IN ({ids_sql})" if ids_sql else ""
    of_documents = f" WHERE rowid IN ({ids_sql})" if ids_sql else ""
    return [
        "INSERT INTO codes_searchentry (rowid, code, title, terms, tags, body) "
        f"{document_select_sql('sqlite')}{of_codes}",
        *(
            f"INSERT INTO {table} (rowid, {', '.join(columns)}) "
            f"SELECT rowid, {', '.join(columns)} FROM codes_searchentry{of_documents}"
            for table, columns in parts
        ),
        "INSERT INTO codes_searchwords (rowid, words) "
        f"SELECT rowid, title || ' ' || terms || ' ' || tags FROM codes_searchentry{of_documents}",
        *(
            [
                f"INSERT INTO {PUBLIC_WORDS_TABLE['sqlite']} (rowid, words) "
                "SELECT e.rowid, e.title || ' ' || e.terms || ' ' || e.tags "
                f"FROM codes_searchentry e JOIN {CODE_TABLE} c ON c.id = e.rowid "
                f"WHERE {PUBLISHED_SQL}" + (f" AND e.rowid IN ({ids_sql})" if ids_sql else "")
            ]
            if with_public_words
            else []
        ),
    ]


# One full-text table per field group (fulltext.FIELD_GROUPS): (table, columns). On SQLite
# each holds only its index: its text is read, when a snippet needs it, from the whole
# document's table (external content), whose columns have the same names.
SEARCH_PARTS = [(group.part_table, group.columns) for group in FIELD_GROUPS]

# The suggestion vocabulary of published codes only (migration 0012): what a reader who may
# not see drafts is suggested from. The whole vocabulary (codes_searchwords on SQLite,
# codes_searchvocabulary on PostgreSQL) serves editors.
PUBLIC_WORDS_TABLE = {
    "sqlite": "codes_searchwords_public",
    "postgresql": "codes_searchvocabulary_public",
}
PUBLISHED_SQL = f"c.editorial_state = '{EditorialState.PUBLISHED.value}'"


def sqlite_triggers(versioned=True, with_parts=True, with_public_words=True, tables=None):
    statements = []
    for watched in SOURCE_TABLES:
        if watched.table in _absent_tables:
            continue
        for event in watched.events:
            body = ";\n".join(
                sqlite_refresh_statements(
                    affected_ids_sql(watched, event), with_parts, with_public_words
                )
            )
            statements.append(
                f"CREATE TRIGGER {SEARCH_TRIGGER_PREFIX}{watched.table}_{event.lower()} "
                f"AFTER {event} ON {watched.table} BEGIN\n{body};\nEND"
            )
    for table in generation_tables_in(tables) if versioned else []:
        for event in GENERATION_EVENTS:
            statements.append(
                f"CREATE TRIGGER {generation_trigger(table)}_{event.lower()} "
                f"AFTER {event} ON {table} BEGIN {SQLITE_BUMP_GENERATION}; END"
            )
    return statements


def sqlite_drop_triggers(connection):
    """Drop every trigger this module owns, whatever declaration installed it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        names = [name for (name,) in cursor.fetchall() if name.startswith(OWNED_PREFIXES)]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in names]


def sqlite_rebuild(with_parts=True, with_public_words=True):
    parts = SEARCH_PARTS if with_parts else []
    words = ["codes_searchwords", *([PUBLIC_WORDS_TABLE["sqlite"]] if with_public_words else [])]
    return [
        *(f"INSERT INTO {table} ({table}) VALUES ('delete-all')" for table, _ in parts),
        "DELETE FROM codes_searchentry",
        *(f"DELETE FROM {table}" for table in words),
        *sqlite_fill_statements(with_parts=with_parts, with_public_words=with_public_words),
        # A full rebuild leaves each index in many segments; merged, queries read one.
        *(
            f"INSERT INTO {table} ({table}) VALUES ('optimize')"
            for table in ["codes_searchentry", *words, *(t for t, _ in parts)]
        ),
    ]


# PostgreSQL ------------------------------------------------------------------------------


def document_tables(with_parts=True):
    """The tables holding a row per code: the whole document and, if wanted, its parts."""
    return ["codes_searchentry", *(table for table, _ in SEARCH_PARTS if with_parts)]


def postgresql_refresh_function(with_parts, with_public_words=True):
    """codes_search_refresh(ids): bring those codes' documents (and parts, and public words)
    up to date, reading each code's text once.

    Only what changed is written: a row whose document is the same is not rewritten (the
    upsert still locks it), and a code's public words are added and removed one by one. A
    rewritten row leaves its old version behind until vacuum, and a vacuumed table keeps its
    size: rewriting every part of a code whenever one link changed left the synthetic
    catalogue's search tables four times their live size after its bulk load (192 MB for
    43 MB of bodies), and a search for a common word read every page of that.

    Refreshes of one code run one after the other. The first statement locks the codes'
    rows (in id order, so two refreshes cannot each hold what the other waits for); the
    second then reads them with a snapshot of its own, taken after any other writer of
    those codes has committed (READ COMMITTED, PostgreSQL's default and Django's). Without
    the lock a refresh reads the codes as they stood when its statement began and, having
    waited on another transaction's rows, writes that old state over the newer one: a code
    unpublished meanwhile would keep its words in the public vocabulary. A deleted code's
    row is locked by its deleter, so a refresh of it waits too, then finds it gone.
    """
    parts = SEARCH_PARTS if with_parts else []
    public_words = PUBLIC_WORDS_TABLE["postgresql"]
    # Codes no longer there (deleted) leave every table.
    gone = "".join(
        f""",
            {table}_gone AS (
                DELETE FROM {table} WHERE rowid = ANY(ids) AND rowid NOT IN (SELECT id FROM d)
            )"""
        for table in document_tables(with_parts)
    )
    part_upserts = "".join(
        f""",
            {table}_rows AS (
                INSERT INTO {table} (rowid, doc)
                SELECT d.id, to_tsvector('english', {concatenated("d", columns)})
                FROM d
                ON CONFLICT (rowid) DO UPDATE SET doc = EXCLUDED.doc
                WHERE {table}.doc IS DISTINCT FROM EXCLUDED.doc
            )"""
        for table, columns in parts
    )
    # New words join the vocabulary; words no longer used leave it at the next rebuild.
    vocabulary_insert = (
        """,
            vocabulary_rows AS (
                INSERT INTO codes_searchvocabulary (word)
                SELECT DISTINCT lower(w)
                FROM d, regexp_split_to_table(d.title || ' ' || d.terms || ' ' || d.tags,
                                              '[^[:alnum:]]+') AS w
                WHERE length(w) >= 3
                ON CONFLICT DO NOTHING
            )"""
        if with_parts
        else ""
    )
    # Published codes' words, one row per word and code, so a word leaves as soon as no
    # published code holds it.
    public_vocabulary = (
        f""",
            new_public_words AS (
                SELECT DISTINCT lower(w) AS word, d.id AS code_id
                FROM d JOIN {CODE_TABLE} c ON c.id = d.id
                CROSS JOIN LATERAL regexp_split_to_table(
                    d.title || ' ' || d.terms || ' ' || d.tags, '[^[:alnum:]]+') AS w
                WHERE length(w) >= 3 AND {PUBLISHED_SQL}
            ),
            public_words_gone AS (
                DELETE FROM {public_words} p
                WHERE p.code_id = ANY(ids) AND NOT EXISTS (
                    SELECT 1 FROM new_public_words n
                    WHERE n.code_id = p.code_id AND n.word = p.word)
            ),
            public_words_new AS (
                INSERT INTO {public_words} (word, code_id)
                SELECT word, code_id FROM new_public_words
                ON CONFLICT DO NOTHING
            )"""
        if with_public_words
        else ""
    )
    weighted_parts = f" || {PART_BREAK} || ".join(
        f"setweight(to_tsvector('english', {concatenated('d', group.columns)}), '{group.label}')"
        for group in FIELD_GROUPS
    )
    return f"""CREATE OR REPLACE FUNCTION codes_search_refresh(ids bigint[]) RETURNS void
        LANGUAGE sql AS $$
            SELECT 1 FROM {CODE_TABLE} WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
            WITH d AS MATERIALIZED (
                SELECT * FROM ({document_select_sql("postgresql")} WHERE c.id = ANY(ids))
                    AS d (id, code, title, terms, tags, body)
){gone}{part_upserts}{vocabulary_insert}{public_vocabulary}
            INSERT INTO codes_searchentry AS e (rowid, document, words, body)
            SELECT d.id,
                ts_delete(
                    {weighted_parts},
                    '{PART_BREAK_LEXEME}'
                ),
                d.title || ' ' || d.terms || ' ' || d.tags,
                d.body
            FROM d
            ON CONFLICT (rowid) DO UPDATE
                SET document = EXCLUDED.document, words = EXCLUDED.words, body = EXCLUDED.body
                WHERE (e.document, e.words, e.body)
                    IS DISTINCT FROM (EXCLUDED.document, EXCLUDED.words, EXCLUDED.body);
        $$"""


# `||` numbers the right-hand vector's words on from the left's last, so the last word of one
# part would sit next to the first of the next, and a phrase could match across the two
# (SQLite's FTS5 never matches a phrase across columns). A placeholder word between parts,
# deleted again, leaves a gap no phrase spans.
PART_BREAK_LEXEME = "codespartbreak"
PART_BREAK = f"'{PART_BREAK_LEXEME}:1'::tsvector"


def postgresql_triggers(versioned=True, with_parts=True, with_public_words=True, tables=None):
    statements = [postgresql_refresh_function(with_parts, with_public_words)]
    for watched in SOURCE_TABLES:
        if watched.table in _absent_tables:
            continue
        branches = "\n".join(
            f"""{"IF" if position == 0 else "ELSIF"} TG_OP = '{event}' THEN
                    PERFORM codes_search_refresh(ARRAY({affected_ids_sql(watched, event)}));"""
            for position, event in enumerate(watched.events)
        )
        function = f"{SEARCH_TRIGGER_PREFIX}on_{watched.table}"
        statements.append(
            f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                {branches}
                END IF;
                RETURN NULL;
            END $$"""
        )
        statements.append(
            f"CREATE TRIGGER {SEARCH_TRIGGER_PREFIX}{watched.table} "
            f"AFTER {' OR '.join(watched.events)} ON {watched.table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()"
        )
    if not versioned:
        return statements
    # The generation row is written when the transaction commits (codes.commit_triggers).
    statements.append(
        once_per_commit_function(
            f"{GENERATION_TRIGGER_PREFIX}bump",
            "codes.generation_moved_at",
            POSTGRESQL_BUMP_GENERATION,
        )
    )
    for table in generation_tables_in(tables):
        statements.append(
            f"CREATE CONSTRAINT TRIGGER {generation_trigger(table)} "
            f"AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "DEFERRABLE INITIALLY DEFERRED "
            f"FOR EACH ROW EXECUTE FUNCTION {GENERATION_TRIGGER_PREFIX}bump()"
        )
        # TRUNCATE has no row triggers and no deferred ones.
        statements.append(
            f"CREATE TRIGGER {generation_trigger(table)}_truncate AFTER TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {GENERATION_TRIGGER_PREFIX}bump()"
        )
    return statements


def postgresql_drop_triggers(connection):
    """Drop every trigger and trigger function this module owns, whatever declaration
    installed them (the refresh function too: it is installed with them)."""
    patterns = [prefix.replace("_", r"\_") + "%" for prefix in OWNED_PREFIXES]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.tgname, c.relname FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE NOT t.tgisinternal AND n.nspname = current_schema() "
            "AND t.tgname LIKE ANY(%s)",
            [patterns],
        )
        triggers = cursor.fetchall()
        cursor.execute(
            "SELECT p.proname, pg_get_function_identity_arguments(p.oid) FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema() AND p.proname LIKE ANY(%s)",
            [patterns],
        )
        functions = cursor.fetchall()
    return [
        *(f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"' for name, table in triggers),
        *(f'DROP FUNCTION IF EXISTS "{name}"({arguments})' for name, arguments in functions),
    ]


def postgresql_rebuild(with_parts=True, with_public_words=True):
    return [
        # Rows of codes no longer there: the refresh below reaches only the codes there are.
        *(
            f"DELETE FROM {table} t WHERE NOT EXISTS "
            f"(SELECT 1 FROM {CODE_TABLE} c WHERE c.id = t.rowid)"
            for table in document_tables(with_parts)
        ),
        *(["DELETE FROM codes_searchvocabulary"] if with_parts else []),
        *([f"DELETE FROM {PUBLIC_WORDS_TABLE['postgresql']}"] if with_public_words else []),
        "SELECT codes_search_refresh(ARRAY(SELECT id FROM codes_codeprocedure))",
    ]


# What the migrate signals run ---------------------------------------------------------------

TRIGGERS = {"sqlite": sqlite_triggers, "postgresql": postgresql_triggers}
DROP_TRIGGERS = {"sqlite": sqlite_drop_triggers, "postgresql": postgresql_drop_triggers}
REBUILD = {"sqlite": sqlite_rebuild, "postgresql": postgresql_rebuild}
BUMP_GENERATION = {"sqlite": SQLITE_BUMP_GENERATION, "postgresql": POSTGRESQL_BUMP_GENERATION}


def execute_all(connection, statements):
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def index_exists(connection):
    return "codes_searchentry" in connection.introspection.table_names()


def generation_exists(connection):
    return "codes_catalogueversion" in connection.introspection.table_names()


def parts_exist(connection):
    tables = set(connection.introspection.table_names())
    wanted = [table for table, _ in SEARCH_PARTS]
    if connection.vendor == "postgresql":
        wanted.append("codes_searchvocabulary")
    return all(table in tables for table in wanted)


def public_words_exist(connection):
    return PUBLIC_WORDS_TABLE[connection.vendor] in connection.introspection.table_names()


def suspend_triggers(sender, using, plan=None, **kwargs):
    """Before migrations run, drop the triggers.

    SQLite alters a table by rebuilding and renaming it, which fails (or silently loses
    the triggers) while triggers name that table.
    """
    connection = connections[using]
    if plan and connection.vendor in DROP_TRIGGERS:
        execute_all(connection, DROP_TRIGGERS[connection.vendor](connection))


def restore_triggers(sender, using, plan=None, **kwargs):
    """After migrations ran, install the triggers again and rebuild the index, so any
    row a migration changed is indexed too."""
    connection = connections[using]
    if not plan or connection.vendor not in TRIGGERS or not index_exists(connection):
        return
    vendor = connection.vendor
    # Before their migrations have run (migrating back), there is no generation to keep
    # and there are no part tables to fill.
    versioned = generation_exists(connection)
    with_parts = parts_exist(connection)
    with_public_words = public_words_exist(connection)
    global _absent_tables
    try:
        with transaction.atomic(using=using):
            execute_all(connection, DROP_TRIGGERS[vendor](connection))
            tables = set(connection.introspection.table_names())
            _absent_tables = frozenset(watched.table for watched in SOURCE_TABLES) - tables
            execute_all(
                connection,
                TRIGGERS[vendor](
                    versioned=versioned,
                    with_parts=with_parts,
                    with_public_words=with_public_words,
                    tables=tables,
                ),
            )
            execute_all(
                connection,
                REBUILD[vendor](with_parts=with_parts, with_public_words=with_public_words),
            )
            if versioned:
                # A migration may have changed rows with the triggers off.
                execute_all(connection, [BUMP_GENERATION[vendor]])
            if stamps.stamps_exist(connection):
                execute_all(connection, stamps.TRIGGERS[vendor](tables))
                # Likewise for every article.
                execute_all(connection, [stamps.bump_shared_sql(vendor)])
    finally:
        _absent_tables = frozenset()
