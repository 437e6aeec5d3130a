"""The search document now holds the titles of each code's supporting diagnoses
(codes/search/schema.py, DOCUMENT["terms"]: DiagnosisText). Nothing in the storage changes;
this migration exists so that every database's next `migrate` installs the new triggers
(on codes_supportingdiagnosis) and rebuilds the index (they are installed after any migrate
that applies something)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("codes", "0021_supporting_diagnosis_permissions"),
    ]

    operations = []
