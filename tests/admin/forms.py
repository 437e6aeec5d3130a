"""Build the POST data the admin's change form would send, from the page itself."""


def field_value(form, name, field):
    value = form.initial.get(name, field.initial)
    if isinstance(value, list | tuple):
        return [getattr(item, "pk", item) for item in value]
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, bool):
        return "on" if value else None
    if value is None:
        return None
    formatted = field.widget.format_value(value)
    if isinstance(formatted, list) and not getattr(field.widget, "allow_multiple_selected", 0):
        return formatted[0] if formatted else None
    return formatted


def form_data(response):
    """Return the data of an admin change form as the browser would submit it unchanged."""
    data = {}
    admin_form = response.context["adminform"].form
    for name, field in admin_form.fields.items():
        data[name] = field_value(admin_form, name, field)
    for inline in response.context.get("inline_admin_formsets", []):
        formset = inline.formset
        prefix = formset.prefix
        data[f"{prefix}-TOTAL_FORMS"] = str(len(formset.forms))
        data[f"{prefix}-INITIAL_FORMS"] = str(formset.initial_form_count())
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "1000"
        for index, form in enumerate(formset.forms):
            for name, field in form.fields.items():
                data[f"{prefix}-{index}-{name}"] = field_value(form, name, field)
    return {key: value for key, value in data.items() if value not in (None, "")}
