"""Apply the annual code update from a CSV file (format: codes/csv_format.py).

Every year codes are added, retitled, deleted and replaced. This command applies such a
file safely: it matches rows on the code, reports for each row whether it was created,
changed (and which fields), unchanged or rejected (with the line number and the reason),
records every change in the history with the import named as its cause and the user it ran
as (`--user`), and never deletes a row. New codes arrive as drafts for editors to complete;
a change to a published code is proposed as a revision for a reviewer, as an editor's would
be (codes/editorial.py), so the public page keeps its published content until approved.

It follows the import rule of every importer (codes/import_rule.py), so that it never
blocks the site:

1. **Check** the whole file, reading only: each row as the code would stand after it (the
   stored values for the columns the file leaves out), its replacement (a known code or a
   row of the file, with no cycle). A rejected row is named with its line and reason
   before anything is written. `--dry-run` stops here, so it never takes a write lock.
2. **Apply** the accepted rows in batches (`--batch-size`, 25 by default, fewer when 25
   would hold the lock longer than a quarter of a second), each batch in its own short
   transaction, so logins and editors' saves get in between (on SQLite a
   writer holds the whole database). If a batch fails, the command names the batches
   already committed and the failing line, and exits non-zero.
"""

import csv
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from codes import editorial
from codes.csv_format import (
    COLUMNS,
    PLAIN_FIELDS,
    REQUIRED_COLUMNS,
    CodeRowForm,
    from_cell,
    row_values,
    section_lookup,
)
from codes.import_rule import commit_batches
from codes.models import CodeProcedure

BATCH_SIZE = 25
LOOKUP_CHUNK = 500


@dataclass
class Row:
    line: int
    data: dict  # the form's cleaned data: the row as the code will stand
    outcome: str = ""  # created, changed, proposed, unchanged (or rejected: never applied)
    changed: list = field(default_factory=list)
    published: bool = False  # a change to it is proposed for review


