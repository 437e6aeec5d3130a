"""codes/search/engine.py: the page's in-memory engine finds, orders and counts exactly what
the ORM reference (matching.search_codes and the FilterSet's own `.qs`) does."""

import pytest

from tests.search.helpers import orm_results

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "params",
    [
        {"q": "nerve"},
        {"q": "facial nerve"},
        {"q": "nerve", "sort": "code"},
        {"q": "graft", "specialty": "plastic-surgery"},
        {"q": "nerve", "nerve": ["facial-nerve", "hypoglossal-nerve"], "add_on": "no"},
        {"q": "repair", "place": "21", "inpatient_only": ["unknown", "yes"]},
        {"q": "6486"},
        {"q": "64700-64999", "section": "neurorrhaphy-with-graft"},
        {"q": "hypoglossal zebra"},
        {"modifier": "22"},
        {"q": "nerve", "global_period": "090", "medicare_status": "A"},
        {"q": "graft", "global_period": ["ZZZ", "090"]},
        {},
    ],
)
def test_the_page_lists_what_the_orm_finds_in_the_same_order(client, params):
    response = client.get("/search/", params)
    assert response.status_code == 200
    paginator = response.context["page"].paginator
    listed = [code.code for number in paginator.page_range
              for code in client.get("/search/", {**params, "page": number})
              .context["page"].object_list]  # fmt: skip
    assert listed == orm_results(params)
    assert paginator.count == len(listed)


@pytest.mark.parametrize(
    "params",
    [
        {"q": "nerve"},
        {"q": "nerve", "specialty": "neurosurgery", "add_on": "no"},
        {"q": "graft", "nerve": "median-nerve", "section": "neurorrhaphy-with-graft"},
        {"q": "repair", "global_period": "090"},
    ],
)
def test_each_facet_count_is_what_choosing_that_value_would_list(client, params):
    response = client.get("/search/", params)
    for facet in response.context["facets"]:
        for value in facet.values:
            if value.selected:
                continue
            # The facet's own selection is left out of its counts: each value is counted
            # as if it alone were chosen there.
            chosen = {**params, facet.name: value.value}
            assert value.count == len(orm_results(chosen)), (facet.name, value.value)


@pytest.mark.parametrize("text", ["nerve graft", "nerve", "tongue nerve", "facial", "6486"])
def test_page_typeahead_and_admin_list_the_same_codes_in_the_same_order(admin_client, text):
    page_order = [
        code.code for code in admin_client.get("/search/", {"q": text}).context["page"].object_list
    ]
    typeahead = admin_client.get("/api/search", {"terms": text, "maxList": 50}).json()[1]
    admin_page = admin_client.get("/admin/codes/codeprocedure/", {"q": text})
    admin_order = [code.code for code in admin_page.context["cl"].result_list]
    assert page_order  # a search that finds nothing would prove nothing
    assert admin_order == page_order
    # The typeahead completes the last word as a prefix, so it may find more; in the
    # page's order otherwise.
    assert [code for code in typeahead if code in page_order] == page_order


def test_the_admin_keeps_a_column_order_the_editor_chose(admin_client):
    response = admin_client.get("/admin/codes/codeprocedure/", {"q": "nerve graft", "o": "1"})
    listed = [code.code for code in response.context["cl"].result_list]
    assert listed == sorted(listed)
