"""Measure the search page's server-side time on a fixed query mix.

Run it against the synthetic catalogue (`make bench-search` does), not the real database:
the numbers only mean something at scale. Each request goes through the whole Django stack
(middleware, view, queries, template) in this process, so the time is what the server
spends, without network or client overhead. Latency lives here, never in the test suite.
"""

import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.test import Client
from django.test.utils import override_settings

from codes.cache import forget_hot_pages
from codes.models import CodeProcedure, Diagnosis, Release, ReleaseKind
from codes.search.facet_index import CatalogueIndex
from codes.search.generation import read_generation

QUERY_MIX = [
    ("code (redirect)", {"q": "64868"}),
    ("prefix", {"q": "6486"}),
    ("range", {"q": "64800-64999"}),
    ("one word", {"q": "graft"}),
    ("several words", {"q": "repair of the ulnar nerve"}),
    ("lay term", {"q": "tongue nerve"}),
    ("one word + facets", {"q": "nerve", "specialty": "neurosurgery", "add_on": "no"}),
    ("prefix + facet", {"q": "4", "nerve": "facial-nerve"}),
    ("words + facet, sorted by code", {"q": "median nerve", "place": "21", "sort": "code"}),
    ("no match, did you mean", {"q": "hypoglosal"}),
    # ICD-10-CM (with the release loaded, every word search also searches diagnoses).
    ("diagnosis code", {"q": "G51.0"}),
    ("diagnosis code, 7th character", {"q": "s0451xa"}),
    ("diagnosis prefix", {"q": "S04.5"}),
    ("diagnosis words", {"q": "Bell's palsy"}),
    ("diagnosis, several words", {"q": "facial nerve injury right side"}),
    ("diagnosis, common word", {"q": "fracture"}),
]
# Reported on its own line, outside the mix: a word every synthetic code contains, so
# every one of the 100,000 codes must be ranked and counted.
WORST_CASE = ("worst case: word in every code", {"q": "synthetic"})
NO_CACHE = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


def percentile(samples, fraction):
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


class Command(BaseCommand):
    help = "Report p50 and p95 server-side time of the search page on a fixed query mix."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=30, help="Timed runs per query.")
        parser.add_argument("--warmup", type=int, default=3, help="Untimed runs per query.")
        parser.add_argument(
            "--min-codes",
            type=int,
            default=100_000,
            help="Refuse to run on a catalogue smaller than this.",
        )

    def handle(self, *args, repeat, warmup, min_codes, **options):
        total = CodeProcedure.objects.count()
        if total < min_codes:
            raise CommandError(
                f"The database holds {total} codes; build the synthetic catalogue first "
                "(make bench-search does) or lower --min-codes."
            )
        # Every request is a cache miss: the page cache would otherwise answer all but the
        # first run of each query, and the numbers would measure the cache, not search.
        with override_settings(CACHES=NO_CACHE):
            self.measure(total, repeat, warmup)

    def measure(self, total, repeat, warmup):
        self.measure_index_build()
        client = Client(SERVER_NAME="localhost")
        every_sample = []
        rows = []
        for label, params in [*QUERY_MIX, WORST_CASE]:
            for _ in range(warmup):
                self.fetch(client, params)
            samples = []
            for _ in range(repeat):
                started = time.perf_counter()
                status = self.fetch(client, params)
                samples.append((time.perf_counter() - started) * 1000)
            if (label, params) != WORST_CASE:
                every_sample.extend(samples)
            rows.append((label, params, status, samples))

        release = Release.objects.current(ReleaseKind.ICD10CM)
        diagnoses = (
            f"ICD-10-CM {release.label}: {Diagnosis.objects.current().count():,} codes"
            if release
            else "no ICD-10-CM release (run load_icd10cm on this database)"
        )
        self.stdout.write(
            f"Catalogue: {total:,} codes; {diagnoses}. {repeat} timed runs per query.\n"
        )
        self.stdout.write("| query | parameters | status | p50 ms | p95 ms |")
        self.stdout.write("| --- | --- | --- | ---: | ---: |")
        for label, params, status, samples in rows[:-1]:
            self.stdout.write(
                f"| {label} | `{params}` | {status} | {statistics.median(samples):.1f} "
                f"| {percentile(samples, 0.95):.1f} |"
            )
        self.stdout.write(
            f"| **whole mix** | | | {statistics.median(every_sample):.1f} "
            f"| {percentile(every_sample, 0.95):.1f} |"
        )
        label, params, status, samples = rows[-1]
        self.stdout.write(
            f"| {label} | `{params}` | {status} | {statistics.median(samples):.1f} "
            f"| {percentile(samples, 0.95):.1f} |"
        )

    def measure_index_build(self):
        """What a worker pays once per catalogue change: building the facet index."""
        samples = []
        for _ in range(5):
            started = time.perf_counter()
            index = CatalogueIndex(read_generation())
            samples.append((time.perf_counter() - started) * 1000)
        self.stdout.write(
            f"Facet index build: {statistics.median(samples):.0f} ms (median of 5), "
            f"{index.nbytes / 1e6:.1f} MB of arrays.\n"
        )

    def fetch(self, client, params):
        # The process keeps the last pages it served whatever the cache backend
        # (codes.cache's hot pages): forget them, or every run after the first is a hit.
        forget_hot_pages()
        response = client.get("/search/", params)
        if response.status_code not in {200, 302}:
            raise CommandError(f"{params} answered {response.status_code}")
        return response.status_code
