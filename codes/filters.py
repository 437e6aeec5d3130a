"""Search facets: parsed and validated by django-filter.

The FilterSet is complete on its own (`.qs` filters a queryset through the ORM, and the
tests hold it to the same results as the page); the search page applies and counts the
same selections with the in-memory index (`codes.search.engine`), which stays fast when
a word matches tens of thousands of codes.
"""

from dataclasses import dataclass

import django_filters
from django.http import QueryDict

from codes.models import (
    CodeProcedure,
    CodeStatus,
    InpatientOnly,
    Modifier,
    Nerve,
    PlaceOfService,
    Section,
    Specialty,
)
from codes.search import MAX_QUERY_LENGTH
from codes.search.engine import SortOrder


class CodeSearchFilter(django_filters.FilterSet):
    """The facets of the search page. Values within a facet widen (any of them); facets
    narrow each other."""

    # The text itself is searched by codes.search; declared here so it is validated.
    q = django_filters.CharFilter(
        method="keep_all",
        label="Search",
        # Longer text is cut to MAX_QUERY_LENGTH with a note, not refused; this cap
        # only stops absurd payloads.
        max_length=MAX_QUERY_LENGTH * 50,
    )
    specialty = django_filters.ModelMultipleChoiceFilter(
        field_name="specialties__slug",
        to_field_name="slug",
        queryset=Specialty.objects.all(),
        label="Specialty",
        distinct=True,
    )
    nerve = django_filters.ModelMultipleChoiceFilter(
        field_name="nerves__slug",
        to_field_name="slug",
        queryset=Nerve.objects.all(),
        label="Nerve",
        distinct=True,
    )
    modifier = django_filters.ModelMultipleChoiceFilter(
        field_name="code_modifiers__modifier__code",
        to_field_name="code",
        queryset=Modifier.objects.all(),
        label="Modifier",
        distinct=True,
    )
    place = django_filters.ModelMultipleChoiceFilter(
        field_name="places_of_service__code",
        to_field_name="code",
        queryset=PlaceOfService.objects.all(),
        label="Place of service",
        distinct=True,
    )
    section = django_filters.ModelMultipleChoiceFilter(
        field_name="section__slug",
        queryset=Section.objects.all(),
        to_field_name="slug",
        label="Section",
        distinct=False,
    )
    status = django_filters.MultipleChoiceFilter(
        field_name="status", choices=CodeStatus.choices, label="Code status"
    )
    add_on = django_filters.TypedChoiceFilter(
        field_name="is_add_on",
        choices=[("yes", "Add-on codes"), ("no", "Primary codes")],
        coerce=lambda value: value == "yes",
        label="Add-on",
    )
    inpatient_only = django_filters.MultipleChoiceFilter(
        field_name="inpatient_only", choices=InpatientOnly.choices, label="CMS inpatient-only"
    )
    sort = django_filters.ChoiceFilter(
        method="keep_all", choices=SortOrder.CHOICES, label="Sort by", empty_label=None
    )
    page = django_filters.NumberFilter(
        method="keep_all", label="Page", min_value=1, max_value=100_000
    )

    class Meta:
        model = CodeProcedure
        fields = []

    def keep_all(self, queryset, name, value):
        """Parameters the view applies itself (text, sort, page) filter nothing here."""
        return queryset


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    query: object  # the QueryDict that toggles this value

    @property
    def href(self):
        return f"?{self.query.urlencode()}"


@dataclass
class Facet:
    name: str
    label: str
    values: list

    @property
    def has_selection(self):
        return any(value.selected for value in self.values)


# Facets whose values are codes a coder knows by heart (modifier 22, place 21).
CODED_FACETS = {"modifier", "place"}
FACET_ORDER = ["specialty", "nerve", "modifier", "place", "section", "status", "add_on",
               "inpatient_only"]  # fmt: skip


def selections(filterset):
    """Return {facet name: the values chosen for it, as in the query string}."""
    return {name: selected_values(filterset, name) for name in FACET_ORDER}


def facet_counts(filterset, chosen, found, query_params):
    """Turn the engine's counts into the facets the page shows: values with codes, and
    every selected value (`chosen`, from `selections`), selected first, then by count."""
    facets = []
    for name in FACET_ORDER:
        values = found.index.facets[name].values
        selected = chosen[name]
        shown = []
        for param, label, count in zip(
            values.params, values.labels, found.counts[name], strict=True
        ):
            if not count and param not in selected:
                continue
            shown.append(
                FacetValue(
                    value=param,
                    label=f"{param} {label}" if name in CODED_FACETS else (label or param),
                    count=int(count),
                    selected=param in selected,
                    query=toggled(query_params, name, param, selected),
                )
            )
        shown.sort(key=lambda v: (not v.selected, -v.count, v.label.lower()))
        facets.append(Facet(name=name, label=filterset.filters[name].label, values=shown))
    return facets


def selected_values(filterset, name):
    """Return the selected values of a facet as they appear in the query string."""
    value = filterset.form.cleaned_data.get(name)
    if value in (None, ""):
        return set()
    if name == "add_on":
        return {"yes" if value else "no"}
    key = getattr(filterset.filters[name].field, "to_field_name", None)
    return {str(getattr(item, key) if key else item) for item in value}


def toggled(query_params, name, value, selected):
    """Return the query string parameters with `value` added to or removed from a facet.

    Built afresh rather than with QueryDict.copy(), a deep copy: a page has a hundred
    facet links, and the copies were a tenth of its time.
    """
    if name == "add_on":
        # One value at a time: a code is either an add-on or not.
        current = [] if value in selected else [value]
    else:
        current = [v for v in query_params.getlist(name) if v != value]
        if value not in selected:
            current.append(value)
    params = QueryDict(mutable=True)
    for key, values in query_params.lists():
        if key not in {name, "page"}:
            params.setlist(key, values)
    if current:
        params.setlist(name, current)
    return params


def remove_all_facets(query_params):
    params = query_params.copy()
    for name in [*FACET_ORDER, "page"]:
        params.pop(name, None)
    return params
