"""The file cache every worker on one machine shares, without a folder listing per write.

Django's FileBasedCache culls on every write: it lists the whole cache folder to count the
files (`_cull`). With the page cache's 10,000 slots, each stored page listed up to 10,000
files, and a flood of distinct searches slowed to about eleven writes a second
(docs/reliability.md). The page cache bounds its number of files by itself (codes/cache.py
stores a page in one of a fixed number of slots), so the count needs checking only now and
then: once every `CULL_CHECK_EVERY` writes of a process, which still catches a cache that
something else fills, at most that many files past MAX_ENTRIES per process.
"""

import itertools

from django.core.cache.backends.filebased import FileBasedCache

CULL_CHECK_EVERY = 100


class SharedFileCache(FileBasedCache):
    def __init__(self, dir, params):
        super().__init__(dir, params)
        self._writes = itertools.count(1)  # next() on a count is atomic under the GIL

    def _cull(self):
        if next(self._writes) % CULL_CHECK_EVERY == 0:
            super()._cull()
