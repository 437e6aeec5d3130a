"""Write a timestamped, compressed dump of all content, its history and the accounts.

Foreign keys to users, groups and content types are written as natural keys, so the dump
loads into any freshly migrated database (`restore_content`). Content keeps its ids, because
the history rows point at them.

The dump holds password hashes: the file is created readable by its owner only (0600), in
a folder only its owner may list (0700 when this command creates it).
"""

import os
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

# What a restore needs: every content table with its history, the roles with their
# permissions, and the accounts the history names. Not the search index (rebuilt from the
# content), sessions or login attempts, nor the ICD-10-CM codes (98k rows CDC publishes:
# `load_icd10cm` stores them again, and their word index with them), nor the article stamps
# (a restore moves them: the rows it loads fire the stamps' triggers).
INCLUDED = ["codes", "auth.group", "auth.user"]
EXCLUDED = ["codes.searchentry", "codes.diagnosis", "codes.articlestamp"]


class Command(BaseCommand):
    help = "Dump all content and its history to var/backups/cpt-reference-<time>.json.gz."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output-dir", default=str(Path(settings.BASE_DIR) / "var" / "backups")
        )

    def handle(self, *args, output_dir, **options):
        folder = Path(output_dir)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        path = folder / f"cpt-reference-{stamp}.json.gz"
        # Created private before dumpdata writes into it (it keeps the file's mode); never
        # over an existing file.
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            raise CommandError(f"{path} exists already; wait a second and run again.") from None
        call_command(
            "dumpdata",
            *INCLUDED,
            exclude=EXCLUDED,
            natural_foreign=True,
            output=str(path),
            verbosity=0,
        )
        self.stdout.write(self.style.SUCCESS(f"Wrote {path}"))
