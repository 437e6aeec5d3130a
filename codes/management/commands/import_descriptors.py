"""Load the AMA's official CPT descriptors, for deployments that hold a CPT licence.

The descriptors are AMA copyright, so the reference ships without them. A licensed
deployment sets CPT_LICENSED=true and imports its licensed file (CSV: code,descriptor);
code pages then show the descriptor with the AMA notice under it. Without the licence
setting the command refuses to run.
"""

import csv
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from codes.editorial import record_official_text
from codes.models import CodeProcedure


class Command(BaseCommand):
    help = "Import official CPT descriptors (CSV: code,descriptor). Needs CPT_LICENSED=true."

    def add_arguments(self, parser):
        parser.add_argument("csv_file")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, csv_file, dry_run, **options):
        if not settings.CPT_LICENSED:
            raise CommandError(
                "Official descriptors are AMA copyright. Set CPT_LICENSED=true only if this "
                "deployment holds a CPT licence."
            )
        path = Path(csv_file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        with path.open(encoding="utf-8-sig", newline="") as stream:
            reader = csv.DictReader(stream)
            if set(reader.fieldnames or []) != {"code", "descriptor"}:
                raise CommandError("The file needs exactly two columns: code,descriptor.")
            rows = list(reader)
        changed, unknown = 0, []
        with transaction.atomic():
            codes = CodeProcedure.objects.in_bulk(
                [row["code"].strip().upper() for row in rows], field_name="code"
            )
            for row in rows:
                code = codes.get(row["code"].strip().upper())
                descriptor = (row["descriptor"] or "").strip()
                if code is None:
                    unknown.append(row["code"])
                    continue
                if code.official_descriptor != descriptor:
                    if not dry_run:
                        record_official_text(code, descriptor, f"import_descriptors {path.name}")
                    changed += 1
        if unknown:
            self.stdout.write(self.style.WARNING(f"Not in this reference: {', '.join(unknown)}"))
        prefix = "Dry run: would change" if dry_run else "Changed"
        self.stdout.write(self.style.SUCCESS(f"{prefix} {changed} descriptors."))
