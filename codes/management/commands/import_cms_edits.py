"""Import CMS's billing edits: NCCI PTP edits, MUE, the add-on code list and OPPS Addendum B.

What may be billed together, how many units and with which primary are CMS's facts, shown
from its own files with the release named, never retyped. One command for every kind: it
recognises each file by its name (or takes --kind), so a folder holding a quarter's PTP
files, the MUE table and the add-on list imports as three releases. The reading and storing
live in codes/cms/; a bad file is refused with its name, line and reason, and nothing is kept.
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from codes.cms.edits_import import KIND_BY_NAME, import_edits
from codes.cms.files import CmsFileError
from codes.cms.release_store import ImportRefused, ImportStopped
from codes.management.commands.import_cms_pfs import (
    REPORT_LIMIT,
    add_release_arguments,
    release_options,
)


class Command(BaseCommand):
    help = (
        "Import CMS's NCCI PTP edit files (the four files of a quarter, or CMS's zip), the "
        "MUE table, the add-on code list or OPPS Addendum B: a file, a folder or a zip; "
        "the kind is recognised from each file's name. Idempotent by SHA-256."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="A file, a folder or a zip as CMS ships it.")
        parser.add_argument(
            "--kind",
            choices=sorted(KIND_BY_NAME),
            help="What the file is, when its name does not say (ncci_ptp, mue, add_on, opps).",
        )
        add_release_arguments(parser, "PTP-v302r0")
        parser.add_argument(
            "--keep-existing",
            action="store_true",
            help="Leave a release of the same name as it is (make setup: CMS's full files "
            "imported over the shipped extract stay).",
        )

    def handle(self, *args, path, dry_run, verbosity, **options):
        show_progress = verbosity >= 1 and sys.stderr.isatty()
        try:
            outcomes = import_edits(
                path,
                kind=options["kind"],
                dry_run=dry_run,
                keep_existing=options["keep_existing"],
                **release_options(options),
                progress=(
                    (lambda desc: tqdm(desc=desc, unit=" rows", unit_scale=True))
                    if show_progress
                    else None
                ),
            )
        except (CmsFileError, ImportRefused, ImportStopped) as error:
            raise CommandError(str(error)) from None
        if verbosity >= 1:
            for outcome in outcomes:
                self.report(outcome, verbosity)

    def report(self, outcome, verbosity):
        what = outcome.kind.what
        if outcome.state == "kept":
            self.stdout.write(f"{outcome.label} ({what}) is imported already; kept as it is.")
            return
        if outcome.state == "unchanged":
            self.stdout.write(
                f"{outcome.label} ({what}) is already imported from these exact files; "
                "nothing changed."
            )
            return
        prefix = "Dry run, nothing stored: " if outcome.state == "dry run" else ""
        for note in outcome.notes:
            self.stdout.write(note)
        self.stdout.write(
            self.style.SUCCESS(
                f"{prefix}{outcome.label} ({what}): {outcome.row_count} rows from "
                f"{', '.join(outcome.files)}."
            )
        )
        if outcome.changes is None:
            self.stdout.write("No earlier release of this kind to compare with.")
            return
        self.stdout.write(f"Against {outcome.previous.label}: {outcome.changes.summary()}.")
        lines = list(outcome.changes.lines())
        shown = lines if verbosity >= 2 else lines[:REPORT_LIMIT]
        for line in shown:
            self.stdout.write(f"  {line}")
        if len(shown) < len(lines):
            self.stdout.write(f"  … and {len(lines) - len(shown)} more (--verbosity 2 lists all)")
