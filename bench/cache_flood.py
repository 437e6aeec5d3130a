"""A flood of distinct anonymous searches against the page cache (docs/reliability.md).

    .venv/bin/python bench/cache_flood.py [--searches 100000] [--page-bytes 40000]
    .venv/bin/python bench/cache_flood.py --redis redis://127.0.0.1:6379/15

It sends `--searches` distinct anonymous GET /search/?q=... requests through the page
cache's own wrapper (codes.cache.cached_for_readers) with the production cache settings
(the file cache, in a temporary folder), in front of a stand-in view that answers a page of
`--page-bytes` (a real search page is about that size) so that the run measures the cache,
not the search. It prints the cache's files and bytes as it goes and at the end, against
the bound (PAGE_CACHE_SLOTS pages: 10,000 unless the environment says otherwise).

With `--redis URL` the cache is Redis, as production configures it (REDIS_URL), under a key
prefix of this run's own: it counts and sizes only that prefix's keys and deletes them at
the end, so nothing else in that Redis database is touched.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def folder_size(path):
    files = list(Path(path).glob("*.djcache"))
    return len(files), sum(entry.stat().st_size for entry in files)


class RedisKeys:
    """The keys of one prefix in Redis: how many, and the memory Redis says they use."""

    def __init__(self, url, prefix):
        import redis

        self.client, self.pattern = redis.Redis.from_url(url), f"{prefix}:*"

    def keys(self):
        return list(self.client.scan_iter(match=self.pattern, count=1000))

    def __call__(self):
        keys = self.keys()
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.memory_usage(key)
        return len(keys), sum(size or 0 for size in pipe.execute())

    def delete(self):
        for start in range(0, len(keys := self.keys()), 1000):
            self.client.delete(*keys[start : start + 1000])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searches", type=int, default=100_000)
    parser.add_argument("--page-bytes", type=int, default=40_000)
    parser.add_argument("--redis", help="A Redis URL, e.g. redis://127.0.0.1:6379/15.")
    options = parser.parse_args()

    cache_dir = tempfile.mkdtemp(prefix="cache-flood-")
    unused_db = tempfile.mkdtemp(prefix="cache-flood-db-")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "cptsite.settings",
            "SECRET_KEY": "bench-only",
            "CACHE_DIR": cache_dir,
            "DATABASE_URL": f"sqlite:///{unused_db}/unused.sqlite3",
            "ALLOWED_HOSTS": "testserver",
        }
    )
    if options.redis:
        os.environ["REDIS_URL"] = options.redis
    import django

    django.setup()
    from django.conf import settings

    measure = lambda: folder_size(cache_dir)  # noqa: E731
    if options.redis:
        # This run's own prefix, set before the cache is first used.
        prefix = f"cache-flood-{os.getpid()}-{int(time.time())}"
        settings.CACHES["default"]["KEY_PREFIX"] = prefix
        measure = RedisKeys(options.redis, prefix)
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse
    from django.test import RequestFactory

    from codes import cache as page_cache
    from codes.search import generation

    # The stand-in view needs no database: hold the catalogue generation still.
    generation.recent_generation = lambda: 1
    page_cache.recent_generation = generation.recent_generation
    # Random hex: the file cache compresses what it stores, and real pages compress far
    # less than a run of one letter would.
    body = os.urandom(options.page_bytes // 2).hex().encode()

    @page_cache.cached_for_readers
    def stand_in(request):
        return HttpResponse(body)

    factory = RequestFactory()
    bound = settings.PAGE_CACHE_SLOTS
    where = settings.CACHES["default"]["LOCATION"]
    print(f"cache {settings.CACHES['default']['BACKEND']} in {where}; bound {bound:,} pages")
    started = time.monotonic()
    for number in range(1, options.searches + 1):
        request = factory.get("/search/", {"q": f"flood word {number}"})
        request.user = AnonymousUser()
        stand_in(request)
        if number % 10_000 == 0 or number == options.searches:
            files, size = measure()
            print(
                f"{number:7,} searches: {files:6,} entries, {size / 1e6:7.1f} MB "
                f"({time.monotonic() - started:.0f} s)",
                flush=True,
            )
    files, size = measure()
    largest = bound * (page_cache.MAX_CACHED_PAGE_BYTES + 4096)
    print(f"after {options.searches:,} distinct searches: {files:,} entries, {size / 1e6:.1f} MB")
    print(f"bound: {bound:,} pages + the generation key; at most {largest / 1e9:.1f} GB")
    print("within the bound" if files <= bound + 1 else "OVER THE BOUND")
    if options.redis:
        measure.delete()


if __name__ == "__main__":
    main()
