"""Load a dump made by `backup_content` into an empty, migrated database.

It refuses a database that already holds accounts or codes (the roles come with
`migrate`, and the dump's roles replace them), so a restore can never merge
into or overwrite live content or accounts by mistake; `--replace` says to replace them,
and then everything the dump holds is deleted and loaded again in one transaction (a
failed load leaves the database as it was). The search index is rebuilt by its triggers as
rows load. The file name is only ever a path, never shell.
"""

from pathlib import Path

from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import override_settings

from codes.cache import bump_content_generation
from codes.management.commands.backup_content import EXCLUDED
from codes.models import CodeProcedure

# What a restore replaces: what a backup holds, and the rows that point at accounts.
REPLACED_APPS = ["codes"]
REPLACED_MODELS = ["auth.User", "auth.Group", "admin.LogEntry", "sessions.Session"]


def replaced_models():
    excluded = {label.lower() for label in EXCLUDED}
    models = [
        model
        for label in REPLACED_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]
    for label in REPLACED_MODELS:
        model = apps.get_model(label)
        models.append(model)
        models.extend(field.remote_field.through for field in model._meta.many_to_many)
    return [
        model
        for model in dict.fromkeys(models)
        if model._meta.label_lower not in excluded and not model._meta.proxy
    ]


class Command(BaseCommand):
    help = (
        "Restore a backup_content dump into an empty database (run migrate first); "
        "--replace to replace the accounts and content a database already holds."
    )

    def add_arguments(self, parser):
        parser.add_argument("dump_file")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete the accounts and content this database holds and load the dump "
            "instead (in one transaction).",
        )

    def handle(self, *args, dump_file, replace, **options):
        path = Path(dump_file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        held = []
        if CodeProcedure.objects.exists():
            held.append(f"{CodeProcedure.objects.count()} codes")
        if User.objects.exists():
            held.append(f"{User.objects.count()} accounts")
        if held and not replace:
            raise CommandError(
                f"This database already holds {', '.join(held)}; restore only into an empty, "
                "migrated database (for example a new DATABASE_URL), or add --replace to "
                "replace them with the backup."
            )
        # The dump holds the history itself: loading must not record the load as new
        # history (loaddata saves rows with forward references a second time, unraw).
        with transaction.atomic(), override_settings(SIMPLE_HISTORY_ENABLED=False):
            if held:
                # Foreign keys are checked at commit (Django creates them deferred), so
                # the order of the deletes does not matter.
                for model in replaced_models():
                    model._base_manager.all()._raw_delete(connection.alias)
            call_command("loaddata", str(path), verbosity=0)
        bump_content_generation()
        self.stdout.write(
            self.style.SUCCESS(f"Restored {CodeProcedure.objects.count()} codes from {path}")
        )
