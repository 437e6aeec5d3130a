"""codes/search/facet_index.py: every code's facet values in memory, rebuilt per generation."""

import pytest
from django.core.cache import cache

from tests.search.helpers import INDEX_BUILD_QUERIES, add_published_codes, facet_count

pytestmark = pytest.mark.django_db


def test_facet_index_build_runs_a_fixed_number_of_queries(django_assert_num_queries):
    from codes.search.facet_index import CatalogueIndex

    with django_assert_num_queries(INDEX_BUILD_QUERIES):
        CatalogueIndex(generation=1)
    add_published_codes(80, "Extra nerve graft")
    with django_assert_num_queries(INDEX_BUILD_QUERIES):
        CatalogueIndex(generation=2)


def test_facets_follow_changes_made_without_signals(client):
    before = facet_count(client.get("/search/", {"q": "nerve"}), "add_on", "yes")
    from codes.models import AddOnEdit, Release, ReleaseKind

    # bulk_create sends no signal to the page cache; the index needs none.
    AddOnEdit.objects.bulk_create(
        [AddOnEdit(release=Release.objects.current(ReleaseKind.ADD_ON), add_on="64868",
                   primary="64866", edit_type="1")]
    )  # fmt: skip
    cache.clear()
    after = facet_count(client.get("/search/", {"q": "nerve"}), "add_on", "yes")
    assert after == before + 1
