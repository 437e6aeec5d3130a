"""codes/search/facets.py: the facets a coder narrows results with, from one registry."""

import pytest
from django.core.cache import cache

from codes.models import CodeProcedure
from tests.search.helpers import facet_count, page

pytestmark = pytest.mark.django_db


def test_facet_narrows_results_and_counts_the_others(client):
    response = client.get("/search/", {"q": "nerve", "specialty": "otolaryngology"})
    assert response.status_code == 200
    codes = [code.code for code in response.context["page"].object_list]
    head_and_neck = {"64864", "64865", "64866", "64868", "64885", "64886"}
    assert set(codes) == head_and_neck
    facets = {facet.name: facet for facet in response.context["facets"]}
    specialty = {value.value: value for value in facets["specialty"].values}
    # The specialty facet counts over results filtered by every *other* facet.
    assert specialty["otolaryngology"].selected
    # Neurosurgery is counted over every "nerve" result, not only the ENT ones.
    neurosurgical = CodeProcedure.objects.filter(specialties__slug="neurosurgery").count()
    assert specialty["neurosurgery"].count == neurosurgical > len(head_and_neck)
    nerve = {value.value: value.count for value in facets["nerve"].values}
    assert nerve["hypoglossal-nerve"] == 1


def test_two_values_of_one_facet_widen_and_two_facets_narrow(client):
    response = client.get("/search/", {"nerve": ["hypoglossal-nerve", "spinal-accessory-nerve"]})
    assert {c.code for c in response.context["page"].object_list} == {
        "64866",
        "64868",
        "64885",
        "64886",
    }
    response = client.get("/search/", {"nerve": "hypoglossal-nerve", "modifier": "22"})
    assert {c.code for c in response.context["page"].object_list} == {"64868"}


def test_selected_facet_can_be_removed(client):
    response, html = page(client, q="nerve", specialty="otolaryngology")
    assert 'aria-current="true"' in html
    assert "Clear all filters" in html
    selected = next(
        value for facet in response.context["facets"] for value in facet.values if value.selected
    )
    assert "specialty" not in selected.query and selected.query["q"] == "nerve"


@pytest.mark.parametrize(
    "params",
    [
        {"add_on": "yes"},
        {"status": "active", "add_on": "no"},
        {"section": "neurorrhaphy"},
        {"place": "22"},
    ],
)
def test_every_facet_filters(client, params):
    response = client.get("/search/", params)
    assert response.status_code == 200
    assert 0 < response.context["page"].paginator.count < 38


def test_inpatient_only_facet(client):
    # The reference holds no verified inpatient-only status (64866's rests on one unchecked
    # page and is stored as unknown), so mark one code as CMS's list would.
    CodeProcedure.objects.filter(code="64868").update(
        inpatient_only="yes", inpatient_only_as_of="2026-01-01", inpatient_only_verified=True
    )
    response = client.get("/search/", {"inpatient_only": "yes"})
    assert {c.code for c in response.context["page"].object_list} == {"64868"}


def test_add_on_facet(client):
    response = client.get("/search/", {"add_on": "yes"})
    codes = {c.code for c in response.context["page"].object_list}
    assert codes == {"64832", "64837", "64859", "64872", "64874", "64876", "64901",
                     "64902", "64913"}  # fmt: skip


def test_each_declared_facet_reaches_the_filterset_the_index_the_page_and_the_cache():
    from codes.cache import KNOWN_PARAMETERS
    from codes.search.facet_index import CatalogueIndex
    from codes.search.facets import FACETS, CodeSearchFilter

    index = CatalogueIndex(generation=1)
    for facet in FACETS:
        assert facet.param in CodeSearchFilter.base_filters
        assert CodeSearchFilter.base_filters[facet.param].label == facet.label
        assert facet.param in index.facets
        assert facet.param in KNOWN_PARAMETERS


def test_the_page_shows_the_facets_in_the_registrys_order(client):
    from codes.search.facets import FACETS

    response = client.get("/search/", {"q": "nerve"})
    assert [facet.name for facet in response.context["facets"]] == [f.param for f in FACETS]


def test_the_global_period_facet_follows_the_release_in_effect(client):
    from codes.models import FeeScheduleRow

    response = client.get("/search/", {"q": "graft", "global_period": "ZZZ"})
    listed = {code.code for code in response.context["page"].object_list}
    add_ons = set(
        FeeScheduleRow.objects.filter(global_days="ZZZ", modifier="").values_list(
            "hcpcs", flat=True
        )
    )
    assert listed and listed <= add_ons
    assert "64901" in listed  # an add-on graft code, ZZZ in RVU25D
    facet = next(f for f in response.context["facets"] if f.name == "global_period")
    assert {value.value for value in facet.values} >= {"090", "ZZZ"}


def test_a_new_release_moves_the_medicare_facets(client):
    from codes.models import FeeScheduleRow

    before = facet_count(client.get("/search/", {"q": "nerve"}), "global_period", "010")
    FeeScheduleRow.objects.filter(hcpcs="64868", modifier="").update(global_days="010")
    cache.clear()
    after = facet_count(client.get("/search/", {"q": "nerve"}), "global_period", "010")
    assert after == before + 1


def test_a_bad_global_period_is_a_400(client):
    assert client.get("/search/", {"q": "nerve", "global_period": "999"}).status_code == 400


def test_a_value_added_after_the_first_search_is_accepted_at_once(client):
    """The form class is built once and shared (facets.SearchFilterBase.get_form_class):
    each form must still read the vocabulary as it is now, and check values per request."""
    from codes.models import Specialty

    assert client.get("/search/", {"q": "nerve", "specialty": "neurosurgery"}).status_code == 200
    assert client.get("/search/", {"specialty": "chiropody"}).status_code == 400
    code = CodeProcedure.objects.get(code="64840")
    code.specialties.add(Specialty.objects.create(slug="chiropody", name="Chiropody"))
    cache.clear()
    response = client.get("/search/", {"specialty": "chiropody"})
    assert response.status_code == 200
    assert [c.code for c in response.context["page"].object_list] == ["64840"]
    assert client.get("/search/", {"sort": "nonsense"}).status_code == 400
