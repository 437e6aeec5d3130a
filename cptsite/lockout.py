"""Log-in lockouts an attacker cannot turn against the team.

django-axes counts failed log-ins per user name *and* address together, so mistyped
passwords from a hospital's shared outgoing address lock out only the one name typed, and
wrong passwords for a reviewer's name typed elsewhere never lock the reviewer out at their
own desk. An address that tries many different user names (password spraying) is locked as
a whole (`spraying_locked_until`). Both are lifted by deleting the address's access
attempts: in the admin (Axes → Access attempts) or with `manage.py axes_reset_ip ADDRESS`
(or `axes_reset_username NAME`).
"""

from datetime import timedelta

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone


def cool_off():
    return timedelta(hours=settings.AXES_COOLOFF_TIME)


def recent_attempts(**filters):
    from axes.models import AccessAttempt

    since = timezone.now() - cool_off()
    return AccessAttempt.objects.filter(attempt_time__gte=since, **filters)


def spraying_locked_until(ip_address):
    """When an address that tried too many user names may try again (None: it may now)."""
    attempts = recent_attempts(ip_address=ip_address, failures_since_start__gt=0)
    times = sorted(attempts.values_list("attempt_time", flat=True).distinct())
    names = attempts.values("username").distinct().count()
    if names < settings.LOGIN_SPRAY_USERNAME_LIMIT:
        return None
    # Locked until enough of its names' attempts have aged out of the cool-off window.
    return times[-settings.LOGIN_SPRAY_USERNAME_LIMIT] + cool_off()


def locked_out(request, original_response=None, credentials=None):
    """The page a locked-out person sees (AXES_LOCKOUT_CALLABLE): when to try again."""
    from cptsite.middleware import client_ip

    username = (credentials or {}).get("username", "") or request.POST.get("username", "")
    latest = (
        recent_attempts(ip_address=client_ip(request), username=username)
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    retry_at = (latest or timezone.now()) + cool_off()
    return locked_out_page(request, retry_at)


def locked_out_page(request, retry_at):
    return render(
        request,
        "registration/locked_out.html",
        {"retry_at": timezone.localtime(retry_at)},
        status=429,
    )
