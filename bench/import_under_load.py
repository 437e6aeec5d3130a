"""An import (annual codes, or CMS's files) while an editor logs in and saves every second.

    .venv/bin/python bench/import_under_load.py [--rows 100000] [--dry-run]
    .venv/bin/python bench/import_under_load.py --cms ptp   # CMS's July 2024 PTP quarter
    .venv/bin/python bench/import_under_load.py --cms pfs   # CMS's RVU25D fee schedule

It builds a fresh SQLite database in a temporary folder (migrated, reference content
loaded with the ICD-10-CM release the admin checks diagnoses against, one superuser),
writes a CSV of `--rows` new codes in the import's own format (codes/csv_format.py: the
columns the admin's export writes), serves the site with gunicorn
(the project's gunicorn.conf.py), and runs `manage.py import_codes` on the file in one
process while this one, every second, logs in to the admin with a fresh session, opens
code 64868's change form and saves it with a new summary. It reports the import's time and
exit status, the logins and saves made, every 5xx, the slowest login and save, and checks
that every save is in the database afterwards. Results: docs/reliability.md.

With `--cms`, the database also gets the CMS extracts this reference ships (as `make setup`
does), and the import is `import_cms_edits` of the real quarter of PTP edits (2.5 million
rows, ../shared/data/cms/ncci-2024-07 or `--cms-dir`) or `import_cms_pfs` of the real RVU25D
files, each with `--replace` over the shipped extract of the same release.
"""

