"""The rule every importer follows (import_codes, import_cms_pfs, import_cms_edits), so that
an import never blocks the site:

1. **Check first, reading only.** The whole file is read and every bad line reported with
   its line number before anything is written; a dry run stops there and takes no write lock.
2. **Write in short batches**, each its own transaction (`commit_batches`), with a pause
   after each commit on SQLite, where one writer holds the whole database: a login or an
   editor's save waiting on the busy timeout gets in between two batches.
3. **Switch at the end**: what the import adds becomes visible in one short transaction
   (a CMS release is stored with `complete=False`, which no page shows, and marked complete
   last: codes/cms/release_store.py). A run that stops part way leaves what it committed
   named in its report, and the next run resumes or replaces it.
"""

import time

from django.db import connection, transaction

# On SQLite, after each commit, time for a writer waiting on the busy timeout (it polls
# every 100 ms at most) to take the lock before the next batch does.
SQLITE_PAUSE_SECONDS = 0.1


def pause():
    """Let a waiting writer in (SQLite only: PostgreSQL locks rows, not the database)."""
    if connection.vendor == "sqlite":
        time.sleep(SQLITE_PAUSE_SECONDS)


def batches_of(items, size):
    """Split a list into lists of `size` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def commit_batches(batches, write):
    """Run `write(batch)` for each batch in its own transaction; yield (batch, what it
    returned) once the batch is committed, then pause so that others can write."""
    for batch in batches:
        with transaction.atomic():
            result = write(batch)
        yield batch, result
        pause()
