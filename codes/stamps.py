"""Article stamps: which changes move a code page's kept article, declared once.

A code page's article (`codes.views.browse.code_document`) is kept under its code's stamp
and the shared stamp (`models.ArticleStamp`), so an edit re-renders only the articles it
may change. The database moves the stamps, by triggers derived from the declarations
below, so `update()`, `bulk_create()`, raw SQL and fixture loads move them as the admin
does. What moves the stamp of code X:

- X's own row, and its own rows in other tables (`OWN_ROWS`: examples, modifier notes,
  specialties, places of service, nerves, sources, relations either way, supporting
  diagnoses);
- a change of what other articles show of a published code (`SHOWN_COLUMNS`: its code,
  title and whether it is published; an insert or delete of a published code too) moves
  the stamps of the codes whose articles show it (`SHOWN_ON`): the nearest published
  codes below and above it (their next and previous links), the codes related to it
  either way, the codes it replaces, and the codes CMS's edit tables pair it with (their
  billing edits name it with its title);
- a change of a reviewer's name moves the stamps of the codes they reviewed.

What every article shows moves the shared stamp: vocabulary rows (`SHARED_VOCABULARIES`)
and releases with their rows (`release_tables`; only rows of complete releases: pages
never read a release still loading). Deploys and the date are in the article's key beside
the stamps (`codes.cache.article_generation`).

SQLite's triggers write the stamps at once (row triggers; it has one writer). PostgreSQL's
are statement triggers (one set-based statement however many rows an import writes) that
note the codes in `codes_articlestamp_pending`; one deferred trigger writes their stamps
when the transaction commits, in code order, so writers never hold a stamp to the end of a
transaction nor wait on each other in a cycle (as the catalogue generation, for the same
reason). Numbers move by random steps, as the catalogue generation's.

Known gap on PostgreSQL: the codes a change reaches (neighbours, related codes, CMS
partners) are worked out when its statement runs, from what that statement sees; only the
stamps are written at commit. If one transaction retitles a published code while another
commits a new published neighbour of it, the new neighbour's article can keep the old title
until its own stamp next moves (or midnight). Working the codes out at commit, under one
lock, would close it; not built. SQLite has one writer at a time and no such gap.

Release rows are replaced by importing a release again, never edited in place: the rows'
triggers move the shared stamp, but the PTP rows and the localities are also kept by
release and import time (`codes.cms`), so a row changed in place by hand would show only
after those are dropped.

The triggers are installed and dropped with the search triggers (`codes.search.schema`:
the `codes_stamp_` prefix is owned there).
"""

from dataclasses import dataclass

from django.db.models import ManyToManyField

from codes.commit_triggers import once_per_commit_function
from codes.models import (
    AddOnEdit,
    ArticleStamp,
    CodeProcedure,
    EditorialState,
    PtpEdit,
    Release,
    ReleaseKind,
)

CODE_TABLE = CodeProcedure._meta.db_table
RELEASE_TABLE = Release._meta.db_table
STAMP_TABLE = ArticleStamp._meta.db_table
PENDING_TABLE = "codes_articlestamp_pending"
SHARED = ArticleStamp.SHARED
STAMP_TRIGGER_PREFIX = "codes_stamp_"
FLUSH_TRIGGER = f"{STAMP_TRIGGER_PREFIX}flush"
PUBLISHED = EditorialState.PUBLISHED.value

# The code's own rows in other tables, by their path from the code: every list
# `CodeProcedure.objects.for_detail_page()` prefetches, and the supporting diagnoses,
# which the page reads apart (tests/test_stamps.py checks the prefetches are all here).
OWN_ROWS = (
    "examples",
    "code_modifiers",
    "specialties",
    "places_of_service",
    "nerves",
    "sources",
    "relations",
    "incoming_relations",
    "supporting_diagnoses",
)

# What other codes' articles show of a code: its code (links), its title, and its state
# (they show published codes only).
SHOWN_COLUMNS = ("code", "title", "editorial_state")


@dataclass(frozen=True)
class Neighbours:
    """The nearest published codes below and above: their next and previous links."""


@dataclass(frozen=True)
class Linked:
    """Codes reaching the code by a reverse relation of ours (`relations`: the codes it
    relates to show it among their add-ons; `replaces`: a deleted code names its
    replacement)."""

    path: str


@dataclass(frozen=True)
class Partners:
    """Codes paired with it in a CMS edit table, by code, in releases of a kind."""

    model: type
    one: str
    other: str
    kind: str


