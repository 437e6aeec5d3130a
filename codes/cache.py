"""Page caching for anonymous readers, invalidated by a content version.

Every save or delete of content bumps one number in the shared cache; every cached page's
key contains that number. So an edit is visible to every worker at its next request, with
no list of keys to hunt down. Changes that send no signal (`update()`, `bulk_create()`, raw
SQL) move the catalogue version the database's triggers keep (`CatalogueVersion`); that is
part of the key too, read at most once a second per process, so such a change shows within
a second. Logged-in users (editors see drafts) are never served from the cache, and their
pages are marked private.
"""

import hashlib
import threading
import time
from functools import wraps

from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.cache import patch_cache_control

VERSION_KEY = "content-version"
PAGE_TIMEOUT = 60 * 60 * 24


def content_version():
    """Return the current content version, starting one if the cache has none."""
    version = cache.get(VERSION_KEY)
    if version is None:
        # A fresh cache (or an evicted key) starts from the clock, never from an old
        # number, so no stale page can be served under a recycled version.
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(VERSION_KEY)
    return f"{version}.{recent_catalogue_version()}"


# How long a process trusts the catalogue version it last read: a page costs no query,
# and a change made without signals shows within this many seconds.
CATALOGUE_VERSION_MAX_AGE = 1.0
_catalogue_version = {"value": None, "read_at": float("-inf")}
_catalogue_version_lock = threading.Lock()


def recent_catalogue_version():
    from codes.search.facet_index import catalogue_version

    now = time.monotonic()
    if now - _catalogue_version["read_at"] >= CATALOGUE_VERSION_MAX_AGE:
        with _catalogue_version_lock:
            if now - _catalogue_version["read_at"] >= CATALOGUE_VERSION_MAX_AGE:
                try:
                    _catalogue_version["value"] = catalogue_version()
                except DatabaseError:
                    # Cached pages still serve while the database is away; the version
                    # is read again next time.
                    return _catalogue_version["value"]
                _catalogue_version["read_at"] = now
    return _catalogue_version["value"]


def forget_catalogue_version():
    """Make the next page read the catalogue version again (tests)."""
    _catalogue_version["read_at"] = float("-inf")


def bump_content_version(**kwargs):
    """Invalidate every cached page.

    Bumped at once, and again when the transaction commits: a worker that rendered the
    old content in between cannot leave it cached under the version readers will use.
    """
    _bump()
    transaction.on_commit(_bump)


def _bump():
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, time.time_ns(), timeout=None)


# Query parameters some page understands. A request with any other parameter is answered
# but not cached, so junk query strings cannot flood the cache.
KNOWN_PARAMETERS = {
    "q", "specialty", "nerve", "modifier", "place", "section", "status", "add_on",
    "inpatient_only", "sort", "page", "codes", "terms", "maxList", "p", "code", "locality",
}  # fmt: skip
MAX_CACHED_QUERY = 500


def cacheable(request):
    return (
        len(request.META.get("QUERY_STRING", "")) <= MAX_CACHED_QUERY
        and set(request.GET) <= KNOWN_PARAMETERS
    )


def page_key(request, version):
    # The host is part of the key: pages carry absolute links built from it.
    address = f"{request.get_host()}{request.get_full_path()}"
    digest = hashlib.sha256(address.encode()).hexdigest()
    return f"page:{version}:{digest}"


def cached_for_readers(view):
    """Serve anonymous GET and HEAD requests from the cache, with an ETag for 304s."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in {"GET", "HEAD"} or request.user.is_authenticated:
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True, no_cache=True)
            return response
        if not cacheable(request):
            return view(request, *args, **kwargs)
        version = content_version()
        key = page_key(request, version)
        etag = f'"{key.split(":")[1]}-{key[-16:]}"'
        if etag in request.headers.get("If-None-Match", ""):
            response = _not_modified(etag)
            return response
        response = cache.get(key)
        if response is None:
            response = view(request, *args, **kwargs)
            if getattr(response, "is_rendered", True) is False:
                response.render()  # a TemplateResponse must be rendered to be stored
            if response.status_code in {200, 404} and not response.streaming:
                response["ETag"] = etag
                patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
                cache.set(key, response, PAGE_TIMEOUT)
        return response

    return wrapper


def _not_modified(etag):
    from django.http import HttpResponseNotModified

    response = HttpResponseNotModified()
    response["ETag"] = etag
    return response


def bump_after_migrate(sender, **kwargs):
    """A release runs migrate: new templates or code must not meet old cached pages."""
    _bump()


def connect_signals(models):
    for model in models:
        post_save.connect(bump_content_version, sender=model, weak=False)
        post_delete.connect(bump_content_version, sender=model, weak=False)
    for through in {
        field.remote_field.through for model in models for field in model._meta.many_to_many
    }:
        m2m_changed.connect(bump_content_version, sender=through, weak=False)
