"""The search page's facets, each declared once in `FACETS`.

A declaration names the facet's URL parameter, its label, what it reads and how its values
are shown. Everything else is derived from the declarations, in this order on the page:

- `CodeSearchFilter`, the django-filter FilterSet that validates the query string (its
  `.qs` filters through the ORM; the tests hold it to the engine's results);
- the in-memory facet index (`facet_index.CatalogueIndex`), which reads each facet's
  (code id, value) pairs and vocabulary through its source;
- the facet lists the page shows (`shown_facets`) and their toggle links;
- the page cache's known query parameters (`codes.cache`).

Adding a facet is one `Facet(...)` in `FACETS` plus its test; docs/architecture.md says how.
"""

from dataclasses import dataclass

import django_filters
from django.db.models import Case, Exists, F, OuterRef, Subquery, Value, When
from django.http import QueryDict

from codes.cms.indicators import GLOBAL_DAYS, STATUS
from codes.models import CodeProcedure, CodeStatus, InpatientOnly
from codes.search.links import resolve
from codes.search.query import MAX_QUERY_LENGTH, SortOrder

# Sources: what a facet reads ---------------------------------------------------------------


@dataclass(frozen=True)
class LinkedVocabulary:
    """Values a code links to, many per code: `path` is the ORM path from a code to the
    vocabulary row (`specialties`, `code_modifiers__modifier`)."""

    path: str
    value_field: str  # the value as it appears in the query string
    label_field: str

    def link(self):
        return resolve(self.path)

    def pairs(self, using):
        """A queryset of (pair_code_id, pair_stored) rows: every link, stored as the
        vocabulary row's id."""
        link = self.link()
        return link.link_model.objects.using(using).annotate(
            pair_code_id=F(link.code_column), pair_stored=F(link.target_column)
        )

    def vocabulary(self, using):
        """(stored, query-string value, label) for every value, in the vocabulary's order."""
        manager = self.link().vocabulary_model.objects.using(using)
        return list(manager.values_list("pk", self.value_field, self.label_field))

    def filter(self, label):
        return django_filters.ModelMultipleChoiceFilter(
            field_name=f"{self.path}__{self.value_field}",
            to_field_name=self.value_field,
            queryset=self.link().vocabulary_model.objects.all(),
            label=label,
            distinct=True,
        )

    def selected_params(self, cleaned):
        return {str(getattr(item, self.value_field)) for item in cleaned}

    def tables(self):
        """The tables this facet reads (their changes move the catalogue generation)."""
        link = self.link()
        return {link.table, link.vocabulary_table}


@dataclass(frozen=True)
class ColumnVocabulary(LinkedVocabulary):
    """A code's own foreign key to a vocabulary (`section`), one value per code."""

    def filter(self, label):
        declared = super().filter(label)
        declared.distinct = False  # one row per code: no duplicates to remove
        return declared


@dataclass(frozen=True)
class ColumnChoices:
    """A column of the code with a fixed list of values: (stored, query-string value,
    label) each. `single`: one value at a time (a code is an add-on or it is not)."""

    column: str
    choices: tuple
    single: bool = False

    def vocabulary(self, using):
        return list(self.choices)

    def filter(self, label):
        choices = [(param, choice_label) for _, param, choice_label in self.choices]
        stored_of = {param: stored for stored, param, _ in self.choices}
        if self.single:
            return django_filters.TypedChoiceFilter(
                field_name=self.column, choices=choices, coerce=stored_of.get, label=label
            )
        return django_filters.TypedMultipleChoiceFilter(
            field_name=self.column, choices=choices, coerce=stored_of.get, label=label
        )

    def selected_params(self, cleaned):
        param_of = {stored: param for stored, param, _ in self.choices}
        values = [cleaned] if self.single else cleaned
        return {param_of[value] for value in values}

    def tables(self):
        return {CodeProcedure._meta.db_table}


@dataclass(frozen=True)
class FeeScheduleColumn:
    """A column of each code's row in the Physician Fee Schedule release in effect (the row
    without a modifier), with CMS's values: (value, label) each. A code the release does not
    list has no value."""

    column: str
    choices: tuple

    def rows(self, using):
        from codes.models import FeeScheduleRow, Release

        # A subquery, not a query of its own: the release in effect is read with the rows.
        current = Release.objects.using(using).in_effect().values("pk")[:1]
        return FeeScheduleRow.objects.using(using).filter(release=Subquery(current), modifier="")

    def pairs(self, using):
        """(pair_code_id, pair_stored) for each code the release lists, stored as the
        position of its value among the choices (-1 for a value not among them). Read from
        the release's rows: there are fewer of them than codes in a large catalogue."""
        code_id = CodeProcedure.objects.using(using).filter(code=OuterRef("hcpcs")).values("pk")
        position = Case(
            *(
                When(**{self.column: value}, then=Value(number))
                for number, (value, _) in enumerate(self.choices)
            ),
            default=Value(-1),
        )
        return (
            self.rows(using)
            .annotate(pair_code_id=Subquery(code_id[:1]), pair_stored=position)
            .filter(pair_code_id__isnull=False)
        )

    def vocabulary(self, using):
        return [(number, value, label) for number, (value, label) in enumerate(self.choices)]

    def filter(self, label):
        def in_release(queryset, name, values):
            if not values:
                return queryset
            listed = self.rows(queryset.db).filter(**{f"{self.column}__in": values})
            return queryset.filter(code__in=listed.values("hcpcs"))

        return django_filters.MultipleChoiceFilter(
            choices=list(self.choices), label=label, method=in_release
        )

    def selected_params(self, cleaned):
        return set(cleaned)

    def tables(self):
        return {"codes_feeschedulerow", "codes_release"}


