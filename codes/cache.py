"""Page caching for anonymous readers, invalidated by two generations; code pages'
articles kept per code, invalidated by their code's stamp.

Every save or delete of content bumps one number in the shared cache, the content
generation; every cached page's key contains that number. So an edit is visible to every
worker at its next request, with no list of keys to hunt down. Changes that send no signal
(`update()`, `bulk_create()`, raw SQL) move the catalogue generation the database's
triggers keep (`codes.search.generation`); that is part of the key too, read at most once a
second per process, so such a change shows within a second. Logged-in users (editors see
drafts) are never served from the cache, and their
pages are marked private.

The cache is bounded whatever its backend: a page is stored in one of a fixed number of
slots (`settings.PAGE_CACHE_SLOTS`, chosen by the key's hash) together with its full key,
and a page larger than `MAX_CACHED_PAGE_BYTES` is not stored. So a flood of distinct
searches, or pages of old generations, replace each other in the slots instead of growing
the cache: at most slots x largest page, on Redis as on files.

Beside whole pages, a view may keep the part of a page that depends on content only (a
code page's article: `cached_document`), in slots of its own: readers the page cache
cannot serve (logged in, or asking for a variant it has not stored) get the article
without re-rendering it. So the cache holds at most twice the slots.

An article is not kept under the generations, which every edit of any code moves: that
made one edit re-render all 100,000 articles, each at its next reader (31-51 ms, against
4 ms kept). Its key (`article_generation`) holds instead what can change it:

- its code's stamp (`models.ArticleStamp`), which the database moves whenever anything
  the article shows may have changed: the code's row and its own rows (examples,
  modifier notes, specialties, places, nerves, sources, relations either way, supporting
  diagnoses), the code, title or state of a code it shows (its published neighbours, the
  codes related to it either way, its replacement, its partners in CMS's edit tables),
  the name of its reviewer. What moves which stamp is declared once, in `codes.stamps`,
  and the triggers are derived from it: an `update()`, a `bulk_create()`, raw SQL or a
  fixture load moves the stamps as a save does, and the next article read sees it (no
  once-a-second delay: the stamps are read with every article, one query by primary key;
  a whole page kept for anonymous readers follows the page generations below);
- the shared stamp, which the same triggers move for what every article may show:
  vocabulary rows (sections, modifiers, specialties, nerves, places, sources) and CMS and
  ICD-10-CM releases with their rows (once complete: a release still loading shows
  nowhere);
- the article generation, in the shared cache, which each `migrate` (a deploy: new
  templates or code) moves;
- today's date (releases take effect at midnight; edits in force are dated), and the
  settings an article shows (`SHOWN_SETTINGS`).

So an edit re-renders the articles it may change and no others; pages (search results,
lists, home) keep the global generations, as any edit may change them.
"""

import datetime
import hashlib
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import patch_cache_control

from codes.models import ArticleStamp
from codes.search.facets import SEARCH_PARAMETERS
from codes.search.generation import recent_generation

GENERATION_KEY = "content-generation"
ARTICLE_GENERATION_KEY = "article-generation"
PAGE_TIMEOUT = 60 * 60 * 24


# Settings that change what a page shows. They come from the environment, so a restart
# with a new value (a CPT licence lapsing) must not meet pages kept under the old one: the
# keys hold them.
SHOWN_SETTINGS = ("CPT_LICENSED", "CPT_COPYRIGHT_YEAR", "REVIEWER_SHOWN_AS")


def shown_settings():
    values = "\x1f".join(f"{name}={getattr(settings, name)!r}" for name in SHOWN_SETTINGS)
    return hashlib.sha256(values.encode()).hexdigest()[:8]


def content_generation():
    """Return the page key's generations: the content generation (started if the cache
    has none), the catalogue generation, today's date (a CMS or ICD-10-CM release
    imported ahead of its effective date becomes the one in effect at midnight, with no
    save to move a generation) and the shown settings."""
    generation = _started(GENERATION_KEY)
    today = datetime.date.today().isoformat()
    return f"{generation}.{recent_generation()}.{today}.{shown_settings()}"


def article_generation(code):
    """Return a code's article key's generations: the article generation (moved by
    deploys), the shared stamp and the code's own (`ArticleStamp`, one query by primary
    key; "-" for a code never stamped since the table was created), today's date and the
    shown settings.
    Edits of other codes leave it as it was, unless they change what the article shows.

    While the database is unreachable, the stamps this process last read for the code
    serve (nothing can move them meanwhile), so a kept article is still served, as a kept
    page is; a code whose stamps this process never read raises the error."""
    try:
        stamps = dict(
            ArticleStamp.objects.filter(code__in=[ArticleStamp.SHARED, code]).values_list(
                "code", "number"
            )
        )
    except DatabaseError:
        stamps = _last_stamps.get(code)
        if stamps is None:
            raise
    else:
        _last_stamps.remember(code, stamps)
    return (
        f"{_started(ARTICLE_GENERATION_KEY)}.{stamps.get(ArticleStamp.SHARED, '-')}."
        f"{stamps.get(code, '-')}.{datetime.date.today().isoformat()}.{shown_settings()}"
    )


