"""Security defaults, login protection, private deployments, errors and logs."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import clear_url_caches

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def test_security_headers_on_every_page(client):
    response = client.get("/codes/64868/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response["Permissions-Policy"]


def test_pages_have_no_inline_script_or_style(client):
    for url in ["/", "/codes/64868/", "/search/?q=nerve", "/compare/?codes=64866,64868"]:
        html = client.get(url).content.decode()
        assert " style=" not in html and "<style" not in html
        for tag in html.split("<script")[1:]:
            opening = tag.split(">", 1)[0]
            assert 'src="/static/' in opening or 'type="application/ld+json"' in opening


def run_settings(**env):
    clean = {"PATH": os.environ["PATH"], "SECRET_KEY": "x" * 50, **env}
    code = "import cptsite.settings as s; print(s.ADMIN_PATH, s.SESSION_COOKIE_AGE)"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )


def test_admin_path_comes_from_configuration():
    assert run_settings(ADMIN_PATH="editors-7f3a/").stdout.split()[0] == "editors-7f3a/"
    bad = run_settings(ADMIN_PATH="/../admin")
    assert bad.returncode != 0 and "ADMIN_PATH" in bad.stderr


def test_admin_is_served_at_the_configured_path(settings, client):
    import cptsite.urls

    settings.ADMIN_PATH = "editors-7f3a/"
    try:
        from importlib import reload

        reload(cptsite.urls)
        clear_url_caches()
        assert client.get("/editors-7f3a/").status_code == 302
        assert client.get("/admin/").status_code == 404
    finally:
        settings.ADMIN_PATH = "admin/"
        reload(cptsite.urls)
        clear_url_caches()


def test_staff_sessions_expire():
    from django.conf import settings

    assert settings.SESSION_COOKIE_AGE <= 12 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


# Login protection --------------------------------------------------------------------------


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(
        "sam", password="correct-horse-battery", is_staff=True
    )


def attempt(client, username, password, address="10.0.0.1"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def test_repeated_failures_lock_that_user_name_from_that_address(staff, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "sam", "wrong").status_code == 200
    assert attempt(client, "sam", "wrong").status_code == 429  # the limit is reached
    locked = attempt(client, "sam", "correct-horse-battery")
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "Too many failed log-ins" in html and "Try again after" in html


def test_wrong_passwords_from_elsewhere_never_lock_a_user_out_at_their_desk(staff, settings):
    client = Client()
    for number in range(settings.AXES_FAILURE_LIMIT * 2):
        attempt(client, "sam", "wrong", address=f"10.0.1.{number % 2}")
    response = attempt(client, "sam", "correct-horse-battery", address="10.0.2.1")
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_a_colleagues_typos_behind_a_shared_address_lock_out_only_their_name(
    staff, settings, django_user_model
):
    django_user_model.objects.create_user("kim", password="kims-own-password", is_staff=True)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "kim", "typo")  # the same hospital address as sam
    assert attempt(client, "sam", "correct-horse-battery").status_code == 302


def test_an_address_trying_many_user_names_is_paused_and_an_administrator_lifts_it(staff, settings):
    from django.core.management import call_command

    client = Client()
    for number in range(settings.LOGIN_SPRAY_USERNAME_LIMIT):
        attempt(client, f"guess{number}", "wrong", address="10.9.9.9")
    locked = attempt(client, "sam", "correct-horse-battery", address="10.9.9.9")
    assert locked.status_code == 429 and "Try again after" in locked.content.decode()
    assert attempt(client, "sam", "correct-horse-battery", address="10.0.0.5").status_code == 302
    call_command("axes_reset_ip", "10.9.9.9", verbosity=0)
    assert attempt(Client(), "sam", "correct-horse-battery", address="10.9.9.9").status_code == 302


def test_a_correct_password_before_the_limit_logs_in(staff):
    client = Client()
    attempt(client, "sam", "wrong")
    response = attempt(client, "sam", "correct-horse-battery")
    assert response.status_code == 302 and response["Location"] == "/admin/"


# Private deployments -------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/codes/64868/", "/search/?q=nerve", "/api/codes/64868",
                                 "/sitemap.xml", "/admin/codes/codeprocedure/"])  # fmt: skip
def test_private_deployment_requires_login_everywhere(client, settings, url):
    settings.SITE_REQUIRE_LOGIN = True
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_private_deployment_keeps_healthz_and_login_open(client, settings, django_user_model):
    settings.SITE_REQUIRE_LOGIN = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 200
    django_user_model.objects.create_user("coder", password="a-long-coder-password")
    response = client.post(
        "/accounts/login/",
        {"username": "coder", "password": "a-long-coder-password", "next": "/codes/64868/"},
        REMOTE_ADDR="10.9.9.9",
    )
    assert response.status_code == 302 and response["Location"] == "/codes/64868/"
    assert client.get("/codes/64868/").status_code == 200


# Errors and logs -----------------------------------------------------------------------------


def test_every_response_carries_a_request_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    assert len(first) == 32
    given = client.get("/healthz", headers={"X-Request-ID": "proxy-id-12345"})
    assert given["X-Request-ID"] == "proxy-id-12345"
    forged = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert forged["X-Request-ID"] != "<script>"


def test_a_500_shows_our_page_and_logs_the_traceback_with_the_request_id(
    client, monkeypatch, caplog
):
    from codes.views import browse

    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(browse.CodeProcedure.objects, "visible_to", broken)
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get("/codes/64868/", headers={"X-Request-ID": "trace-me-123"})
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert "secret internal detail" not in html and "Traceback" not in html
    record = next(r for r in caplog.records if r.name == "django.request")
    assert record.exc_info and "secret internal detail" in str(record.exc_info[1])
    assert record.request_id == "trace-me-123"


@pytest.mark.parametrize(
    ("url", "status", "text"),
    [
        ("/nope/", 404, "Page not found"),
        ("/admin/codes/codeprocedure/", 302, ""),
    ],
)
def test_error_pages_leak_nothing(client, url, status, text):
    response = client.get(url)
    assert response.status_code == status
    assert text in response.content.decode()
    assert "Traceback" not in response.content.decode()


def test_bad_host_gets_our_400_page():
    client = Client(HTTP_HOST="evil.example")
    client.raise_request_exception = False
    response = client.get("/")
    assert response.status_code == 400
    assert "We could not understand that request" in response.content.decode()


def test_csrf_failure_gets_a_clear_page():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "The form has expired" in response.content.decode()
