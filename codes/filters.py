"""Search facets: parsed and validated by django-filter, counted in grouped queries."""

from dataclasses import dataclass

import django_filters
from django.db.models import Count

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


class SortOrder:
    RELEVANCE = "relevance"
    CODE = "code"
    CHOICES = [(RELEVANCE, "Best match"), (CODE, "Code")]


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
    )
    nerve = django_filters.ModelMultipleChoiceFilter(
        field_name="nerves__slug",
        to_field_name="slug",
        queryset=Nerve.objects.all(),
        label="Nerve",
    )
    modifier = django_filters.ModelMultipleChoiceFilter(
        field_name="code_modifiers__modifier__code",
        to_field_name="code",
        queryset=Modifier.objects.all(),
        label="Modifier",
    )
    place = django_filters.ModelMultipleChoiceFilter(
        field_name="places_of_service__code",
        to_field_name="code",
        queryset=PlaceOfService.objects.all(),
        label="Place of service",
    )
    section = django_filters.ModelMultipleChoiceFilter(
        field_name="section__slug",
        to_field_name="slug",
        queryset=Section.objects.all(),
        label="Section",
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

    def filter_except(self, queryset, facet_name):
        """Apply every selected facet except one (for that facet's own counts)."""
        for name, value in self.form.cleaned_data.items():
            if name != facet_name and name not in NOT_FACETS:
                # Each filter returns the queryset untouched for an empty value.
                queryset = self.filters[name].filter(queryset, value)
        return queryset


NOT_FACETS = {"q", "sort", "page"}


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    query: object  # the QueryDict that toggles this value


@dataclass
class Facet:
    name: str
    label: str
    values: list

    @property
    def has_selection(self):
        return any(value.selected for value in self.values)


# How to group each facet: (value column, label column or a choices mapping).
FACET_GROUPING = {
    "specialty": ("specialties__slug", "specialties__name"),
    "nerve": ("nerves__slug", "nerves__name"),
    "modifier": ("code_modifiers__modifier__code", "code_modifiers__modifier__name"),
    "place": ("places_of_service__code", "places_of_service__name"),
    "section": ("section__slug", "section__name"),
    "status": ("status", dict(CodeStatus.choices)),
    "add_on": ("is_add_on", {True: "Add-on codes", False: "Primary codes"}),
    "inpatient_only": ("inpatient_only", dict(InpatientOnly.choices)),
}


def facet_counts(filterset, matching, query_params):
    """Count each facet's values over the matches filtered by every other facet.

    One grouped query per facet, whatever the number of results or values.
    """
    facets = []
    for name, (value_column, label_source) in FACET_GROUPING.items():
        scoped = filterset.filter_except(matching, name).order_by()
        if isinstance(label_source, dict):
            rows = scoped.values(value_column).annotate(count=Count("pk", distinct=True))
            rows = [(row[value_column], label_source.get(row[value_column]), row) for row in rows]
        else:
            rows = scoped.values(value_column, label_source).annotate(
                count=Count("pk", distinct=True)
            )
            rows = [(row[value_column], row[label_source], row) for row in rows]
        selected = selected_values(filterset, name)
        values = []
        for raw_value, label, row in rows:
            if raw_value is None:
                continue
            value = facet_param(name, raw_value)
            values.append(
                FacetValue(
                    value=value,
                    label=label or value,
                    count=row["count"],
                    selected=value in selected,
                    query=toggled(query_params, name, value, selected),
                )
            )
        values.sort(key=lambda v: (not v.selected, -v.count, v.label.lower()))
        facets.append(Facet(name=name, label=filterset.filters[name].label, values=values))
    return facets


def facet_param(name, raw_value):
    if name == "add_on":
        return "yes" if raw_value else "no"
    return str(raw_value)


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
    """Return the query string parameters with `value` added to or removed from a facet."""
    params = query_params.copy()
    params.pop("page", None)
    if name == "add_on":
        # One value at a time: a code is either an add-on or not.
        if value in selected:
            params.pop(name, None)
        else:
            params[name] = value
        return params
    current = [v for v in params.getlist(name) if v != value]
    if value not in selected:
        current.append(value)
    if current:
        params.setlist(name, current)
    else:
        params.pop(name, None)
    return params


def remove_all_facets(query_params):
    params = query_params.copy()
    for name in [*FACET_GROUPING, "page"]:
        params.pop(name, None)
    return params
