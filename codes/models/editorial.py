"""Editorial bookkeeping: what the fixture loader has seeded (and, later, revisions and
reviews)."""

from django.db import models


class SeededRecord(models.Model):
    """A fixture row the loader has created once.

    The loader never creates a row twice, so a row an editor deleted on purpose stays
    deleted when set-up runs again.
    """

    model_label = models.CharField(max_length=100)
    natural_key = models.CharField(max_length=300)
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["model_label", "natural_key"], name="seededrecord_unique_key"
            ),
        ]

    def __str__(self):
        return f"{self.model_label} {self.natural_key}"
