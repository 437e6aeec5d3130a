"""Request ids in every log line, the Permissions-Policy header, private deployments, and
the client address behind a proxy."""

import re
import uuid

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse

from cptsite.logging_context import request_id_var

INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Give each request an id (the proxy's X-Request-ID if it looks sane), log it on every
    line and return it, so a user's report can be matched to the logs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if INCOMING_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class LoginRequiredEverywhereMiddleware:
    """With SITE_REQUIRE_LOGIN, send anyone not logged in to the login page, except for
    the health check, the login page itself, the admin's own login and static files."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.SITE_REQUIRE_LOGIN and not request.user.is_authenticated:
            open_paths = {
                reverse("healthz"),
                reverse("login"),
                reverse("admin:login"),
            }
            if request.path not in open_paths and not request.path.startswith(
                settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/static/"
            ):
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)


class LoginSprayGuardMiddleware:
    """Refuse log-ins from an address that has tried many different user names lately
    (cptsite/lockout.py), with the page that says when to try again."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.path in login_paths():
            from cptsite.lockout import locked_out_page, spraying_locked_until

            retry_at = spraying_locked_until(client_ip(request))
            if retry_at is not None:
                return locked_out_page(request, retry_at)
        return self.get_response(request)


def login_paths():
    return {reverse("login"), reverse("admin:login")}


def client_ip(request):
    """The client's address: REMOTE_ADDR, or behind PROXY_COUNT proxies the address they
    recorded in X-Forwarded-For (never a value the client could set itself)."""
    if settings.PROXY_COUNT:
        hops = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(hops) >= settings.PROXY_COUNT:
            return hops[-settings.PROXY_COUNT]
    return request.META.get("REMOTE_ADDR", "")
