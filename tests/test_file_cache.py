"""The shared file cache counts its files now and then, not on every write, and still
keeps within its bound."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cptsite.file_cache import CULL_CHECK_EVERY, SharedFileCache

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def small_cache(tmp_path):
    return SharedFileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 50, "CULL_FREQUENCY": 2}})


def test_a_write_does_not_list_the_folder_each_time(small_cache, monkeypatch):
    listings = []
    original = SharedFileCache._list_cache_files

    def counted(self):
        listings.append(1)
        return original(self)

    monkeypatch.setattr(SharedFileCache, "_list_cache_files", counted)
    for number in range(3 * CULL_CHECK_EVERY):
        small_cache.set(f"page-slot:{number % 10}", "x")
    assert len(listings) == 3  # Django's own backend lists the folder on all 300 writes


def test_the_cache_is_still_culled_past_its_bound(small_cache, tmp_path):
    for number in range(3 * CULL_CHECK_EVERY):
        small_cache.set(f"key-{number}", "x")
    files = list(Path(tmp_path).glob("*.djcache"))
    assert len(files) <= 50 + CULL_CHECK_EVERY


def test_the_site_uses_it_without_redis():
    """The site's own settings (the tests run on an in-memory cache)."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "cptsite.settings"}
    environment.pop("REDIS_URL", None)
    backend = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; "
         "print(settings.CACHES['default']['BACKEND'])"],
        env=environment, capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout.strip()  # fmt: skip
    assert backend == "cptsite.file_cache.SharedFileCache"
