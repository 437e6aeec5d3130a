"""The search document now holds each code's clinical examples (codes/search/schema.py,
DOCUMENT["body"]). Nothing in the storage changes; this migration exists so that every
database's next `migrate` installs the new triggers and rebuilds the index (they are
installed after any migrate that applies something)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("codes", "0013_revision_permissions"),
    ]

    operations = []