def _started(key):
    generation = cache.get(key)
    if generation is None:
        # A fresh cache (or an evicted key) starts from the clock, never from an old
        # number, so no stale page can be served under a recycled generation.
        cache.add(key, time.time_ns(), timeout=None)
        generation = cache.get(key)
    return generation


_held = threading.local()


def bump_content_generation(**kwargs):
    """Invalidate every cached page.

    Bumped at once, and again when the transaction commits: a worker that rendered the
    old content in between cannot leave it cached under the generation readers will use.
    Inside `one_bump()`, once at its end.
    """
    if getattr(_held, "depth", 0):
        _held.pending = True
        return
    _bump()
    transaction.on_commit(_bump)


@contextmanager
def one_bump():
    """Bump the content generation once for all the saves made inside (an import's batch:
    each bump writes the cache, two file writes on the file cache, per saved row)."""
    _held.depth = getattr(_held, "depth", 0) + 1
    try:
        yield
    finally:
        _held.depth -= 1
        if not _held.depth and getattr(_held, "pending", False):
            _held.pending = False
            bump_content_generation()


def _bump(key=GENERATION_KEY):
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, time.time_ns(), timeout=None)


# Query parameters some page understands: the search page's (its text, sort, page and every
# facet of the registry), compare's `codes`, the typeahead's `terms` and `maxList`, the
# sitemaps' `p`, the code page's `modifier` and `locality`, the fees API's `code`. A request
# with any other parameter is answered but not cached, so junk query strings cannot flood
# the cache.
KNOWN_PARAMETERS = SEARCH_PARAMETERS | {
    "codes", "terms", "maxList", "p", "modifier", "code", "locality",
}  # fmt: skip
MAX_CACHED_QUERY = 500


def cacheable(request):
    return (
        len(request.META.get("QUERY_STRING", "")) <= MAX_CACHED_QUERY
        and set(request.GET) <= KNOWN_PARAMETERS
    )


def page_key(request, generation):
    # The host is part of the key: pages carry absolute links built from it.
    address = f"{request.get_host()}{request.get_full_path()}"
    digest = hashlib.sha256(address.encode()).hexdigest()
    return f"page:{generation}:{digest}"


# A search results page is well under 100 KB; anything larger is served, never stored.
MAX_CACHED_PAGE_BYTES = 256 * 1024


def slot_key(key, kind="page"):
    """The cache key of the slot a page's (or a document's) key falls in."""
    slot = int(key.rsplit(":", 1)[1][:12], 16) % settings.PAGE_CACHE_SLOTS
    return f"{kind}-slot:{slot}"


class RecentlyUsed:
    """The last few values this process used, by their full key, so a hot page or document
    costs no read and unpickling (and, on files, decompressing) from the shared cache. Safe
    however long they stay: keys hold the generations, read from the shared cache on every
    request, so after a change anywhere in the cluster no request asks for an old key."""

    def __init__(self, size):
        self.size = size
        self.values = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.values.get(key)
            if value is not None:
                self.values.move_to_end(key)  # least recently used goes first
            return value

    def remember(self, key, value):
        with self.lock:
            self.values[key] = value
            self.values.move_to_end(key)
            while len(self.values) > self.size:
                self.values.popitem(last=False)

    def clear(self):
        with self.lock:
            self.values.clear()


# Bounded: at most 32 x MAX_CACHED_PAGE_BYTES of pages and 64 documents (a code page's
# article is about 60 KB) a process.
_hot_pages = RecentlyUsed(32)
_hot_documents = RecentlyUsed(64)
# The stamps last read per code (two numbers each), for `article_generation` while the
# database is away.
_last_stamps = RecentlyUsed(4096)


def forget_hot_pages():
    _hot_pages.clear()
    _hot_documents.clear()
    _last_stamps.clear()


def cached_page(key):
    """Return the page stored under `key`, or None (the slot may hold another page)."""
    hot = _hot_pages.get(key)
    if hot is not None:
        # A new response each time: the middleware on the way out sets per-request headers.
        status, content, headers = hot
        return HttpResponse(content, status=status, headers=dict(headers))
    stored = read_slot(key)
    if stored is not None:
        _remember_page(key, stored)
    return stored


def _remember_page(key, response):
    _hot_pages.remember(key, (response.status_code, response.content, list(response.items())))


def store_page(key, response):
    if len(response.content) <= MAX_CACHED_PAGE_BYTES:
        write_slot(key, response)
        _remember_page(key, response)


