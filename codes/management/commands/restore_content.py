"""Load a dump made by `backup_content` into an empty, migrated database.

It refuses a database that already holds codes, so a restore can never merge into or
overwrite live content by mistake. The search index is rebuilt by its triggers as rows load.
"""

from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from codes.cache import bump_content_generation
from codes.models import CodeProcedure


class Command(BaseCommand):
    help = "Restore a backup_content dump into an empty database (run migrate first)."

    def add_arguments(self, parser):
        parser.add_argument("dump_file")

    def handle(self, *args, dump_file, **options):
        path = Path(dump_file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if CodeProcedure.objects.exists():
            raise CommandError(
                "This database already holds codes; restore only into an empty, migrated "
                "database (for example a new DATABASE_URL)."
            )
        # The dump holds the history itself: loading must not record the load as new
        # history (loaddata saves rows with forward references a second time, unraw).
        with transaction.atomic(), override_settings(SIMPLE_HISTORY_ENABLED=False):
            call_command("loaddata", str(path), verbosity=0)
        bump_content_generation()
        self.stdout.write(
            self.style.SUCCESS(f"Restored {CodeProcedure.objects.count()} codes from {path}")
        )
