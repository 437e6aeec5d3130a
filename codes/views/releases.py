"""The imported releases of CMS's files, and what changed in each from the one before."""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from codes.cms.changes import COMPARED_FIELDS, compare, key_text, rows_by_key
from codes.cms.edit_changes import changes_between
from codes.models import FeeScheduleRow, Release, ReleaseKind
from codes.views.browse import visible_codes


def release_rows(release):
    return rows_by_key(
        FeeScheduleRow.objects.filter(release=release).values("hcpcs", "modifier", *COMPARED_FIELDS)
    )


@require_safe
def release_list(request):
    releases = Release.objects.prefetch_related("files").order_by(
        "kind", "-effective_from", "-imported_at"
    )
    current = Release.objects.current()
    return render(request, "codes/release_list.html", {"releases": releases, "current": current})


@require_safe
def release_detail(request, label):
    release = get_object_or_404(Release.objects.prefetch_related("files"), label=label)
    previous = release.previous()
    if release.kind in EDIT_ROWS:
        return edit_release_detail(request, release, previous)
    context = {"release": release, "previous": previous, "row_count": release.fee_rows.count()}
    if previous is not None:
        changes = compare(release_rows(previous), release_rows(release))
        ours = set(visible_codes(request).values_list("code", flat=True))
        mine = changes.only(ours)
        context.update(
            {
                "ours": [
                    {
                        "key": key_text(key),
                        "code": key[0],
                        "what": "added" if key in mine.added else "deleted",
                        "changes": [],
                    }
                    for key in [*mine.added, *mine.deleted]
                ]
                + [
                    {
                        "key": key_text(key),
                        "code": key[0],
                        "what": "changed",
                        "changes": mine.for_code(key),
                    }
                    for key in mine.changed_keys
                ],
                "others": changes.only(
                    {key[0] for key in [*changes.added, *changes.deleted, *changes.changed_keys]}
                    - ours
                ).counts(),
            }
        )
    return render(request, "codes/release_detail.html", context)


# The billing-edit kinds: each release's rows. PTP changes (millions of rows a release) are
# reported by the importer's --dry-run, not computed for a page.
EDIT_ROWS = {
    ReleaseKind.NCCI_PTP: "ptp_edits",
    ReleaseKind.MUE: "mues",
    ReleaseKind.ADD_ON: "add_on_edits",
    ReleaseKind.OPPS: "opps_rows",
}


def edit_release_detail(request, release, previous):
    context = {
        "release": release,
        "previous": previous,
        "row_count": getattr(release, EDIT_ROWS[release.kind]).count(),
        "edit_kind": True,
    }
    if previous is not None and release.kind != ReleaseKind.NCCI_PTP:
        context["edit_changes"] = changes_between(release.kind, previous, release)
    return render(request, "codes/release_detail.html", context)
