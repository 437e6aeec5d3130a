"""What the admin does with input no browser of ours would send.

A forged or mistyped request to the admin must get a page with a message, never a 500:
Django's admin turns an action's selection into `pk__in=[...]` and an autocomplete
widget's value into a query as they arrive, so a value that is not an id ("x") raised
ValueError. Every admin and inline of the app takes these in (tests/test_fuzz_admin.py).
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from simple_history.admin import SimpleHistoryAdmin


def holds(field, value):
    """Whether a model field can hold the value as submitted (a whole number within the
    64 bits both databases store: a larger one overflows SQLite's INTEGER)."""
    try:
        python = field.to_python(value)
    except (ValidationError, ValueError, TypeError):
        return False
    return not isinstance(python, int) or -(2**63) <= python < 2**63


class OnlyValidChoices:
    """An autocomplete widget that shows again only the submitted values that can be ids
    (the form itself refuses the rest, with its own message)."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        options = remote.model._meta
        target = options.get_field(getattr(remote, "field_name", None) or options.pk.name)
        value = [item for item in value if item == "" or holds(target, item)]
        return super().optgroups(name, value, attr)


class ValidatedAutocompleteSelect(OnlyValidChoices, AutocompleteSelect):
    pass


class ValidatedAutocompleteSelectMultiple(OnlyValidChoices, AutocompleteSelectMultiple):
    pass


class ValidatedInput:
    """For admins and inlines: autocomplete widgets that never query with a non-id."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = ValidatedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = ValidatedAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ValidatedActions:
    """For model admins: an action's selection must be ids of the list's rows."""

    def response_action(self, request, queryset):
        key = self.model._meta.pk
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not all(holds(key, value) for value in selected):
            self.message_user(
                request,
                "The selection holds something that is not a row of this list; "
                "tick the rows again.",
                messages.WARNING,
            )
            return None
        return super().response_action(request, queryset)


class ValidatedHistoryAdmin(ValidatedActions, ValidatedInput, SimpleHistoryAdmin):
    pass


class ValidatedStackedInline(ValidatedInput, admin.StackedInline):
    pass


class ValidatedTabularInline(ValidatedInput, admin.TabularInline):
    pass
