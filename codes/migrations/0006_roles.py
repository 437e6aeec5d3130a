"""Create the editorial roles (Editors, Reviewers, Administrators) as groups.

Permissions are normally created after migrations finish, so they are created here first.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from codes.roles import ROLES, ensure_roles


def create_roles(apps, schema_editor):
    # The database being migrated, which is not always the default one (the benchmark
    # catalogue is a second database).
    using = schema_editor.connection.alias
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=using)
        app_config.models_module = None
    ensure_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"), using)


def remove_roles(apps, schema_editor):
    using = schema_editor.connection.alias
    apps.get_model("auth", "Group").objects.using(using).filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("codes", "0005_history_and_version"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
