"""Apply the annual code update from a CSV file (format: codes/csv_format.py).

Every year codes are added, retitled, deleted and replaced. This command applies such a
file safely: it matches rows on the code, reports for each row whether it was created,
changed (and which fields), unchanged or rejected (with the line number and the reason),
records every change in the history with the import named as its cause and the user it ran
as (`--user`), and never deletes a row. New codes arrive as drafts for editors to complete;
a change to a published code is proposed as a revision for a reviewer, as an editor's would
be (codes/editorial.py), so the public page keeps its published content until approved.
"""

import csv
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from codes import editorial
from codes.csv_format import COLUMNS, PLAIN_FIELDS, REQUIRED_COLUMNS, CodeRowForm, section_lookup
from codes.management.dry_run import DryRunRollback
from codes.models import CodeProcedure


class Command(BaseCommand):
    help = (
        "Import codes from a CSV file (see codes/csv_format.py for the columns). "
        "Idempotent on the code; never deletes; reports every row."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv_file", help="Path to the CSV file (UTF-8, with a header).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; save nothing."
        )
        parser.add_argument(
            "--user",
            help="The user name the import runs as: recorded with every change, and the "
            "author of the revisions it proposes for published codes. Needed unless "
            "--dry-run.",
        )

    def handle(self, *args, csv_file, dry_run, verbosity, user=None, **options):
        path = Path(csv_file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        self.verbosity = verbosity
        self.reason = f"import_codes {path.name}"
        self.user = self.importing_user(user, required=not dry_run)
        self.proposed = {}  # code id -> the revision this run proposed for it
        try:
            with path.open(encoding="utf-8-sig", newline="") as stream:
                reader = csv.DictReader(stream)
                rows = list(reader)
                header = reader.fieldnames or []
        except UnicodeDecodeError as error:
            raise CommandError(f"{path} is not UTF-8 text: {error}") from None
        except csv.Error as error:
            raise CommandError(f"{path} is not a readable CSV file: {error}") from None
        missing = REQUIRED_COLUMNS - set(header)
        if missing:
            raise CommandError(f"Missing columns: {', '.join(sorted(missing))}.")
        unknown = set(header) - set(COLUMNS)
        if unknown:
            raise CommandError(
                f"Unknown columns: {', '.join(sorted(unknown))}. Expected: {', '.join(COLUMNS)}."
            )

        totals = {"created": 0, "changed": 0, "proposed": 0, "unchanged": 0, "rejected": 0}
        try:
            with transaction.atomic():
                for outcome in self.apply(rows, set(header)):
                    totals[outcome] += 1
                if dry_run:
                    raise DryRunRollback
        except DryRunRollback:
            pass

        prefix = "Dry run, nothing saved: " if dry_run else ""
        summary = ", ".join(f"{number} {outcome}" for outcome, number in totals.items())
        style = self.style.WARNING if totals["rejected"] else self.style.SUCCESS
        self.stdout.write(style(f"{prefix}{len(rows)} rows: {summary}."))

    def apply(self, rows, columns):
        sections = section_lookup()
        pending = []
        seen = {}
        for line, row in enumerate(rows, start=2):  # line 1 is the header
            form = CodeRowForm(
                {key: (value or "").strip() for key, value in row.items() if key},
                sections=sections,
            )
            if not form.is_valid():
                yield self.report(line, "rejected", reason=form_errors(form))
                continue
            data = form.cleaned_data
            if data["code"] in seen:
                yield self.report(
                    line, "rejected", data["code"], f"repeats line {seen[data['code']]}"
                )
                continue
            seen[data["code"]] = line
            replacement = None
            if data["replaced_by"]:
                replacement = CodeProcedure.objects.filter(code=data["replaced_by"]).first()
                if replacement is None:
                    # Perhaps a code created further down the file: link it afterwards.
                    pending.append((line, data["code"], data["replaced_by"]))
            outcome, changed = self.save_row(data, replacement, columns)
            yield self.report(line, outcome, data["code"], changed=changed)
        for line, code, replacement_code in pending:
            self.link_replacement(line, code, replacement_code)

    def importing_user(self, username, required):
        if not username:
            if required:
                raise CommandError(
                    "Say who runs the import with --user USERNAME: every change is recorded "
                    "with its author, and changes to published codes go to review as theirs."
                )
            return None
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {username!r}.")
        if not user.has_perm(editorial.permission(CodeProcedure, "change")):
            raise CommandError(f"{username} may not change codes (give them a role first).")
        return user

    def save_row(self, data, replacement, columns):
        # A column the file leaves out is left as it is, never blanked.
        values = {name: data[name] for name in PLAIN_FIELDS if name in columns}
        values["section"] = data["section"]
        if "replaced_by" in columns:
            values["replaced_by"] = replacement
        code = CodeProcedure.objects.filter(code=data["code"]).first()
        if code is None:
            code = CodeProcedure(code=data["code"], **values)
            editorial.save_edit(code, self.user, self.reason, created=True)
            return "created", []
        changed = [name for name, value in values.items() if getattr(code, name) != value]
        if not changed:
            return "unchanged", []
        return self.change(code, {name: values[name] for name in changed}), changed

    def change(self, code, values):
        """Change a code as its editor would: at once while it is unpublished, as a
        revision for a reviewer when it is published."""
        fields = {
            name: editorial.to_json(CodeProcedure._meta.get_field(name), value)
            for name, value in values.items()
        }
        changes = {"fields": fields}
        if self.user is None:  # a dry run: report only
            return "proposed" if code.is_published else "changed"
        if editorial.needs_review(self.user, code):
            proposed = self.proposed.get(code.pk)
            if proposed is not None:
                # A later line of this file for the same code (a replacement created
                # further down): one revision per code and run, never two that would
                # conflict with each other.
                proposed.changes["fields"].update(fields)
                proposed.save(update_fields=["changes"])
            else:
                self.proposed[code.pk] = editorial.propose(
                    CodeProcedure, code, changes, self.user, self.reason
                )
            return "proposed"
        editorial.apply_edit(code, changes, self.user, self.reason)
        return "changed"

    def link_replacement(self, line, code, replacement_code):
        target = CodeProcedure.objects.filter(code=replacement_code).first()
        if target is None:
            self.report(
                line, "warning", code, f"replaced_by {replacement_code} is not a known code"
            )
            return
        procedure = CodeProcedure.objects.get(code=code)
        outcome = self.change(procedure, {"replaced_by": target})
        self.report(
            line, "linked" if outcome == "changed" else outcome, code, changed=["replaced_by"]
        )

    def report(self, line, outcome, code="", reason="", changed=()):
        if self.verbosity >= 1 and (outcome != "unchanged" or self.verbosity >= 2):
            detail = f": {', '.join(changed)}" if changed else ""
            detail += f": {reason}" if reason else ""
            self.stdout.write(f"line {line} {code} {outcome}{detail}".replace("  ", " "))
        return outcome


def form_errors(form):
    parts = []
    for field, errors in form.errors.items():
        label = "row" if field == "__all__" else field
        parts.append(f"{label} {' '.join(str(error) for error in errors)}")
    return "; ".join(parts)
