from django.conf import settings


def site(request):
    """Give every template the site's name and the AMA copyright year."""
    return {
        "site_name": settings.SITE_NAME,
        "cpt_copyright_year": settings.CPT_COPYRIGHT_YEAR,
    }
