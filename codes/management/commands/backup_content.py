"""Write a timestamped, compressed dump of all content, its history and the accounts.

Foreign keys to users, groups and content types are written as natural keys, so the dump
loads into any freshly migrated database (`restore_content`). Content keeps its ids, because
the history rows point at them.
"""

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

# What a restore needs: every content table with its history, the roles with their
# permissions, and the accounts the history names. Not the search index (rebuilt from the
# content), sessions or login attempts.
INCLUDED = ["codes", "auth.group", "auth.user"]
EXCLUDED = ["codes.searchentry"]


class Command(BaseCommand):
    help = "Dump all content and its history to var/backups/cpt-reference-<time>.json.gz."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output-dir", default=str(Path(settings.BASE_DIR) / "var" / "backups")
        )

    def handle(self, *args, output_dir, **options):
        folder = Path(output_dir)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        path = folder / f"cpt-reference-{stamp}.json.gz"
        call_command(
            "dumpdata",
            *INCLUDED,
            exclude=EXCLUDED,
            natural_foreign=True,
            output=str(path),
            verbosity=0,
        )
        self.stdout.write(self.style.SUCCESS(f"Wrote {path}"))
