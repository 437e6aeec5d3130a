"""Import a release of CMS's Physician Fee Schedule relative value files (PPRRVU, GPCI, LOCCO).

Payment facts (global periods, RVUs, payment-policy indicators) are shown from CMS's own file
with the release named, never retyped. This command stores a release; the reading and storing
live in codes/cms/. A bad file is refused with its name, line and reason, and nothing is kept.
"""

import datetime
import getpass
import sys
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from codes.cms.files import CmsFileError
from codes.cms.pfs_import import ImportRefused, import_release
from codes.cms.release_store import ImportStopped

REPORT_LIMIT = 200


def iso_date(text):
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"“{text}” is not a date (YYYY-MM-DD).") from None


def add_release_arguments(parser, example_label):
    """The options every importer of CMS's releases takes: what the files may not say about
    their release, who imports it, --replace and --dry-run."""
    parser.add_argument(
        "--label", help=f"Release name (e.g. {example_label}) if the files do not say it."
    )
    parser.add_argument("--released-on", type=iso_date, help="YYYY-MM-DD, if not in the files.")
    parser.add_argument("--effective-from", type=iso_date, help="YYYY-MM-DD, if not in the files.")
    parser.add_argument(
        "--imported-by", default=None, help="Who imports it (default: the login name)."
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help="Put these files in the place of a release of the same name (e.g. CMS's "
        "full files over the extract this reference ships).",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="Report what would change; store nothing."
    )


def release_options(options):
    """The release options as the importers take them."""
    return {
        "label": options["label"],
        "released_on": options["released_on"],
        "effective_from": options["effective_from"],
        "imported_by": options["imported_by"] or login_name(),
        "replace": options["replace"],
    }


class Command(BaseCommand):
    help = (
        "Import CMS's Physician Fee Schedule relative value files: a PPRRVU file (CSV or "
        "fixed-width), a folder or CMS's zip (with GPCI and LOCCO). Idempotent by SHA-256."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="PPRRVU file, folder or zip as CMS ships it.")
        add_release_arguments(parser, "RVU25D")
        parser.add_argument(
            "--rvu-threshold",
            default="0",
            help="Report RVU changes larger than this (default 0: every change).",
        )

    def handle(self, *args, path, dry_run, verbosity, **options):
        try:
            threshold = Decimal(options["rvu_threshold"])
        except InvalidOperation:
            raise CommandError("--rvu-threshold must be a number, e.g. 0.5.") from None
        show_progress = verbosity >= 1 and not dry_run and sys.stderr.isatty()
        try:
            outcome = import_release(
                path,
                dry_run=dry_run,
                **release_options(options),
                rvu_threshold=threshold,
                progress=(
                    (lambda total: tqdm(total=total, unit=" rows", desc="Storing"))
                    if show_progress
                    else None
                ),
            )
        except (CmsFileError, ImportRefused, ImportStopped) as error:
            raise CommandError(str(error)) from None
        if verbosity >= 1:
            self.report(outcome, verbosity)

    def report(self, outcome, verbosity):
        if outcome.state == "unchanged":
            self.stdout.write(
                f"{outcome.label} is already imported from these exact files; nothing changed."
            )
            return
        prefix = "Dry run, nothing stored: " if outcome.state == "dry run" else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"{prefix}{outcome.label}: {outcome.row_count} rows, "
                f"{outcome.locality_count} localities."
            )
        )
        for note in outcome.notes:
            self.stdout.write(note)
        if outcome.changes is None:
            self.stdout.write("No earlier release to compare with.")
            return
        counts = outcome.changes.counts()
        self.stdout.write(
            f"Against {outcome.previous.label}: {counts['added']} codes added, "
            f"{counts['deleted']} deleted, {counts['status']} status changes, "
            f"{counts['global_days']} global period changes, {counts['rvus']} RVU changes, "
            f"{counts['indicators']} indicator changes."
        )
        lines = list(outcome.changes.lines())
        shown = lines if verbosity >= 2 else lines[:REPORT_LIMIT]
        for line in shown:
            self.stdout.write(f"  {line}")
        if len(shown) < len(lines):
            self.stdout.write(f"  … and {len(lines) - len(shown)} more (--verbosity 2 lists all)")


def login_name():
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""