SHOWN_ON = (
    Neighbours(),
    Linked("relations"),
    Linked("incoming_relations"),
    Linked("replaces"),
    Partners(PtpEdit, "column_1", "column_2", ReleaseKind.NCCI_PTP),
    Partners(AddOnEdit, "add_on", "primary", ReleaseKind.ADD_ON),
)

# The vocabularies an article shows, by their path from the code.
SHARED_VOCABULARIES = (
    "section",
    "code_modifiers__modifier",
    "specialties",
    "places_of_service",
    "nerves",
    "sources",
    "inpatient_only_source",
    "work_rvu_source",
)

# The reviewer's shown name (`browse.reviewer_credit`): by the user's name columns only, as
# a sign-in writes the user's row too.
REVIEWER = ("reviewed_by", ("first_name", "last_name"))


# Derived tables ---------------------------------------------------------------------------


def own_row_tables():
    """{table: [columns holding a code's id]} of `OWN_ROWS`."""
    tables = {}
    for path in OWN_ROWS:
        field = CodeProcedure._meta.get_field(path)
        if isinstance(field, ManyToManyField):
            table, column = field.remote_field.through._meta.db_table, field.m2m_column_name()
        else:
            table, column = field.related_model._meta.db_table, field.field.column
        tables.setdefault(table, []).append(column)
    return tables


def vocabulary_tables():
    tables = set()
    for path in SHARED_VOCABULARIES:
        model = CodeProcedure
        for name in path.split("__"):
            model = model._meta.get_field(name).related_model
        tables.add(model._meta.db_table)
    return sorted(tables)


def release_tables():
    """The tables of releases' rows (every model with a `release`), not the releases."""
    return sorted(
        {
            relation.related_model._meta.db_table
            for relation in Release._meta.related_objects
            if relation.field.name == "release"
        }
    )


def linked_columns(path):
    """(table, column naming the code, column naming the code whose article shows it)."""
    relation = CodeProcedure._meta.get_field(path)
    model = relation.related_model
    others = [
        field.column
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is CodeProcedure and field != relation.field
    ]
    other = others[0] if model is not CodeProcedure else model._meta.pk.column
    return model._meta.db_table, relation.field.column, other


def reviewer_columns():
    field = CodeProcedure._meta.get_field(REVIEWER[0])
    return field.related_model._meta.db_table, field.column, REVIEWER[1]


# SQL ------------------------------------------------------------------------------------
#
# Rows are read as SQLite's row triggers name them (NEW, OLD) or from PostgreSQL's
# transition tables (new_rows, old_rows, aliased r).

EVENTS = ("INSERT", "UPDATE", "DELETE")


def rows_of(event):
    return {"INSERT": ("NEW",), "DELETE": ("OLD",), "UPDATE": ("NEW", "OLD")}[event]


def select(expression, row, vendor, where=""):
    """SELECT `expression` ({r} the row) from one row of the event."""
    if vendor == "sqlite":
        sql = f"SELECT {expression.format(r=row)}"
        return f"{sql} WHERE {where.format(r=row)}" if where else sql
    sql = f"SELECT {expression.format(r='r')} FROM {row.lower()}_rows r"
    return f"{sql} WHERE {where.format(r='r')}" if where else sql


def union(parts):
    return " UNION ".join(parts)


def codes_of_ids(ids_sql):
    return f"SELECT code AS code FROM {CODE_TABLE} WHERE id IN ({ids_sql})"


def changed_codes_sql(event, vendor):
    """The (id, code) rows of published codes whose shown columns an event changed."""
    published = "{r}.editorial_state = '" + PUBLISHED + "'"
    if event != "UPDATE":
        (row,) = rows_of(event)
        return select("{r}.id AS id, {r}.code AS code", row, vendor, published)
    if vendor == "sqlite":
        new, old, source = "NEW", "OLD", ""
        differs = " IS NOT "
    else:
        new, old = "n", "o"
        source = " FROM new_rows n JOIN old_rows o ON o.id = n.id"
        differs = " IS DISTINCT FROM "
    changed = " OR ".join(f"{old}.{column}{differs}{new}.{column}" for column in SHOWN_COLUMNS)
    where = (
        f" WHERE ({changed}) AND "
        f"({old}.editorial_state = '{PUBLISHED}' OR {new}.editorial_state = '{PUBLISHED}')"
    )
    return " UNION ALL ".join(
        f"SELECT {row}.id AS id, {row}.code AS code{source}{where}" for row in (new, old)
    )


