"""The catalogue version is called the catalogue generation: "version" now means only a
code's edit version. The table keeps its name (codes_catalogueversion), so nothing in the
database changes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("codes", "0009_search_parts"),
    ]

    operations = [
        migrations.RenameModel(old_name="CatalogueVersion", new_name="CatalogueGeneration"),
    ]