import argparse
import csv
import http.cookiejar
import os
import re
import secrets
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
PASSWORD = secrets.token_urlsafe(16)
SHARED_CMS = ROOT.parent / "shared" / "data" / "cms"
SETUP = f"""
from django.contrib.auth.models import User
from codes.csv_format import COLUMNS
from codes.models import CodeProcedure
User.objects.create_superuser("bench-editor", "bench@example.org", {PASSWORD!r})
print(CodeProcedure.objects.get(code="64868").pk)
print(" ".join(CodeProcedure.objects.values_list("code", flat=True)))
print(",".join(COLUMNS))
"""
CHECK = """
from codes.models import CodeProcedure
code = CodeProcedure.objects.get(code="64868")
print(code.history.filter(summary__startswith="Saved during the import ").count())
print(CodeProcedure.objects.count())
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env, *args):
    return subprocess.run(
        [str(PYTHON), "manage.py", *args],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip


def write_csv(path, rows, taken, columns):
    """`rows` new active codes: five digits not in the catalogue, then four and T."""
    codes = (f"{n:05d}" for n in range(100_000))
    extra = (f"{n:04d}T" for n in range(10_000))
    with path.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        written = 0
        for code in (*codes, *extra):
            if written == rows:
                break
            if code in taken:
                continue
            writer.writerow(
                {
                    "code": code,
                    "title": f"Synthetic nerve procedure {code}",
                    "status": "active",
                    "effective_date": "2026-01-01",
                    "section": "neurorrhaphy",
                    "is_add_on": "no",
                    "global_period": "090",
                    "inpatient_only": "no",
                    "inpatient_only_as_of": "2026-01-01",
                    "summary": f"Synthetic summary of {code}, written by the import bench.",
                }
            )
            written += 1


class FormFields(HTMLParser):
    """The values a browser would post from the form with the given id."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.fields = form_id, False, []
        self.select = self.textarea = None
        self.first_option = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in {"submit", "button", "file", "image", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            self.fields.append((name, attrs.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self.select, self.first_option, self.selected = name, None, False
            self.multiple = "multiple" in attrs
        elif tag == "option" and self.select:
            value = attrs.get("value", "")
            if self.first_option is None:
                self.first_option = value
            if "selected" in attrs:
                self.fields.append((self.select, value))
                self.selected = True
        elif tag == "textarea" and name:
            self.textarea, self.text = name, ""

    def handle_data(self, data):
        if self.textarea:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select:
            if not self.selected and not self.multiple and self.first_option is not None:
                self.fields.append((self.select, self.first_option))
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.fields.append((self.textarea, self.text.removeprefix("\n")))
            self.textarea = None


class Editor:
    def __init__(self, base, code_pk):
        self.base, self.code_pk = base, code_pk
        self.logins, self.saves, self.errors, self.refused = [], [], [], []

    def request(self, opener, path, data=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        started = time.monotonic()
        try:
            with opener.open(self.base + path, body, timeout=60) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode(errors="replace")
        except OSError as error:
            status, text = 0, str(error)
        elapsed = time.monotonic() - started
        if status >= 500 or status == 0:
            self.errors.append(f"{status} {path} after {elapsed:.1f}s: {text[:200]}")
        return status, text, elapsed

    def round(self, number):
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        status, page, _ = self.request(opener, "/admin/login/?next=/admin/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if not token:
            return
        credentials = {
            "csrfmiddlewaretoken": token.group(1),
            "username": "bench-editor",
            "password": PASSWORD,
            "next": "/admin/",
        }
        status, _, elapsed = self.request(opener, "/admin/login/?next=/admin/", credentials)
        self.logins.append(elapsed)
        change = f"/admin/codes/codeprocedure/{self.code_pk}/change/"
        status, page, _ = self.request(opener, change)
        if status != 200:
            return
        parser = FormFields("codeprocedure_form")
        parser.feed(page)
        fields = [(k, v) for k, v in parser.fields if k not in {"summary", "change_note"}]
        fields += [
            ("summary", f"Saved during the import {number}."),
            # The admin asks every save for a note on the change (its history shows it).
            ("change_note", f"Bench save {number} during an import."),
            ("_save", "Save"),
        ]
        status, page, elapsed = self.request(opener, change, fields)
        self.saves.append(elapsed)
        if "errornote" in page or "errorlist" in page:
            self.refused.append(re.findall(r'class="errorlist[^"]*"[^>]*><li>([^<]+)', page))


def cms_import(env, work, options):
    """Store the shipped CMS extracts (as make setup does); return the command importing
    the real files over them."""
    manage(env, "import_cms_pfs", "fixtures/cms/rvu25d", "-v0")
    manage(env, "import_cms_edits", "fixtures/cms/ncci-2024-07", "-v0")
    folder = work / options.cms
    folder.mkdir()
    if options.cms == "ptp":
        source = options.cms_dir / "ncci-2024-07"
        files = sorted(source.glob("ccipra-v302r0-f?.TXT.gz"))
        command = "import_cms_edits"
    else:
        source = options.cms_dir / "rvu25d"
        files = [source / name for name in ("PPRRVU2025_Oct.csv", "GPCI2025.csv", "25LOCCO.csv")]
        command = "import_cms_pfs"
    for path in files:
        (folder / path.name).symlink_to(path)
    print(f"work folder {work}; {command} of {', '.join(p.name for p in files)}", flush=True)
    return [str(PYTHON), "manage.py", command, str(folder), "--replace", "-v1"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--dry-run", action="store_true", help="Time a dry run instead.")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument(
        "--cms", choices=["ptp", "pfs"], help="Import CMS's real files instead of codes."
    )
    parser.add_argument("--cms-dir", type=Path, default=SHARED_CMS)
    options = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="import-under-load-"))
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
        "CACHE_DIR": str(work / "cache"),
        "STATIC_ROOT": str(work / "static"),
        "ALLOWED_HOSTS": "127.0.0.1",
        "WEB_CONCURRENCY": "2",
        "AXES_FAILURE_LIMIT": "1000",
    }
    manage(env, "migrate", "-v0")
    manage(env, "load_reference_data", "-v0")
    # The admin checks a code's supporting diagnoses against the current ICD-10-CM release:
    # without one, every save of 64868 is refused by the form and measures nothing.
    manage(env, "load_icd10cm", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    code_pk, taken, columns = manage(env, "shell", "-v0", "-c", SETUP).splitlines()
    if options.cms:
        command = cms_import(env, work, options)
    else:
        csv_path = work / "update.csv"
        write_csv(csv_path, options.rows, set(taken.split()), columns.split(","))
        print(f"work folder {work}; {options.rows:,} rows in {csv_path.name}", flush=True)
        command = [str(PYTHON), "manage.py", "import_codes", str(csv_path), "-v0"]
        command += ["--user", "bench-editor"]
        if options.batch_size:
            command += ["--batch-size", str(options.batch_size)]
    if options.dry_run:
        command.append("--dry-run")

    port = free_port()
    log = (work / "server.log").open("w")
    server = subprocess.Popen(
        [str(GUNICORN), "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    editor = Editor(f"http://127.0.0.1:{port}", code_pk)
    for _ in range(100):
        try:
            urllib.request.urlopen(editor.base + "/healthz", timeout=5).read()
            break
        except OSError:
            time.sleep(0.2)

    started = time.monotonic()
    importer = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    number = 0
    try:
        while importer.poll() is None:
            number += 1
            round_started = time.monotonic()
            editor.round(number)
            time.sleep(max(0.0, options.interval - (time.monotonic() - round_started)))
    finally:
        import_seconds = time.monotonic() - started
        output = importer.communicate()[0]
        server.terminate()
        server.wait(timeout=30)
        log.close()

    saved_in_history, codes = manage(env, "shell", "-v0", "-c", CHECK).split()[:2]
    server_log = (work / "server.log").read_text()
    print(f"import: exit {importer.returncode} in {import_seconds:.0f} s: {output.strip()[-300:]}")
    print(f"codes afterwards: {int(codes):,}")
    print(
        f"logins: {len(editor.logins)}, slowest {max(editor.logins, default=0):.2f} s, "
        f"median {sorted(editor.logins)[len(editor.logins) // 2] if editor.logins else 0:.2f} s"
    )
    print(
        f"saves: {len(editor.saves)}, slowest {max(editor.saves, default=0):.2f} s, "
        f"median {sorted(editor.saves)[len(editor.saves) // 2] if editor.saves else 0:.2f} s, "
        f"over 2 s: {sum(1 for s in editor.saves if s > 2)}, refused by the form: "
        f"{len(editor.refused)}, in the history afterwards: {saved_in_history}"
    )
    tenths = [
        editor.saves[i * len(editor.saves) // 10 : (i + 1) * len(editor.saves) // 10]
        for i in range(10)
    ]
    print(
        "slowest save by tenth of the run: "
        + " ".join(f"{max(part, default=0):.2f}" for part in tenths)
    )
    print(f"5xx or failed requests: {len(editor.errors)}")
    for error in editor.errors[:10]:
        print("  ", error)
    for refusal in editor.refused[:5]:
        print("   refused:", refusal)
    print(f'"database is locked" in the server log: {server_log.count("database is locked")}')


if __name__ == "__main__":
    main()