@dataclass(frozen=True)
class AddOnList:
    """Whether CMS's add-on code list in effect names the code as an add-on: `yes` for the
    codes it lists, `no` for every other code; no value for any code while no list is
    imported. Read from the list's own small table, never from the PTP edits (triggers on
    a table of millions of rows would slow every import)."""

    single = True
    choices = ((1, "yes", "Add-on codes"), (0, "no", "Primary codes"))

    def release(self, using):
        from codes.models import Release, ReleaseKind

        return Release.objects.using(using).in_effect(ReleaseKind.ADD_ON).values("pk")[:1]

    def listed(self, using):
        from codes.models import AddOnEdit

        return AddOnEdit.objects.using(using).filter(release=Subquery(self.release(using)))

    def pairs(self, using):
        listed = self.listed(using).filter(add_on=OuterRef("code"))
        return (
            CodeProcedure.objects.using(using)
            .filter(Exists(self.release(using)))
            .annotate(
                pair_code_id=F("pk"),
                pair_stored=Case(When(Exists(listed), then=Value(1)), default=Value(0)),
            )
        )

    def vocabulary(self, using):
        return list(self.choices)

    def filter(self, label):
        def on_list(queryset, name, value):
            listed = self.listed(queryset.db).values("add_on")
            if value:
                return queryset.filter(code__in=listed)
            return queryset.filter(Exists(self.release(queryset.db))).exclude(code__in=listed)

        return django_filters.TypedChoiceFilter(
            choices=[(param, label_) for _, param, label_ in self.choices],
            coerce={"yes": True, "no": False}.get,
            method=on_list,
            label=label,
        )

    def selected_params(self, cleaned):
        return {"yes" if cleaned else "no"}

    def tables(self):
        return {CodeProcedure._meta.db_table, "codes_addonedit", "codes_release"}


def choices_of(text_choices):
    """(stored, query-string value, label) for a TextChoices: the value is the stored one."""
    return tuple((value, value, label) for value, label in text_choices.choices)


# The declarations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Facet:
    """One facet of the search page. `coded`: its values are codes a coder knows by heart
    (modifier 22, place 21), shown before their names."""

    param: str
    label: str
    source: object
    coded: bool = False

    @property
    def single(self):
        return getattr(self.source, "single", False)


GLOBAL_PERIOD_LABELS = {
    "000": "days",
    "010": "days",
    "090": "days",
    "ZZZ": "add-on, the primary's period",
    "XXX": "does not apply",
    "YYY": "set by the contractor",
    "MMM": "maternity",
}
assert set(GLOBAL_PERIOD_LABELS) == set(GLOBAL_DAYS)  # every value CMS uses, labelled

# In the order the page shows them.
FACETS = (
    Facet("specialty", "Specialty", LinkedVocabulary("specialties", "slug", "name")),
    Facet("nerve", "Nerve", LinkedVocabulary("nerves", "slug", "name")),
    Facet(
        "modifier",
        "Modifier",
        LinkedVocabulary("code_modifiers__modifier", "code", "name"),
        coded=True,
    ),
    Facet(
        "place",
        "Place of service",
        LinkedVocabulary("places_of_service", "code", "name"),
        coded=True,
    ),
    Facet("section", "Section", ColumnVocabulary("section", "slug", "name")),
    Facet("status", "Code status", ColumnChoices("status", choices_of(CodeStatus))),
    Facet("add_on", "Add-on (CMS list)", AddOnList()),
    Facet(
        "inpatient_only",
        "CMS inpatient-only",
        ColumnChoices("inpatient_only", choices_of(InpatientOnly)),
    ),
    Facet(
        "global_period",
        "Medicare global period",
        FeeScheduleColumn("global_days", tuple(GLOBAL_PERIOD_LABELS.items())),
        coded=True,
    ),
    Facet(
        "medicare_status",
        "Medicare status",
        FeeScheduleColumn(
            "status", tuple((letter, words.split(":")[0]) for letter, words in STATUS.items())
        ),
        coded=True,
    ),
)
FACETS_BY_PARAM = {facet.param: facet for facet in FACETS}

