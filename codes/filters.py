"""Search facets: parsed and validated by django-filter, counted in grouped queries."""

from dataclasses import dataclass

import django_filters
from django.db.models import Count

from codes.models import (
    CodeModifier,
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


class LinkedFacetFilter(django_filters.ModelMultipleChoiceFilter):
    """Keep the codes linked to any chosen row, through a subquery on the link table.

    A join would repeat a code once per matching link and need DISTINCT; the subquery
    (`id IN (SELECT code FROM links WHERE target IN ...)`) does neither.
    """

    def __init__(self, *args, link_model, code_column, target_column, **kwargs):
        super().__init__(*args, distinct=False, **kwargs)
        self.link_model = link_model
        self.code_column = code_column
        self.target_column = target_column

    def filter(self, qs, value):
        if not value:
            return qs
        links = self.link_model.objects.filter(**{f"{self.target_column}__in": value})
        return qs.filter(pk__in=links.values(self.code_column))


SPECIALTY_LINKS = CodeProcedure.specialties.through
NERVE_LINKS = CodeProcedure.nerves.through
PLACE_LINKS = CodeProcedure.places_of_service.through


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
    specialty = LinkedFacetFilter(
        to_field_name="slug",
        queryset=Specialty.objects.all(),
        label="Specialty",
        link_model=SPECIALTY_LINKS,
        code_column="codeprocedure_id",
        target_column="specialty",
    )
    nerve = LinkedFacetFilter(
        to_field_name="slug",
        queryset=Nerve.objects.all(),
        label="Nerve",
        link_model=NERVE_LINKS,
        code_column="codeprocedure_id",
        target_column="nerve",
    )
    modifier = LinkedFacetFilter(
        to_field_name="code",
        queryset=Modifier.objects.all(),
        label="Modifier",
        link_model=CodeModifier,
        code_column="code_id",
        target_column="modifier",
    )
    place = LinkedFacetFilter(
        to_field_name="code",
        queryset=PlaceOfService.objects.all(),
        label="Place of service",
        link_model=PLACE_LINKS,
        code_column="codeprocedure_id",
        target_column="placeofservice",
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


# Facets counted over a link table: (link model, its code column, value, label).
LINK_FACETS = {
    "specialty": (SPECIALTY_LINKS, "codeprocedure_id", "specialty__slug", "specialty__name"),
    "nerve": (NERVE_LINKS, "codeprocedure_id", "nerve__slug", "nerve__name"),
    "modifier": (CodeModifier, "code_id", "modifier__code", "modifier__name"),
    "place": (PLACE_LINKS, "codeprocedure_id", "placeofservice__code", "placeofservice__name"),
}
# Facets counted over a column of the code itself: (value column, label column or labels).
COLUMN_FACETS = {
    "section": ("section__slug", "section__name"),
    "status": ("status", dict(CodeStatus.choices)),
    "add_on": ("is_add_on", {True: "Add-on codes", False: "Primary codes"}),
    "inpatient_only": ("inpatient_only", dict(InpatientOnly.choices)),
}
# Facets whose values are codes a coder knows by heart (modifier 22, place 21).
CODED_FACETS = {"modifier", "place"}
FACET_ORDER = ["specialty", "nerve", "modifier", "place", "section", "status", "add_on",
               "inpatient_only"]  # fmt: skip


def link_counts(scoped, facet_name):
    """Return [(value, label, count)] for a facet counted over its link table.

    Each link row is unique per (code, target), so a plain COUNT is exact.
    """
    link_model, code_column, value_column, label_column = LINK_FACETS[facet_name]
    rows = (
        link_model.objects.filter(**{f"{code_column}__in": scoped.values("pk")})
        .values(value_column, label_column)
        .annotate(count=Count("pk"))
        .order_by()
    )
    return [(row[value_column], row[label_column], row["count"]) for row in rows]


def column_counts(scoped, facet_names):
    """Return {facet: [(value, label, count)]} for column facets, in one grouped query."""
    columns = []
    for name in facet_names:
        value_column, label_source = COLUMN_FACETS[name]
        columns.append(value_column)
        if isinstance(label_source, str):
            columns.append(label_source)
    totals = {name: {} for name in facet_names}
    for row in scoped.values(*columns).annotate(count=Count("pk")).order_by():
        for name in facet_names:
            value_column, label_source = COLUMN_FACETS[name]
            value = row[value_column]
            label = row[label_source] if isinstance(label_source, str) else label_source.get(value)
            previous = totals[name].get(value, (label, 0))
            totals[name][value] = (label, previous[1] + row["count"])
    return {
        name: [(value, label, count) for value, (label, count) in values.items()]
        for name, values in totals.items()
    }


def facet_counts(filterset, matching, query_params):
    """Count each facet's values over the matches filtered by every other facet.

    A grouped query per link facet, and one for all the column facets that have nothing
    selected (they share the same scope); a selected column facet gets its own. The
    number of queries never depends on the number of results or values.
    """
    selected_by_facet = {name: selected_values(filterset, name) for name in FACET_ORDER}
    counted = {}
    for name in LINK_FACETS:
        counted[name] = link_counts(filterset.filter_except(matching, name), name)
    shared = [name for name in COLUMN_FACETS if not selected_by_facet[name]]
    if shared:
        counted.update(column_counts(filterset.filter_except(matching, None), shared))
    for name in COLUMN_FACETS:
        if name not in shared:
            counted.update(column_counts(filterset.filter_except(matching, name), [name]))

    facets = []
    for name in FACET_ORDER:
        selected = selected_by_facet[name]
        values = []
        for raw_value, label, count in counted[name]:
            if raw_value is None:
                continue
            value = facet_param(name, raw_value)
            if name in CODED_FACETS:
                label = f"{value} {label}"
            values.append(
                FacetValue(
                    value=value,
                    label=label or value,
                    count=count,
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
    for name in [*FACET_ORDER, "page"]:
        params.pop(name, None)
    return params