def shown_on_sql(changed):
    """The codes whose articles show the codes `changed` yields (id, code)."""
    x = f"({changed}) x"
    published = f"p.editorial_state = '{PUBLISHED}'"
    parts = []
    for shown_on in SHOWN_ON:
        if isinstance(shown_on, Neighbours):
            for comparison, order in (("<", "DESC"), (">", "ASC")):
                parts.append(
                    f"SELECT (SELECT p.code FROM {CODE_TABLE} p WHERE p.code {comparison} "
                    f"x.code AND p.id <> x.id AND {published} ORDER BY p.code {order} "
                    f"LIMIT 1) AS code FROM {x}"
                )
        elif isinstance(shown_on, Linked):
            table, this, other = linked_columns(shown_on.path)
            parts.append(
                f"SELECT c.code AS code FROM {table} l JOIN {x} ON l.{this} = x.id "
                f"JOIN {CODE_TABLE} c ON c.id = l.{other}"
            )
        else:
            table = shown_on.model._meta.db_table
            for one, other in ((shown_on.one, shown_on.other), (shown_on.other, shown_on.one)):
                parts.append(
                    # Quoted: one is named "primary".
                    f'SELECT c.code AS code FROM {table} e JOIN {x} ON e."{one}" = x.code '
                    f'JOIN {CODE_TABLE} c ON c.code = e."{other}" '
                    f"WHERE e.release_id IN "
                    f"(SELECT id FROM {RELEASE_TABLE} WHERE kind = '{shown_on.kind}')"
                )
    return union(parts)


@dataclass(frozen=True)
class Stamped:
    """A table whose changes move stamps: the SQL yielding the codes an event's rows
    stamp (column `code`; SHARED for the shared stamp), or None when that event moves
    none."""

    table: str
    codes: dict  # event: SQL or None
    columns: tuple = ()  # SQLite: UPDATE triggers only for these columns (all if empty)
    # SQLite: the trigger's WHEN, by event, so a row that moves nothing (one of a release
    # still loading: millions of them in an NCCI import) runs no statement.
    when: dict = None


def stamped_tables(vendor, tables=None):
    """Every table whose changes move stamps, with how (for `vendor`'s row names)."""
    declared = []
    own_code = "{r}.code AS code"
    declared.append(
        Stamped(
            CODE_TABLE,
            {
                event: union(
                    [
                        *(select(own_code, row, vendor) for row in rows_of(event)),
                        shown_on_sql(changed_codes_sql(event, vendor)),
                    ]
                )
                for event in EVENTS
            },
        )
    )
    for table, columns in own_row_tables().items():
        declared.append(
            Stamped(
                table,
                {
                    event: codes_of_ids(
                        union(
                            select(f"{{r}}.{column}", row, vendor)
                            for column in columns
                            for row in rows_of(event)
                        )
                    )
                    for event in EVENTS
                },
            )
        )
    shared = f"SELECT '{SHARED}' AS code"
    for table in vocabulary_tables():
        declared.append(Stamped(table, dict.fromkeys(EVENTS, shared)))
    # Releases and their rows: only complete releases are read by pages (one still
    # loading is not).
    of_complete = {
        RELEASE_TABLE: "{r}.complete",
        **dict.fromkeys(
            release_tables(), f"{{r}}.release_id IN (SELECT id FROM {RELEASE_TABLE} WHERE complete)"
        ),
    }
    for table, condition in of_complete.items():
        if vendor == "sqlite":
            when = {
                event: " OR ".join(f"({condition.format(r=row)})" for row in rows_of(event))
                for event in EVENTS
            }
            declared.append(Stamped(table, dict.fromkeys(EVENTS, shared), when=when))
            continue
        codes = {
            event: union(
                select(f"'{SHARED}' AS code", row, vendor, condition) for row in rows_of(event)
            )
            for event in EVENTS
        }
        declared.append(Stamped(table, codes))
    user_table, reviewer_column, name_columns = reviewer_columns()
    if vendor == "sqlite":
        renamed = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in name_columns)
        reviewed = (
            f"SELECT code AS code FROM {CODE_TABLE} "
            f"WHERE {reviewer_column} = NEW.id AND ({renamed})"
        )
    else:
        renamed = " OR ".join(f"o.{column} IS DISTINCT FROM n.{column}" for column in name_columns)
        reviewed = (
            f"SELECT c.code AS code FROM new_rows n JOIN old_rows o ON o.id = n.id "
            f"JOIN {CODE_TABLE} c ON c.{reviewer_column} = n.id WHERE {renamed}"
        )
    declared.append(
        Stamped(user_table, {"INSERT": None, "UPDATE": reviewed, "DELETE": None}, name_columns)
    )
    return [stamped for stamped in declared if tables is None or stamped.table in tables]


