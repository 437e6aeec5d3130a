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

The storage is created by a migration. The triggers are installed after every `migrate`
that applied something (see `restore_triggers`), because SQLite rebuilds a table to alter
it, and a trigger naming that table would break the rebuild.
"""

from django.db import connections, transaction

from codes.search.fulltext import FIELD_GROUPS

# Each table whose rows feed a code's document, with the SQL that yields the ids of the
# codes a changed row affects ({row} is NEW or OLD), and the events that matter.
SOURCE_TABLES = [
    ("codes_codeprocedure", "{row}.id", ("INSERT", "UPDATE", "DELETE")),
    ("codes_codeprocedure_nerves", "{row}.codeprocedure_id", ("INSERT", "DELETE")),
    ("codes_codeprocedure_specialties", "{row}.codeprocedure_id", ("INSERT", "DELETE")),
    ("codes_codemodifier", "{row}.code_id", ("INSERT", "UPDATE", "DELETE")),
    (
        "codes_nerve",
        "SELECT codeprocedure_id FROM codes_codeprocedure_nerves WHERE nerve_id = {row}.id",
        ("UPDATE",),
    ),
    (
        "codes_specialty",
        "SELECT codeprocedure_id FROM codes_codeprocedure_specialties "
        "WHERE specialty_id = {row}.id",
        ("UPDATE",),
    ),
    (
        "codes_modifier",
        "SELECT code_id FROM codes_codemodifier WHERE modifier_id = {row}.id",
        ("UPDATE",),
    ),
    (
        "codes_section",
        "SELECT id FROM codes_codeprocedure WHERE section_id = {row}.id",
        ("UPDATE",),
    ),
]


# Every table whose rows search or its facets read. Any change to one moves the catalogue
# version (models.CatalogueVersion), which tells the in-memory facet index to rebuild.
VERSIONED_TABLES = [
    "codes_codeprocedure",
    "codes_codeprocedure_nerves",
    "codes_codeprocedure_specialties",
    "codes_codeprocedure_places_of_service",
    "codes_codemodifier",
    "codes_nerve",
    "codes_specialty",
    "codes_modifier",
    "codes_placeofservice",
    "codes_section",
]
VERSION_EVENTS = ("INSERT", "UPDATE", "DELETE")
# An upsert, so the row comes back after a flush empties its table. The number moves by a
# random step, not by one: a change that is rolled back must not leave a number that the
# next committed change would reach again (an index of the rolled-back data would pass for
# current). A new row starts from a random number for the same reason.
SQLITE_BUMP_VERSION = (
    "INSERT INTO codes_catalogueversion (id, number) "
    "VALUES (1, abs(random() % 1000000000000000)) "
    "ON CONFLICT (id) DO UPDATE SET number = number + 1 + abs(random() % 1000000)"
)
POSTGRESQL_BUMP_VERSION = (
    "INSERT INTO codes_catalogueversion (id, number) "
    "VALUES (1, floor(random() * 1e15)::bigint) "
    "ON CONFLICT (id) DO UPDATE "
    "SET number = codes_catalogueversion.number + 1 + floor(random() * 1e6)::bigint"
)


def version_trigger(table):
    return f"codes_version_{table}"


def postgresql_version_triggers_immediate():
    """SET CONSTRAINTS making the version move at each statement instead of at commit, for
    tests, whose transactions never commit."""
    names = ", ".join(version_trigger(table) for table in VERSIONED_TABLES)
    return f"SET CONSTRAINTS {names} IMMEDIATE"


def ids_subquery(template, row):
    """Return a SELECT yielding the affected code ids for a trigger's NEW or OLD row."""
    sql = template.format(row=row)
    return sql if sql.startswith("SELECT") else f"SELECT {sql}"


def document_select_sql(vendor):
    """Return a SELECT of (id, code, title, terms, tags, body) over codes aliased `c`."""

    def joined(expression):
        if vendor == "postgresql":
            return f"string_agg({expression}, ' ')"
        return f"group_concat({expression}, ' ')"

    return f"""
        SELECT
            c.id,
            c.code,
            c.title,
            COALESCE((SELECT {joined("n.name || ' ' || n.aliases")}
                      FROM codes_codeprocedure_nerves cn
                      JOIN codes_nerve n ON n.id = cn.nerve_id
                      WHERE cn.codeprocedure_id = c.id), '')
                || ' ' || c.search_terms,
            COALESCE((SELECT {joined("s.name")} FROM codes_codeprocedure_specialties cs
                      JOIN codes_specialty s ON s.id = cs.specialty_id
                      WHERE cs.codeprocedure_id = c.id), '')
                || ' ' || COALESCE((SELECT {joined("m.name")} FROM codes_codemodifier cm
                      JOIN codes_modifier m ON m.id = cm.modifier_id
                      WHERE cm.code_id = c.id), '')
                || ' ' || COALESCE((SELECT sec.name FROM codes_section sec
                      WHERE sec.id = c.section_id), ''),
            c.summary || ' ' || c.plain_language || ' ' || c.procedure_description
                || ' ' || c.medical_necessity || ' ' || c.documentation
                || ' ' || c.coding_notes
        FROM codes_codeprocedure c
    """


