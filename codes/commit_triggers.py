"""PostgreSQL trigger functions that write once when a transaction commits.

A row written at each change would stay locked to the end of the writing transaction, so
writers would queue behind each other (and deadlock, each holding a row the other wants).
So the catalogue generation and the article stamps are written by deferred constraint
triggers instead. Those run per row at commit; a transaction-local setting holding the
statement's start lets only the first run of a statement (COMMIT, or a statement outside
a transaction) write.
"""


def once_per_commit_function(name, setting, body):
    """CREATE FUNCTION `name`() running the SQL `body` at the first run of each statement,
    remembered in the transaction-local setting `setting`."""
    return f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF current_setting('{setting}', true)
                    IS DISTINCT FROM statement_timestamp()::text THEN
                PERFORM set_config('{setting}', statement_timestamp()::text, true);
                {body};
            END IF;
            RETURN NULL;
        END $$"""