SQLITE_STAMP = (
    f"INSERT INTO {STAMP_TABLE} (code, number) "
    "SELECT code, abs(random() % 1000000000000000) FROM ({codes}) WHERE code IS NOT NULL "
    "ON CONFLICT (code) DO UPDATE SET number = number + 1 + abs(random() % 1000000)"
)
POSTGRESQL_STAMP_CODES = (
    f"INSERT INTO {STAMP_TABLE} (code, number) "
    "SELECT code, floor(random() * 1e15)::bigint FROM ({codes}) AS stamped ORDER BY code "
    "ON CONFLICT (code) DO UPDATE "
    f"SET number = {STAMP_TABLE}.number + 1 + floor(random() * 1e6)::bigint"
)


def bump_shared_sql(vendor):
    """Move the shared stamp at once (after migrate: rows changed with the triggers off)."""
    codes = f"SELECT '{SHARED}' AS code"
    if vendor == "sqlite":
        return SQLITE_STAMP.format(codes=codes)
    return POSTGRESQL_STAMP_CODES.format(codes=codes)


def trigger_name(table, event):
    return f"{STAMP_TRIGGER_PREFIX}{table}_{event.lower()}"


def sqlite_triggers(tables=None):
    statements = []
    for stamped in stamped_tables("sqlite", tables):
        for event, codes in stamped.codes.items():
            if codes is None:
                continue
            of_columns = (
                f" OF {', '.join(stamped.columns)}" if event == "UPDATE" and stamped.columns else ""
            )
            when = f" WHEN {stamped.when[event]}" if stamped.when else ""
            statements.append(
                f"CREATE TRIGGER {trigger_name(stamped.table, event)} "
                f"AFTER {event}{of_columns} ON {stamped.table}{when} "
                f"BEGIN {SQLITE_STAMP.format(codes=codes)}; END"
            )
    return statements


def postgresql_triggers(tables=None):
    """Statement triggers noting the codes in the pending table, and the deferred trigger
    that writes their stamps at commit. The deferred trigger is a row trigger on the
    pending table, so it is queued once per noted row; only its first run at a commit
    writes (the others see the setting and return). A transaction noting millions of rows
    (a restore of whole CMS releases) queues as many runs: not measured."""
    statements = [
        once_per_commit_function(
            FLUSH_TRIGGER,
            "codes.stamps_written_at",
            f"WITH written AS (DELETE FROM {PENDING_TABLE} RETURNING code) "
            + POSTGRESQL_STAMP_CODES.format(codes="SELECT DISTINCT code FROM written"),
        ),
        f"CREATE CONSTRAINT TRIGGER {FLUSH_TRIGGER} AFTER INSERT ON {PENDING_TABLE} "
        "DEFERRABLE INITIALLY DEFERRED "
        f"FOR EACH ROW EXECUTE FUNCTION {FLUSH_TRIGGER}()",
        f"""CREATE OR REPLACE FUNCTION {STAMP_TRIGGER_PREFIX}truncated() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO {PENDING_TABLE} (code) VALUES ('{SHARED}');
            RETURN NULL;
        END $$""",
    ]
    for stamped in stamped_tables("postgresql", tables):
        for event, codes in stamped.codes.items():
            if codes is None:
                continue
            function = f"{trigger_name(stamped.table, event)}_note"
            statements.append(
                f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO {PENDING_TABLE} (code)
                    SELECT DISTINCT code FROM ({codes}) AS noted WHERE code IS NOT NULL;
                    RETURN NULL;
                END $$"""
            )
            transition = {
                "INSERT": "NEW TABLE AS new_rows",
                "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
                "DELETE": "OLD TABLE AS old_rows",
            }[event]
            statements.append(
                f"CREATE TRIGGER {trigger_name(stamped.table, event)} "
                f"AFTER {event} ON {stamped.table} REFERENCING {transition} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )
        if all(stamped.codes.values()):
            # TRUNCATE has no rows to read: the shared stamp moves every article.
            statements.append(
                f"CREATE TRIGGER {trigger_name(stamped.table, 'truncate')} "
                f"AFTER TRUNCATE ON {stamped.table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {STAMP_TRIGGER_PREFIX}truncated()"
            )
    return statements


TRIGGERS = {"sqlite": sqlite_triggers, "postgresql": postgresql_triggers}


def stamps_exist(connection):
    tables = set(connection.introspection.table_names())
    return STAMP_TABLE in tables and (connection.vendor != "postgresql" or PENDING_TABLE in tables)
