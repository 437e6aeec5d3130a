"""A backup loads into an empty database and every code page comes back identical."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

EDIT = """
from codes.models import CodeProcedure
code = CodeProcedure.objects.get(code="64868")
code.summary = "Edited before the backup."
code._change_reason = "test edit"
code.save()
"""

PAGES = """
import hashlib
from django.test import Client
from codes.models import CodeProcedure
client = Client()
for code in CodeProcedure.objects.order_by("code"):
    body = client.get(code.get_absolute_url()).content
    print(code.code, code.history.count(), hashlib.sha256(body).hexdigest())
"""


def manage(env, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip


def environment(db_path, tmp_path):
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "SECRET_KEY": secrets.token_urlsafe(40),
        "DATABASE_URL": f"sqlite:///{db_path}",
        "CACHE_DIR": str(tmp_path / f"cache-{db_path.stem}"),
        "ALLOWED_HOSTS": "testserver",
        "STATIC_ROOT": str(tmp_path / "static"),
    }


def test_backup_restores_into_an_empty_database_with_identical_pages(tmp_path):
    original = environment(tmp_path / "original.sqlite3", tmp_path)
    restored = environment(tmp_path / "restored.sqlite3", tmp_path)
    manage(original, "migrate", "-v0")
    manage(original, "load_reference_data", "-v0")
    manage(original, "collectstatic", "--noinput", "-v0")
    manage(original, "shell", "-v0", "-c", EDIT)
    out = manage(original, "backup_content", "--output-dir", str(tmp_path / "backups"))
    dump = Path(out.stdout.strip().split("Wrote ", 1)[1])
    assert dump.exists() and dump.name.endswith(".json.gz")

    manage(restored, "migrate", "-v0")
    manage(restored, "restore_content", str(dump))

    before = manage(original, "shell", "-v0", "-c", PAGES).stdout.splitlines()
    after = manage(restored, "shell", "-v0", "-c", PAGES).stdout.splitlines()
    assert len(before) == 38 and before == after
    check = "from codes.models import CodeProcedure as C;print(C.objects.get(code='64868').summary)"
    assert (
        manage(restored, "shell", "-v0", "-c", check).stdout.strip() == "Edited before the backup."
    )
    search = (
        "from codes.models import CodeProcedure as C\n"
        "from codes.search.matching import search_codes\n"
        "print([c.code for c in search_codes(C.objects.all(), 'tongue nerve').queryset])"
    )
    assert manage(restored, "shell", "-v0", "-c", search).stdout.strip() == "['64868']"


def test_restore_refuses_a_database_that_holds_codes(tmp_path):
    env = environment(tmp_path / "busy.sqlite3", tmp_path)
    manage(env, "migrate", "-v0")
    manage(env, "load_reference_data", "-v0")
    out = manage(env, "backup_content", "--output-dir", str(tmp_path / "b"))
    dump = out.stdout.strip().split("Wrote ", 1)[1]
    result = subprocess.run(
        [sys.executable, "manage.py", "restore_content", dump],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode != 0 and "already holds 38 codes" in result.stderr


def test_a_backup_is_readable_by_its_owner_only(tmp_path):
    env = environment(tmp_path / "private.sqlite3", tmp_path)
    manage(env, "migrate", "-v0")
    out = manage(env, "backup_content", "--output-dir", str(tmp_path / "b"))
    dump = Path(out.stdout.strip().split("Wrote ", 1)[1])
    assert dump.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "b").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "private.sqlite3").stat().st_mode & 0o777 == 0o600


def test_restore_refuses_a_database_with_accounts_unless_told_to_replace_them(tmp_path):
    source = environment(tmp_path / "source.sqlite3", tmp_path)
    manage(source, "migrate", "-v0")
    manage(source, "load_reference_data", "-v0")
    out = manage(source, "backup_content", "--output-dir", str(tmp_path / "b"))
    dump = out.stdout.strip().split("Wrote ", 1)[1]

    target = environment(tmp_path / "target.sqlite3", tmp_path)
    manage(target, "migrate", "-v0")
    create = "from django.contrib.auth.models import User; User.objects.create_user('admin')"
    manage(target, "shell", "-v0", "-c", create)
    refused = subprocess.run(
        [sys.executable, "manage.py", "restore_content", dump],
        cwd=ROOT, env=target, capture_output=True, text=True,
    )  # fmt: skip
    assert refused.returncode != 0 and "already holds 1 accounts" in refused.stderr
    assert "--replace" in refused.stderr

    manage(target, "restore_content", "--replace", dump)
    count = "from codes.models import CodeProcedure as C; from django.contrib.auth.models import User; print(C.objects.count(), User.objects.filter(username='admin').exists())"  # noqa: E501
    assert manage(target, "shell", "-v0", "-c", count).stdout.split() == ["38", "False"]


def test_make_restore_takes_a_file_name_holding_quotes_as_a_name(tmp_path):
    marker = tmp_path / "ran"
    name = f'x"; touch {marker}; echo "$(touch {marker}) `touch {marker}`\'.json.gz'
    env = environment(tmp_path / "make.sqlite3", tmp_path)
    result = subprocess.run(
        ["make", "--no-print-directory", "restore", f"FILE={name}"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode != 0 and "No such file" in result.stderr
    assert not marker.exists()
