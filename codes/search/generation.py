"""The catalogue generation: a number the database itself moves whenever anything search
reads changes (codes, their links, their vocabularies), however the change is made.

The triggers that move it are declared in `schema.py`. The in-memory facet index rebuilds
when the generation it was built from is no longer current (one query per search), and the
page cache puts the generation in every key, read at most once a second per process.
"""

import threading
import time

from django.db import DatabaseError, connections

from codes.models import CatalogueGeneration
from codes.search.schema import BUMP_GENERATION


def read_generation(using="default"):
    """Read the catalogue generation (None before anything has been counted)."""
    row = CatalogueGeneration.objects.using(using).filter(pk=1).values_list("number").first()
    return row[0] if row else None


def current_generation(using="default", start=False):
    """Read the generation; with `start`, create the row when something emptied its table
    (a flush), with the same statement the triggers run."""
    generation = read_generation(using)
    if generation is None and start:
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(BUMP_GENERATION[connection.vendor])
        generation = read_generation(using)
    return generation


# How long a process trusts the generation it last read for the page cache's keys: a
# cached page costs no query, and a change made without signals shows within this time.
RECENT_GENERATION_MAX_AGE = 1.0
_recent = {"value": None, "read_at": float("-inf")}
_recent_lock = threading.Lock()


def recent_generation():
    """The generation as read at most RECENT_GENERATION_MAX_AGE seconds ago."""
    now = time.monotonic()
    if now - _recent["read_at"] >= RECENT_GENERATION_MAX_AGE:
        with _recent_lock:
            if now - _recent["read_at"] >= RECENT_GENERATION_MAX_AGE:
                try:
                    _recent["value"] = read_generation()
                except DatabaseError:
                    # Cached pages still serve while the database is away; the generation
                    # is read again next time.
                    return _recent["value"]
                _recent["read_at"] = now
    return _recent["value"]


def forget_recent_generation():
    """Make the next page read the generation again (tests)."""
    _recent["read_at"] = float("-inf")