# SQLite ----------------------------------------------------------------------------------


def sqlite_refresh_statements(ids_sql, with_parts=True):
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
        *sqlite_fill_statements(ids_sql, with_parts),
    ]


def sqlite_fill_statements(ids_sql=None, with_parts=True):
    """Index the documents of the codes `ids_sql` yields (all codes without it): the whole
    document, then its parts and its words, both read back from the document."""
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
    ]


# One FTS5 table per field group (fulltext.FIELD_GROUPS): (table, columns). Each holds only
# its index: its text is read, when a snippet needs it, from the whole document's table
# (external content), whose columns have the same names.
SEARCH_PARTS = [(group.part_table, group.columns) for group in FIELD_GROUPS]

SQLITE_PART_STORAGE = [
    f"CREATE VIRTUAL TABLE {table} USING fts5({', '.join(columns)}, "
    "content='codes_searchentry', content_rowid='rowid', "
    "tokenize = 'porter unicode61 remove_diacritics 2')"
    for table, columns in SEARCH_PARTS
]
SQLITE_DROP_PART_STORAGE = [f"DROP TABLE IF EXISTS {table}" for table, _ in SEARCH_PARTS]


SQLITE_STORAGE = [
    # Porter stemming so "sutures" finds "suture"; diacritics folded.
    "CREATE VIRTUAL TABLE codes_searchentry USING fts5("
    "code, title, terms, tags, body, "
    "tokenize = 'porter unicode61 remove_diacritics 2')",
    # The words a user may type, unstemmed, for spelling suggestions.
    "CREATE VIRTUAL TABLE codes_searchwords USING fts5("
    "words, tokenize = 'unicode61 remove_diacritics 2')",
    "CREATE VIRTUAL TABLE codes_searchwords_vocab USING fts5vocab(codes_searchwords, row)",
]

SQLITE_DROP_STORAGE = [
    "DROP TABLE IF EXISTS codes_searchwords_vocab",
    "DROP TABLE IF EXISTS codes_searchwords",
    "DROP TABLE IF EXISTS codes_searchentry",
]


def sqlite_triggers(versioned=True, with_parts=True):
    statements = []
    for table, ids_template, events in SOURCE_TABLES:
        for event in events:
            ids_sql = ids_subquery(ids_template, "OLD" if event == "DELETE" else "NEW")
            body = ";\n".join(sqlite_refresh_statements(ids_sql, with_parts))
            statements.append(
                f"CREATE TRIGGER codes_search_{table}_{event.lower()} "
                f"AFTER {event} ON {table} BEGIN\n{body};\nEND"
            )
    for table in VERSIONED_TABLES if versioned else []:
        for event in VERSION_EVENTS:
            statements.append(
                f"CREATE TRIGGER codes_version_{table}_{event.lower()} "
                f"AFTER {event} ON {table} BEGIN {SQLITE_BUMP_VERSION}; END"
            )
    return statements


def sqlite_drop_triggers():
    return [
        *(
            f"DROP TRIGGER IF EXISTS codes_search_{table}_{event.lower()}"
            for table, _, events in SOURCE_TABLES
            for event in events
        ),
        *(
            f"DROP TRIGGER IF EXISTS codes_version_{table}_{event.lower()}"
            for table in VERSIONED_TABLES
            for event in VERSION_EVENTS
        ),
    ]


def sqlite_rebuild(with_parts=True):
    parts = SEARCH_PARTS if with_parts else []
    return [
        *(f"INSERT INTO {table} ({table}) VALUES ('delete-all')" for table, _ in parts),
        "DELETE FROM codes_searchentry",
        "DELETE FROM codes_searchwords",
        *sqlite_fill_statements(with_parts=with_parts),
        # A full rebuild leaves each index in many segments; merged, queries read one.
        *(
            f"INSERT INTO {table} ({table}) VALUES ('optimize')"
            for table in ["codes_searchentry", "codes_searchwords", *(t for t, _ in parts)]
        ),
    ]


# PostgreSQL ------------------------------------------------------------------------------

POSTGRESQL_STORAGE = [
    """CREATE TABLE codes_searchentry (
        -- No foreign key: the triggers delete a code's entry with the code, and a key
        -- would stop Django's flush (TRUNCATE) of codes_codeprocedure in tests.
        rowid bigint PRIMARY KEY,
        document tsvector NOT NULL,
        words text NOT NULL,
        body text NOT NULL
    )""",
    # Serves `document @@ to_tsquery(...)`, the word search (weight labels included).
    "CREATE INDEX codes_searchentry_document ON codes_searchentry USING gin (document)",
    # Serves `words %> 'hypoglosal'`, the spelling suggestions.
    "CREATE INDEX codes_searchentry_words_trgm ON codes_searchentry USING gin (words gin_trgm_ops)",
]