class Command(BaseCommand):
    help = (
        "Import codes from a CSV file (see codes/csv_format.py for the columns). "
        "Checks the whole file first; applies it in short batches; never deletes; "
        "reports every row."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv_file", help="Path to the CSV file (UTF-8, with a header).")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check and report what would change; read only, save nothing.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help=f"Rows per transaction (default {BATCH_SIZE}).",
        )
        parser.add_argument(
            "--user",
            help="The user name the import runs as: recorded with every change, and the "
            "author of the revisions it proposes for published codes. Needed unless "
            "--dry-run.",
        )

    def handle(self, *args, csv_file, dry_run, batch_size, verbosity, user=None, **options):
        path = Path(csv_file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        self.verbosity = verbosity
        self.reason = f"import_codes {path.name}"
        self.user = self.importing_user(user, required=not dry_run)
        self.proposed = {}  # code id -> the revision this run proposed for it
        header, records = read_records(path)
        missing = REQUIRED_COLUMNS - set(header)
        if missing:
            raise CommandError(f"Missing columns: {', '.join(sorted(missing))}.")
        unknown = set(header) - set(COLUMNS)
        if unknown:
            raise CommandError(
                f"Unknown columns: {', '.join(sorted(unknown))}. Expected: {', '.join(COLUMNS)}."
            )
        if len(set(header)) != len(header):
            raise CommandError("A column is named twice in the header.")
        columns = set(header)

        totals = {"created": 0, "changed": 0, "proposed": 0, "unchanged": 0, "rejected": 0}
        accepted = []
        for line, outcome, row in self.check_rows(header, records, columns):
            if outcome == "changed" and row.published:
                outcome = row.outcome = "proposed"
            totals[outcome] += 1
            if outcome == "rejected":
                continue
            accepted.append(row)
            if dry_run:
                self.report(line, outcome, row.data["code"], changed=row.changed)

        if not dry_run:
            self.apply(accepted, columns, batch_size)

        prefix = "Dry run, nothing saved: " if dry_run else ""
        summary = ", ".join(f"{number} {outcome}" for outcome, number in totals.items())
        style = self.style.WARNING if totals["rejected"] else self.style.SUCCESS
        self.stdout.write(style(f"{prefix}{len(records)} rows: {summary}."))

    # Step 1: check, reading only ---------------------------------------------------------

    def check_rows(self, header, records, columns):
        """Yield (line, outcome, Row) for every record, rejected ones with their reason
        reported. Reads the database; writes nothing."""
        sections = section_lookup()
        at = header.index("code")
        stored = stored_codes(
            [cells[at].strip().upper() for _, cells in records if len(cells) > at]
        )
        rows, seen = [], {}
        for line, cells in records:
            if len(cells) != len(header):
                self.reject(
                    line,
                    "",
                    f"has {len(cells)} fields where the header has {len(header)} "
                    "(a value holding a comma must be in double quotes)",
                )
                yield line, "rejected", None
                continue
            cells = {
                name: from_cell(value.strip()) for name, value in zip(header, cells, strict=True)
            }
            existing = stored.get(cells["code"].upper())
            # The row as the code would stand: stored values for the columns left out.
            merged = {**(row_values(existing) if existing else {}), **cells}
            form = CodeRowForm(merged, sections=sections)
            if not form.is_valid():
                self.reject(line, cells["code"], form_errors(form))
                yield line, "rejected", None
                continue
            data = form.cleaned_data
            if data["code"] in seen:
                self.reject(line, data["code"], f"repeats line {seen[data['code']]}")
                yield line, "rejected", None
                continue
            seen[data["code"]] = line
            rows.append(Row(line, data))

        for row, reason in replacement_problems(rows, columns, stored):
            self.reject(row.line, row.data["code"], reason)
            row.outcome = "rejected"
        for row in rows:
            if row.outcome != "rejected":
                existing = stored.get(row.data["code"])
                row.outcome, row.changed = planned_change(existing, row.data, columns)
                row.published = existing is not None and existing.is_published
        for row in rows:
            yield row.line, row.outcome, row

    def reject(self, line, code, reason):
        self.report(line, "rejected", code, reason)

    # Step 2: apply in batches ------------------------------------------------------------

    def apply(self, rows, columns, batch_size):
        committed = []  # (first line, last line) of each committed batch
        links = []

        def save_batch(batch):
            self.current_line = batch[0].line
            stored = stored_codes([row.data["code"] for row in batch], for_update=True)
            replacements = stored_codes(
                [row.data["replaced_by"] for row in batch if row.data["replaced_by"]]
            )
            outcomes = []
            for row in batch:
                self.current_line = row.line
                outcomes.append(self.save_row(row, stored, replacements, columns, links))
            return outcomes

        def link_batch(batch):
            outcomes = []
            for row in batch:
                self.current_line = row.line
                outcomes.append(self.link_replacement(row))
            return outcomes

        try:
            for batch, outcomes in commit_batches(rows, batch_size, save_batch):
                committed.append((batch[0].line, batch[-1].line))
                for row, (outcome, changed) in zip(batch, outcomes, strict=True):
                    self.report(row.line, outcome, row.data["code"], changed=changed)
            # Links to codes created further down the file, now that every code exists.
            for batch, outcomes in commit_batches(links, batch_size, link_batch):
                committed.append((batch[0].line, batch[-1].line))
                for row, outcome in zip(batch, outcomes, strict=True):
                    linked = "linked" if outcome == "changed" else outcome
                    self.report(row.line, linked, row.data["code"], changed=["replaced_by"])
        except DatabaseError as error:
            self.fail(committed, self.current_line, error)

    def save_row(self, row, stored, replacements, columns, links):
        data = row.data
        # A column the file leaves out is left as it is, never blanked.
        values = {name: data[name] for name in PLAIN_FIELDS if name in columns}
        values["section"] = data["section"]
        if "replaced_by" in columns:
            replacement = replacements.get(data["replaced_by"]) if data["replaced_by"] else None
            if data["replaced_by"] and replacement is None:
                # A code created further down the file: linked once it exists; the stored
                # link stays until then.
                links.append(row)
            else:
                values["replaced_by"] = replacement
        code = stored.get(data["code"])
        if code is None:
            code = CodeProcedure(code=data["code"], **values)
            editorial.save_edit(code, self.user, self.reason, created=True)
            return "created", []
        changed = [name for name, value in values.items() if getattr(code, name) != value]
        if not changed:
            return "unchanged", []
        return self.change(code, {name: values[name] for name in changed}), changed

    def link_replacement(self, row):
        procedure = CodeProcedure.objects.get(code=row.data["code"])
        target = CodeProcedure.objects.get(code=row.data["replaced_by"])
        return self.change(procedure, {"replaced_by": target})

    def change(self, code, values):
        """Change a code as its editor would: at once while it is unpublished, as a
        revision for a reviewer when it is published (one revision per code and run, so a
        replacement linked further down the file joins the row's own revision)."""
        fields = {
            name: editorial.to_json(CodeProcedure._meta.get_field(name), value)
            for name, value in values.items()
        }
        if not editorial.needs_review(self.user, code):
            editorial.apply_edit(code, {"fields": fields}, self.user, self.reason)
            return "changed"
        proposed = self.proposed.get(code.pk)
        if proposed is not None:
            proposed.changes["fields"].update(fields)
            proposed.save(update_fields=["changes"])
        else:
            self.proposed[code.pk] = editorial.propose(
                CodeProcedure, code, {"fields": fields}, self.user, self.reason
            )
        return "proposed"

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

    def fail(self, committed, line, error):
        if committed:
            batches = ", ".join(f"lines {first}-{last}" for first, last in committed)
            saved = f"Committed before it: {batches}."
        else:
            saved = "Nothing was saved."
        raise CommandError(
            f"Stopped at line {line}: {error}. {saved} That line's batch and every line "
            "after it were not saved; run the import again to apply them."
        )

    def report(self, line, outcome, code="", reason="", changed=()):
        if self.verbosity >= 1 and (outcome != "unchanged" or self.verbosity >= 2):
            detail = f": {', '.join(changed)}" if changed else ""
            detail += f": {reason}" if reason else ""
            self.stdout.write(f"line {line} {code} {outcome}{detail}".replace("  ", " "))
        return outcome


def read_records(path):
    """Return the header and the (line, cells) of every non-blank record, or refuse the
    file with the line where it stopped being readable."""
    records = []
    reader = None
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            reader = csv.reader(stream)
            header = [name.strip() for name in next(reader, [])]
            line = reader.line_num + 1
            for cells in reader:
                if cells:
                    records.append((line, cells))
                line = reader.line_num + 1
    except UnicodeDecodeError as error:
        raise CommandError(f"{path} is not UTF-8 text: {error}") from None
    except csv.Error as error:
        where = f"line {reader.line_num}" if reader else "the start"
        raise CommandError(f"{path} is not a readable CSV file at {where}: {error}") from None
    if not header:
        raise CommandError(f"{path} is empty: it needs a header row.")
    return header, records


def stored_codes(codes, for_update=False):
    """Return {code: CodeProcedure} for those of `codes` that are stored."""
    found = {}
    codes = sorted(set(codes))
    queryset = CodeProcedure.objects.select_related("section", "replaced_by")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    for start in range(0, len(codes), LOOKUP_CHUNK):
        for code in queryset.filter(code__in=codes[start : start + LOOKUP_CHUNK]):
            found[code.code] = code
    return found


def replacement_problems(rows, columns, stored):
    """Yield (row, reason) for each row whose replacement is unknown, rejected or part of a
    cycle, until what is left is consistent."""
    if "replaced_by" not in columns:
        return
    known = set(CodeProcedure.objects.values_list("code", flat=True))
    stored_links = dict(
        CodeProcedure.objects.filter(replaced_by__isnull=False).values_list(
            "code", "replaced_by__code"
        )
    )
    rejected = set()
    while True:
        live = [row for row in rows if row.line not in rejected]
        in_file = {row.data["code"] for row in live}
        links = {**stored_links, **{row.data["code"]: row.data["replaced_by"] for row in live}}
        found = []
        for row in live:
            target = row.data["replaced_by"]
            if not target:
                continue
            if target not in known and target not in in_file:
                found.append((row, f"replaced_by {target} is not a known code"))
                continue
            chain = [row.data["code"], target]
            while chain[-1] in links and links[chain[-1]] and len(chain) <= len(links) + 1:
                chain.append(links[chain[-1]])
                if chain[-1] == row.data["code"]:
                    found.append((row, f"replacements form a cycle: {' -> '.join(chain)}"))
                    break
        if not found:
            return
        for row, reason in found:
            rejected.add(row.line)
            yield row, reason
        # Rows whose replacement was just rejected are checked again without it.
        in_file = {row.data["code"] for row in rows if row.line not in rejected}
        for row in rows:
            target = row.data["replaced_by"]
            if row.line in rejected or not target or target in known or target in in_file:
                continue
            rejected.add(row.line)
            yield row, f"replaced_by {target} is rejected in this file"


def planned_change(existing, data, columns):
    """Return (outcome, changed fields) the row would have on the stored code."""
    if existing is None:
        return "created", []
    values = {name: data[name] for name in PLAIN_FIELDS if name in columns}
    values["section"] = data["section"]
    changed = [name for name, value in values.items() if getattr(existing, name) != value]
    if "replaced_by" in columns:
        stored = existing.replaced_by.code if existing.replaced_by_id else ""
        if stored != data["replaced_by"]:
            changed.append("replaced_by")
    return ("changed", changed) if changed else ("unchanged", [])


def form_errors(form):
    parts = []
    for name, errors in form.errors.items():
        label = "row" if name == "__all__" else name
        parts.append(f"{label} {' '.join(str(error) for error in errors)}")
    return "; ".join(parts)
