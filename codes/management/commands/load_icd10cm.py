"""Load an ICD-10-CM release: by default the one the pinned `simple-icd-10-cm` package
carries (CDC's tabular list), or CDC's own files for a newer release.

Diagnosis pages, supporting diagnoses and the diagnosis search read the stored release,
never the package. Running it again with the same files finds the release by the files'
SHA-256 and stops at once (`make setup` runs it on every `make run`); a newer release is
stored beside the older one, and codes it dropped are marked deleted by it. The reading and
storing live in codes/icd10/loader.py.
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from codes.cms.release_store import ImportRefused
from codes.icd10 import loader
from codes.management.commands.import_cms_pfs import iso_date, login_name


class Command(BaseCommand):
    help = (
        "Load the ICD-10-CM release the simple-icd-10-cm package carries, or CDC's files "
        "given with --tabular and --code-list. Loads nothing when it is stored already."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--tabular", help="CDC's tabular XML (icd10cm_tabular_*.xml) for another release."
        )
        parser.add_argument(
            "--code-list",
            help="CDC's code list (icd10cm_codes_*.txt or the order file) that goes with it.",
        )
        parser.add_argument(
            "--label",
            help="Release name for CDC's files, e.g. ICD-10-CM-2027-10 (letters, digits, hyphens).",
        )
        parser.add_argument(
            "--effective-from", type=iso_date, help="YYYY-MM-DD the release takes effect."
        )
        parser.add_argument("--imported-by", help="Who loads it (default: the login name).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Read and count the release; store nothing."
        )

    def handle(self, *args, verbosity, dry_run, **options):
        try:
            files = self.release_files(options)
            show_progress = verbosity >= 1 and not dry_run and sys.stderr.isatty()
            report = loader.load(
                files,
                imported_by=options["imported_by"] or login_name(),
                progress=(
                    (lambda total: tqdm(total=total, unit=" codes", desc="Storing"))
                    if show_progress
                    else None
                ),
                dry_run=dry_run,
            )
        except ImportRefused as error:
            raise CommandError(str(error)) from None
        if verbosity < 1:
            return
        if report.skipped:
            self.stdout.write(f"{report.release.label} is loaded already; nothing to do.")
            return
        prefix = "Dry run, nothing stored: " if dry_run else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"{prefix}{files.label}: {report.codes:,} codes, {report.billable:,} billable"
                + (
                    f"; {report.deleted:,} codes of {report.previous} are no longer in it"
                    if report.previous
                    else ""
                )
                + "."
            )
        )

    def release_files(self, options):
        tabular, code_list = options["tabular"], options["code_list"]
        if tabular or code_list:
            if not (tabular and code_list):
                raise ImportRefused("Give both --tabular and --code-list, or neither.")
            return loader.cdc_files(code_list, tabular, options["label"], options["effective_from"])
        return loader.package_files()
