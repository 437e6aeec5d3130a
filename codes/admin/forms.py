"""What every editors' form shares: text normalised as it is stored, and a change note."""

from django import forms
from django.db import models

from codes.models.text import normalised_text


class NormalisedCharField(forms.CharField):
    """A text field that reads what was typed as it will be stored (LF line endings, no
    trailing spaces), and compares it with the stored text the same way: a browser's CR LF
    alone is never a change."""

    def to_python(self, value):
        return normalised_text(super().to_python(value))

    def has_changed(self, initial, data):
        return normalised_text(initial or "") != self.to_python(data)


# For ModelAdmin.formfield_overrides: merged with the admin's own widgets. The admin looks a
# field's class up along its MRO, so the CharField subclasses with form fields of their own
# (slugs; URLs and e-mail addresses are in the admin's own defaults) are named to keep them.
NORMALISED_TEXT = {
    models.TextField: {"form_class": NormalisedCharField},
    models.CharField: {"form_class": NormalisedCharField},
    models.SlugField: {},
}

CHANGE_NOTE_HELP = (
    "What you changed and why, in a sentence (for example: 'Summary says the graft is "
    "autologous, per the 2024 source'). It is kept in the history and shown to the reviewer."
)


class ChangeNoteForm(forms.ModelForm):
    """A model form with the change note every save carries."""

    change_note = forms.CharField(
        max_length=200, required=True, help_text=CHANGE_NOTE_HELP, label="Change note"
    )

    def clean_change_note(self):
        return normalised_text(self.cleaned_data["change_note"])