def read_slot(key, kind="page"):
    """The value stored under `key`, or None: its slot may hold another key's value."""
    stored = cache.get(slot_key(key, kind))
    return stored[1] if stored is not None and stored[0] == key else None


def write_slot(key, value, kind="page"):
    cache.set(slot_key(key, kind), (key, value), PAGE_TIMEOUT)


def cached_document(parts, build, generation):
    """Return the document `build()` makes, kept under `parts` and `generation`.

    A document is what a page shows that depends on content only, as a dict of strings
    (for a code page: its article, title and description), so it is built once per change
    of what it shows and shared by every reader and variant the page cache cannot serve.
    `generation` must move whenever that content may have changed (for a code's article,
    `article_generation(code)`); `parts` must name everything else it depends on (the
    code, the host, the query parameters it reads). `build()` may return None (nothing to
    show): that is never kept.
    """
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    key = f"document:{generation}:{digest}"
    document = _hot_documents.get(key)
    if document is not None:
        return document
    document = read_slot(key, "document")
    if document is not None:
        _hot_documents.remember(key, document)
        return document
    document = build()
    if document is not None and sum(map(len, document.values())) <= MAX_CACHED_PAGE_BYTES:
        write_slot(key, document, "document")
        _hot_documents.remember(key, document)
    return document


def cached_for_readers(view):
    """Serve anonymous GET and HEAD requests from the cache, with an ETag for 304s.

    With `PageCacheMiddleware` installed, a page already cached is answered there, before
    sessions, authentication and the rest of the stack; this wrapper renders a miss and the
    middleware stores it with the headers the whole stack gave it.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in {"GET", "HEAD"} or request.user.is_authenticated:
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True, no_cache=True)
            return response
        if not cacheable(request):
            return view(request, *args, **kwargs)
        key, etag, response = cached_answer(request)
        if response is None:
            response = view(request, *args, **kwargs)
            if getattr(response, "is_rendered", True) is False:
                response.render()  # a TemplateResponse must be rendered to be stored
            if response.status_code in {200, 404} and not response.streaming:
                response["ETag"] = etag
                patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
                if hasattr(request, "page_to_store"):
                    request.page_to_store = (key, response)  # stored by the middleware
                else:
                    store_page(key, response)
        return response

    wrapper.serves_cached_pages = True
    return wrapper


def cached_answer(request):
    """(page key, ETag, answer) for an anonymous request: the answer is a 304 when the
    reader holds the page already, the stored page, or None on a miss."""
    key = page_key(request, content_generation())
    etag = etag_of(key)
    if etag in request.headers.get("If-None-Match", ""):
        return key, etag, _not_modified(etag)
    return key, etag, cached_page(key)


def etag_of(key):
    return f'"{key.split(":")[1]}-{key[-16:]}"'


class PageCacheMiddleware:
    """Answer an anonymous reader's GET or HEAD of a cached page before the rest of the
    middleware stack (sessions, CSRF, authentication, messages, history, CSP...): a cached
    page or a 304 costs a cache read and no query.

    It answers only requests with no session or messages cookie (whoever has one goes the
    whole way, where the view's wrapper decides), on a site that needs no login, for URLs
    whose view is wrapped by `cached_for_readers`. Pages are stored here, on the way out,
    with the headers the inner middleware added (CSP, X-Frame-Options, Permissions-Policy,
    Vary), so a page served early carries the same headers; never one that sets a cookie.
    Placed after SecurityMiddleware and WhiteNoise, so their headers and static files are
    as before.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not self.may_answer(request):
            return self.get_response(request)
        _, _, response = cached_answer(request)
        if response is not None:
            if response.status_code == 304:
                response["Vary"] = "Cookie"
            return response
        request.page_to_store = None
        response = self.get_response(request)
        if request.page_to_store is not None and not response.cookies:
            stored_key, stored = request.page_to_store
            if stored is response:
                store_page(stored_key, response)
        return response

    @staticmethod
    def may_answer(request):
        if request.method not in {"GET", "HEAD"} or settings.SITE_REQUIRE_LOGIN:
            return False
        cookies = request.COOKIES
        if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
            return False
        if not cacheable(request):
            return False
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return getattr(match.func, "serves_cached_pages", False)


def _not_modified(etag):
    from django.http import HttpResponseNotModified

    response = HttpResponseNotModified()
    response["ETag"] = etag
    return response


def bump_after_migrate(sender, **kwargs):
    """A release runs migrate: new templates or code must not meet old cached pages or
    articles."""
    _bump()
    _bump(ARTICLE_GENERATION_KEY)


def connect_signals(models):
    for model in models:
        post_save.connect(bump_content_generation, sender=model, weak=False)
        post_delete.connect(bump_content_generation, sender=model, weak=False)
    for through in {
        field.remote_field.through for model in models for field in model._meta.many_to_many
    }:
        m2m_changed.connect(bump_content_generation, sender=through, weak=False)
