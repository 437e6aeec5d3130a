"""Seed the database with the reference content in fixtures/, without touching editors' work.

`loaddata` overwrites a row whose key matches, which would undo an editor's change every time
set-up runs. This command matches fixture rows to existing rows by natural key and only ever
creates what is missing. It also remembers every row it has created (`SeededRecord`), so a
row an editor deleted on purpose is not brought back.
"""

import json
from pathlib import Path

from django.conf import settings
from django.core import serializers
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, transaction
from django.db.models.signals import post_save

from codes.management.dry_run import DryRunRollback
from codes.models import SeededRecord

DEFAULT_FIXTURE_DIR = Path(settings.BASE_DIR) / "fixtures"


class Command(BaseCommand):
    help = (
        "Load the reference content from fixtures/ (files in name order). Creates rows "
        "that are missing; never changes or re-creates a row that exists or that an "
        "editor deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "fixture_files",
            nargs="*",
            help="Fixture files to load, in order (default: every *.json in fixtures/).",
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help="The database alias to load into (default: default).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Report what would be created, and change nothing.",
        )

    def handle(self, *args, fixture_files, dry_run, database, verbosity, **options):
        self.verbosity = verbosity
        self.using = database
        paths = [Path(name) for name in fixture_files] or sorted(DEFAULT_FIXTURE_DIR.glob("*.json"))
        if not paths:
            raise CommandError(f"No fixture files found in {DEFAULT_FIXTURE_DIR}.")
        for path in paths:
            if not path.is_file():
                raise CommandError(f"Fixture file not found: {path}")

        totals = {"created": 0, "existing": 0, "deleted_by_editor": 0}
        try:
            with transaction.atomic(using=self.using):
                seeded = set(
                    SeededRecord.objects.using(self.using).values_list("model_label", "natural_key")
                )
                for path in paths:
                    counts = self.load_file(path, seeded)
                    for outcome, number in counts.items():
                        totals[outcome] += number
                    self.report_file(path, counts)
                if dry_run:
                    raise DryRunRollback
        except DryRunRollback:
            pass
        except (serializers.base.DeserializationError, DatabaseError) as error:
            raise CommandError(f"Could not load the reference content: {error}") from error

        if self.verbosity < 1:
            return
        prefix = "Dry run: would create" if dry_run else "Created"
        self.stdout.write(
            self.style.SUCCESS(
                f"{prefix} {totals['created']} rows; kept {totals['existing']} existing "
                f"rows as they are; left out {totals['deleted_by_editor']} rows that "
                "editors deleted."
            )
        )

    def load_file(self, path, seeded):
        counts = {"created": 0, "existing": 0, "deleted_by_editor": 0}
        with path.open(encoding="utf-8") as stream:
            objects = list(
                serializers.deserialize(
                    "json", stream, using=self.using, handle_forward_references=True
                )
            )
        created, deferred = [], []
        for deserialized in objects:
            instance = deserialized.object
            # Natural keys of child rows read their parent: read it from the target database.
            instance._state.db = self.using
            key = (instance._meta.label_lower, json.dumps(instance.natural_key()))
            if instance.pk is not None:
                # The deserializer found a row with this natural key: editors own it now.
                counts["existing"] += 1
                continue
            if key in seeded:
                counts["deleted_by_editor"] += 1
                continue
            # A normal save, not loaddata's raw one: auto timestamps are filled in and the
            # usual signals see a real creation. Its history is recorded once, below, with
            # its lists and late fields in place: each list set would record an entry of
            # its own.
            instance.skip_history_when_saving = True
            instance.save(using=self.using)
            for field_name, related_pks in (deserialized.m2m_data or {}).items():
                getattr(instance, field_name).set(related_pks)
            SeededRecord.objects.using(self.using).create(model_label=key[0], natural_key=key[1])
            seeded.add(key)
            counts["created"] += 1
            created.append(instance)
            if deserialized.deferred_fields:
                deferred.append(deserialized)
        for deserialized in deferred:
            deserialized.save_deferred_fields(using=self.using)
        for instance in created:
            del instance.skip_history_when_saving
            record_creation(instance, f"Loaded from fixtures/{path.name}", self.using)
        return counts

    def report_file(self, path, counts):
        if self.verbosity >= 1:
            self.stdout.write(
                f"{path.name}: {counts['created']} created, {counts['existing']} existing, "
                f"{counts['deleted_by_editor']} deleted by editors"
            )


def record_creation(instance, reason, using):
    """Record one history entry, "Created", for a row saved without history: send the
    post_save its first save held back (its receivers are the history and the page cache)."""
    instance._change_reason = reason
    post_save.send(
        sender=type(instance), instance=instance, created=True, raw=False, using=using,
        update_fields=None,
    )  # fmt: skip
