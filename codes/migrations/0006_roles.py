"""Create the editorial roles (Editors, Reviewers, Administrators) as groups.

Permissions are normally created after migrations finish, so they are created here first.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# The roles as they stood when this migration was written (a migration never imports live
# code, so it keeps its meaning; later changes to the roles come as new migrations).
ROLES = {   'Editors': [   'add_codeprocedure',
                   'change_codeprocedure',
                   'view_codeprocedure',
                   'add_clinicalexample',
                   'change_clinicalexample',
                   'delete_clinicalexample',
                   'view_clinicalexample',
                   'add_codemodifier',
                   'change_codemodifier',
                   'delete_codemodifier',
                   'view_codemodifier',
                   'add_coderelation',
                   'change_coderelation',
                   'delete_coderelation',
                   'view_coderelation',
                   'add_section',
                   'change_section',
                   'view_section',
                   'add_modifier',
                   'change_modifier',
                   'view_modifier',
                   'add_specialty',
                   'change_specialty',
                   'view_specialty',
                   'add_nerve',
                   'change_nerve',
                   'view_nerve',
                   'add_placeofservice',
                   'change_placeofservice',
                   'view_placeofservice',
                   'add_source',
                   'change_source',
                   'view_source'],
    'Reviewers': [   'add_codeprocedure',
                     'change_codeprocedure',
                     'view_codeprocedure',
                     'add_clinicalexample',
                     'change_clinicalexample',
                     'delete_clinicalexample',
                     'view_clinicalexample',
                     'add_codemodifier',
                     'change_codemodifier',
                     'delete_codemodifier',
                     'view_codemodifier',
                     'add_coderelation',
                     'change_coderelation',
                     'delete_coderelation',
                     'view_coderelation',
                     'add_section',
                     'change_section',
                     'view_section',
                     'add_modifier',
                     'change_modifier',
                     'view_modifier',
                     'add_specialty',
                     'change_specialty',
                     'view_specialty',
                     'add_nerve',
                     'change_nerve',
                     'view_nerve',
                     'add_placeofservice',
                     'change_placeofservice',
                     'view_placeofservice',
                     'add_source',
                     'change_source',
                     'view_source',
                     'publish_codeprocedure'],
    'Administrators': [   'add_codeprocedure',
                          'change_codeprocedure',
                          'view_codeprocedure',
                          'add_clinicalexample',
                          'change_clinicalexample',
                          'delete_clinicalexample',
                          'view_clinicalexample',
                          'add_codemodifier',
                          'change_codemodifier',
                          'delete_codemodifier',
                          'view_codemodifier',
                          'add_coderelation',
                          'change_coderelation',
                          'delete_coderelation',
                          'view_coderelation',
                          'add_section',
                          'change_section',
                          'view_section',
                          'add_modifier',
                          'change_modifier',
                          'view_modifier',
                          'add_specialty',
                          'change_specialty',
                          'view_specialty',
                          'add_nerve',
                          'change_nerve',
                          'view_nerve',
                          'add_placeofservice',
                          'change_placeofservice',
                          'view_placeofservice',
                          'add_source',
                          'change_source',
                          'view_source',
                          'publish_codeprocedure',
                          'delete_codeprocedure',
                          'delete_section',
                          'delete_modifier',
                          'delete_specialty',
                          'delete_nerve',
                          'delete_placeofservice',
                          'delete_source',
                          'add_user',
                          'change_user',
                          'delete_user',
                          'view_user',
                          'add_group',
                          'change_group',
                          'delete_group',
                          'view_group']}


def ensure_roles(group_model, permission_model, using="default"):
    """Create or update the role groups with exactly their permissions."""
    for name, codenames in ROLES.items():
        group, _ = group_model.objects.using(using).get_or_create(name=name)
        permissions = permission_model.objects.using(using).filter(
            codename__in=codenames, content_type__app_label__in=["codes", "auth"]
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Permissions missing for {name}: {sorted(missing)}")
        group.permissions.set(permissions)


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