POSTGRESQL_DROP_STORAGE = ["DROP TABLE IF EXISTS codes_searchentry"]

# One narrow table per part: the rows a match must visit (GIN cannot return the ids by
# itself) are small, and no weight needs checking.
POSTGRESQL_PART_STORAGE = [
    statement
    for table, _ in SEARCH_PARTS
    for statement in (
        f"CREATE TABLE {table} (rowid bigint PRIMARY KEY, doc tsvector NOT NULL)",
        f"CREATE INDEX {table}_doc ON {table} USING gin (doc)",
    )
]
POSTGRESQL_PART_STORAGE += [
    # Every word a user may type (title, terms, tags), once, under a trigram index: "Did
    # you mean" compares a word with a few thousand words, not with 100,000 documents.
    "CREATE TABLE codes_searchvocabulary (word text PRIMARY KEY)",
    "CREATE INDEX codes_searchvocabulary_trgm ON codes_searchvocabulary "
    "USING gin (word gin_trgm_ops)",
]
POSTGRESQL_DROP_PART_STORAGE = [
    *(f"DROP TABLE IF EXISTS {table}" for table, _ in SEARCH_PARTS),
    "DROP TABLE IF EXISTS codes_searchvocabulary",
]


def postgresql_refresh_function(with_parts):
    """codes_search_refresh(ids): rebuild those codes' documents (and parts), reading each
    code's text once."""
    parts = SEARCH_PARTS if with_parts else []
    deletes = "\n".join(
        f"DELETE FROM {table} WHERE rowid = ANY(ids);"
        for table in ["codes_searchentry", *(table for table, _ in parts)]
    )
    part_inserts = "".join(
        f""",
            {table}_rows AS (
                INSERT INTO {table} (rowid, doc)
                SELECT d.id, to_tsvector('english', {" || ' ' || ".join(f"d.{c}" for c in columns)})
                FROM d
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
    return f"""CREATE OR REPLACE FUNCTION codes_search_refresh(ids bigint[]) RETURNS void
        LANGUAGE sql AS $$
            {deletes}
            WITH d AS MATERIALIZED (
                SELECT * FROM ({document_select_sql("postgresql")} WHERE c.id = ANY(ids))
                    AS d (id, code, title, terms, tags, body)
){part_inserts}{vocabulary_insert}
            INSERT INTO codes_searchentry (rowid, document, words, body)
            SELECT d.id,
                ts_delete(
                    setweight(to_tsvector('english', d.code || ' ' || d.title), 'A')
                    || {PART_BREAK} || setweight(to_tsvector('english', d.terms), 'B')
                    || {PART_BREAK} || setweight(to_tsvector('english', d.tags), 'C')
                    || {PART_BREAK} || setweight(to_tsvector('english', d.body), 'D'),
                    '{PART_BREAK_LEXEME}'
                ),
                d.title || ' ' || d.terms || ' ' || d.tags,
                d.body
            FROM d;
        $$"""


# `||` numbers the right-hand vector's words on from the left's last, so the last word of one
# part would sit next to the first of the next, and a phrase could match across the two
# (SQLite's FTS5 never matches a phrase across columns). A placeholder word between parts,
# deleted again, leaves a gap no phrase spans.
PART_BREAK_LEXEME = "codespartbreak"
PART_BREAK = f"'{PART_BREAK_LEXEME}:1'::tsvector"


def postgresql_triggers(versioned=True, with_parts=True):
    statements = [postgresql_refresh_function(with_parts)]
    for table, ids_template, events in SOURCE_TABLES:
        new_ids = ids_subquery(ids_template, "NEW")
        old_ids = ids_subquery(ids_template, "OLD")
        statements.append(
            f"""CREATE OR REPLACE FUNCTION codes_search_on_{table}() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    PERFORM codes_search_refresh(ARRAY({old_ids}));
                ELSE
                    PERFORM codes_search_refresh(ARRAY({new_ids}));
                END IF;
                RETURN NULL;
            END $$"""
        )
        statements.append(
            f"CREATE TRIGGER codes_search_{table} AFTER {' OR '.join(events)} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION codes_search_on_{table}()"
        )
    if not versioned:
        return statements
    # The version row is written when the transaction commits, not at its first change:
    # written at once, its lock would be held to the end of every writing transaction, so
    # writers would queue behind each other (and deadlock, each holding a row the other
    # wants). Deferred triggers run per row at commit; the setting lets only the first run
    # of a statement (COMMIT, or a statement outside a transaction) write.
    statements.append(
        f"""CREATE OR REPLACE FUNCTION codes_version_bump() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF current_setting('codes.version_bumped_at', true)
                    IS DISTINCT FROM statement_timestamp()::text THEN
                PERFORM set_config(
                    'codes.version_bumped_at', statement_timestamp()::text, true);
                {POSTGRESQL_BUMP_VERSION};
            END IF;
            RETURN NULL;
        END $$"""
    )
    for table in VERSIONED_TABLES:
        statements.append(
            f"CREATE CONSTRAINT TRIGGER {version_trigger(table)} "
            f"AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "DEFERRABLE INITIALLY DEFERRED "
            "FOR EACH ROW EXECUTE FUNCTION codes_version_bump()"
        )
        # TRUNCATE has no row triggers and no deferred ones.
        statements.append(
            f"CREATE TRIGGER {version_trigger(table)}_truncate AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION codes_version_bump()"
        )
    return statements


def postgresql_drop_triggers():
    statements = []
    for table, _, _ in SOURCE_TABLES:
        statements.append(f"DROP TRIGGER IF EXISTS codes_search_{table} ON {table}")
        statements.append(f"DROP FUNCTION IF EXISTS codes_search_on_{table}()")
    for table in VERSIONED_TABLES:
        statements.append(f"DROP TRIGGER IF EXISTS {version_trigger(table)} ON {table}")
        statements.append(f"DROP TRIGGER IF EXISTS {version_trigger(table)}_truncate ON {table}")
    return [
        *statements,
        "DROP FUNCTION IF EXISTS codes_version_bump()",
        "DROP FUNCTION IF EXISTS codes_search_refresh(bigint[])",
    ]


def postgresql_rebuild(with_parts=True):
    return [
        *(["DELETE FROM codes_searchvocabulary"] if with_parts else []),
        "SELECT codes_search_refresh(ARRAY(SELECT id FROM codes_codeprocedure))",
    ]


# What the migration and the migrate signals run ------------------------------------------

STORAGE = {"sqlite": SQLITE_STORAGE, "postgresql": POSTGRESQL_STORAGE}
DROP_STORAGE = {"sqlite": SQLITE_DROP_STORAGE, "postgresql": POSTGRESQL_DROP_STORAGE}
TRIGGERS = {"sqlite": sqlite_triggers, "postgresql": postgresql_triggers}
DROP_TRIGGERS = {"sqlite": sqlite_drop_triggers, "postgresql": postgresql_drop_triggers}
REBUILD = {"sqlite": sqlite_rebuild, "postgresql": postgresql_rebuild}
BUMP_VERSION = {"sqlite": SQLITE_BUMP_VERSION, "postgresql": POSTGRESQL_BUMP_VERSION}
PART_STORAGE = {"sqlite": SQLITE_PART_STORAGE, "postgresql": POSTGRESQL_PART_STORAGE}
DROP_PART_STORAGE = {"sqlite": SQLITE_DROP_PART_STORAGE, "postgresql": POSTGRESQL_DROP_PART_STORAGE}


def execute_all(connection, statements):
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def index_exists(connection):
    return "codes_searchentry" in connection.introspection.table_names()


def version_exists(connection):
    return "codes_catalogueversion" in connection.introspection.table_names()


def parts_exist(connection):
    tables = set(connection.introspection.table_names())
    wanted = [table for table, _ in SEARCH_PARTS]
    if connection.vendor == "postgresql":
        wanted.append("codes_searchvocabulary")
    return all(table in tables for table in wanted)


def suspend_triggers(sender, using, plan=None, **kwargs):
    """Before migrations run, drop the triggers.

    SQLite alters a table by rebuilding and renaming it, which fails (or silently loses
    the triggers) while triggers name that table.
    """
    connection = connections[using]
    if plan and connection.vendor in DROP_TRIGGERS:
        execute_all(connection, DROP_TRIGGERS[connection.vendor]())


def restore_triggers(sender, using, plan=None, **kwargs):
    """After migrations ran, install the triggers again and rebuild the index, so any
    row a migration changed is indexed too."""
    connection = connections[using]
    if not plan or connection.vendor not in TRIGGERS or not index_exists(connection):
        return
    vendor = connection.vendor
    # Before their migrations have run (migrating back), there is no version to keep and
    # there are no part tables to fill.
    versioned = version_exists(connection)
    with_parts = parts_exist(connection)
    with transaction.atomic(using=using):
        execute_all(connection, DROP_TRIGGERS[vendor]())
        execute_all(connection, TRIGGERS[vendor](versioned=versioned, with_parts=with_parts))
        execute_all(connection, REBUILD[vendor](with_parts=with_parts))
        if versioned:
            # A migration may have changed rows with the triggers off.
            execute_all(connection, [BUMP_VERSION[vendor]])
