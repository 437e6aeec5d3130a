"""Every role may view revisions (their own and the review queue); approving one takes the
publish permission the Reviewers and Administrators already hold. Administrators may see
and lift log-in lockouts (django-axes' access attempts)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES_GIVEN = ["Editors", "Reviewers", "Administrators"]
CODENAME = "view_revision"
LOCKOUT_CODENAMES = ["view_accessattempt", "delete_accessattempt"]


def grant(apps, schema_editor):
    using = schema_editor.connection.alias
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=using)
        app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    permission = Permission.objects.using(using).get(
        codename=CODENAME, content_type__app_label="codes"
    )
    for group in Group.objects.using(using).filter(name__in=ROLES_GIVEN):
        group.permissions.add(permission)
    lockouts = Permission.objects.using(using).filter(
        codename__in=LOCKOUT_CODENAMES, content_type__app_label="axes"
    )
    for group in Group.objects.using(using).filter(name="Administrators"):
        group.permissions.add(*lockouts)


def take_back(apps, schema_editor):
    using = schema_editor.connection.alias
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    for permission in Permission.objects.using(using).filter(
        codename=CODENAME, content_type__app_label="codes"
    ):
        for group in Group.objects.using(using).filter(name__in=ROLES_GIVEN):
            group.permissions.remove(permission)
    lockouts = Permission.objects.using(using).filter(
        codename__in=LOCKOUT_CODENAMES, content_type__app_label="axes"
    )
    for group in Group.objects.using(using).filter(name="Administrators"):
        group.permissions.remove(*lockouts)


class Migration(migrations.Migration):
    dependencies = [
        ("codes", "0012_revisions"),
        ("axes", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant, take_back)]
