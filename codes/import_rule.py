"""The rule every importer follows (import_codes, import_cms_pfs, import_cms_edits), so that
an import never blocks the site:

1. **Check first, reading only.** The whole file is read and every bad line reported with
   its line number before anything is written; a dry run stops there and takes no write lock.
2. **Write in short batches**, each its own transaction (`commit_batches`), with a pause
   after each commit on SQLite, where one writer holds the whole database: a login or an
   editor's save waiting on the busy timeout gets in between two batches. A batch is the
   size asked for at most, and smaller when that would hold the lock longer than
   `TARGET_SECONDS` (a busy machine, a larger catalogue, slower rows).
3. **Switch at the end**: what the import adds becomes visible in one short transaction
   (a CMS release is stored with `complete=False`, which no page shows, and marked complete
   last: codes/cms/release_store.py). A run that stops part way leaves what it committed
   named in its report, and the next run resumes or replaces it.
"""

import itertools
import time

from django.db import connection, transaction

from codes.cache import one_bump

# On SQLite, after each commit, time for a writer waiting on the busy timeout (it polls
# every 100 ms at most) to take the lock before the next batch does.
SQLITE_PAUSE_SECONDS = 0.1
# How long a batch should hold the write lock (SQLite takes it at BEGIN: settings'
# transaction_mode IMMEDIATE): a save that arrives during a batch waits about this long.
TARGET_SECONDS = 0.25


def pause():
    """Let a waiting writer in (SQLite only: PostgreSQL locks rows, not the database)."""
    if connection.vendor == "sqlite":
        time.sleep(SQLITE_PAUSE_SECONDS)


def commit_batches(items, size, write):
    """Run `write(batch)` for batches of `items` (a list or an iterator), each in its own
    transaction; yield (batch, what it returned) once the batch is committed, then pause so
    that others can write. Batches hold at most `size` items, fewer when `size` would hold
    the lock longer than TARGET_SECONDS. The content generation moves once per batch."""
    items = iter(items)
    current = size
    while batch := list(itertools.islice(items, current)):
        started = time.monotonic()
        with transaction.atomic(), one_bump():
            result = write(batch)
        current = next_size(len(batch), size, time.monotonic() - started)
        yield batch, result
        pause()


def next_size(done, largest, seconds):
    """The size of the next batch: as many items as fit in TARGET_SECONDS at the pace of
    the last batch, between 1 and `largest`."""
    if seconds <= 0:
        return largest
    return max(1, min(largest, int(done * TARGET_SECONDS / seconds)))