# Query parameters the search page reads besides its facets.
QUERY_PARAM, SORT_PARAM, PAGE_PARAM = "q", "sort", "page"
SEARCH_PARAMETERS = frozenset([QUERY_PARAM, SORT_PARAM, PAGE_PARAM, *FACETS_BY_PARAM])


# The FilterSet ------------------------------------------------------------------------------


class SearchFilterBase(django_filters.FilterSet):
    """The text, sort and page, validated here and applied by the search itself."""

    q = django_filters.CharFilter(
        method="keep_all",
        label="Search",
        # Longer text is cut to MAX_QUERY_LENGTH with a note, not refused; this cap only
        # stops absurd payloads.
        max_length=MAX_QUERY_LENGTH * 50,
    )
    sort = django_filters.ChoiceFilter(
        method="keep_all", choices=SortOrder.choices, label="Sort by", empty_label=None
    )
    page = django_filters.NumberFilter(
        method="keep_all", label="Page", min_value=1, max_value=100_000
    )

    class Meta:
        model = CodeProcedure
        fields = []

    def keep_all(self, queryset, name, value):
        """Parameters the search applies itself (text, sort, page) filter nothing here."""
        return queryset

    def get_form_class(self):
        """The form class, built once per FilterSet class. django-filter builds a new one,
        with new fields, for every instance: a search request spent more time there than in
        validating its few parameters. Sharing it is safe: every form copies its class's
        fields (and a model field's queryset) when it is made, as any Django form does."""
        cls = type(self)
        form_class = cls.__dict__.get("_shared_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            cls._shared_form_class = form_class
        return form_class

    def selections(self):
        """{facet parameter: the values chosen for it, as in the query string}."""
        cleaned = self.form.cleaned_data
        chosen = {}
        for facet in FACETS:
            value = cleaned.get(facet.param)
            empty = value is None or value == "" or (not facet.single and not value)
            chosen[facet.param] = set() if empty else facet.source.selected_params(value)
        return chosen


# Values within a facet widen (any of them); facets narrow each other.
CodeSearchFilter = type(
    "CodeSearchFilter",
    (SearchFilterBase,),
    {facet.param: facet.source.filter(facet.label) for facet in FACETS},
)


# What the page shows -------------------------------------------------------------------------


@dataclass
class ShownValue:
    value: str
    label: str
    count: int
    selected: bool
    query: QueryDict  # the query string that toggles this value

    @property
    def href(self):
        return f"?{self.query.urlencode()}"


@dataclass
class ShownFacet:
    name: str
    label: str
    values: list

    @property
    def has_selection(self):
        return any(value.selected for value in self.values)


def shown_facets(chosen, found, query_params):
    """Turn the engine's counts into the facets the page shows: values with codes, and
    every selected value (`chosen`, from `selections()`), selected first, then by count."""
    facets = []
    for facet in FACETS:
        values = found.index.facets[facet.param].values
        selected = chosen[facet.param]
        shown = []
        for param, label, count in zip(
            values.params, values.labels, found.counts[facet.param], strict=True
        ):
            if not count and param not in selected:
                continue
            shown.append(
                ShownValue(
                    value=param,
                    label=f"{param} {label}" if facet.coded else (label or param),
                    count=int(count),
                    selected=param in selected,
                    query=toggled(query_params, facet, param, selected),
                )
            )
        shown.sort(key=lambda v: (not v.selected, -v.count, v.label.lower()))
        facets.append(ShownFacet(name=facet.param, label=facet.label, values=shown))
    return facets


def toggled(query_params, facet, value, selected):
    """Return the query string parameters with `value` added to or removed from a facet.

    Built afresh rather than with QueryDict.copy(), a deep copy: a page has a hundred
    facet links, and the copies were a tenth of its time.
    """
    name = facet.param
    if facet.single:
        current = [] if value in selected else [value]
    else:
        current = [v for v in query_params.getlist(name) if v != value]
        if value not in selected:
            current.append(value)
    params = QueryDict(mutable=True)
    for key, values in query_params.lists():
        if key not in {name, PAGE_PARAM}:
            params.setlist(key, values)
    if current:
        params.setlist(name, current)
    return params


def without_facets(query_params):
    """The query string with every facet (and the page) taken off."""
    params = query_params.copy()
    for name in [*FACETS_BY_PARAM, PAGE_PARAM]:
        params.pop(name, None)
    return params


__all__ = [
    "FACETS",
    "SEARCH_PARAMETERS",
    "CodeSearchFilter",
    "Facet",
    "ShownFacet",
    "ShownValue",
    "shown_facets",
    "toggled",
    "without_facets",
]
