"""Editors, Reviewers and Administrators edit a code's supporting diagnoses (an inline of
the code, reviewed like its other rows): add, change, delete and view them. The codenames
are as they stood when this migration was written."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES_GIVEN = ["Editors", "Reviewers", "Administrators"]
CODENAMES = [
    f"{action}_supportingdiagnosis" for action in ("add", "change", "delete", "view")
]


def grant(apps, schema_editor):
    using = schema_editor.connection.alias
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=using)
        app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    permissions = Permission.objects.using(using).filter(
        codename__in=CODENAMES, content_type__app_label="codes"
    )
    for group in Group.objects.using(using).filter(name__in=ROLES_GIVEN):
        group.permissions.add(*permissions)


def take_back(apps, schema_editor):
    using = schema_editor.connection.alias
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    permissions = Permission.objects.using(using).filter(
        codename__in=CODENAMES, content_type__app_label="codes"
    )
    for group in Group.objects.using(using).filter(name__in=ROLES_GIVEN):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("codes", "0019_icd10cm"),
    ]

    operations = [migrations.RunPython(grant, take_back)]
