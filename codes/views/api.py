"""Read-only JSON for a code, with the same rules as its page: published content only (staff
also see drafts), the same code validation, and the same 404s."""

import re

from django.http import JsonResponse
from django.views.decorators.http import require_safe

from codes.cms.facts import current_release_and_localities, find_locality, medicare_facts
from codes.cms.payment import is_paid, payments
from codes.models import FeeScheduleRow, is_cpt_code
from codes.views.browse import visible_codes

HCPCS_RE = re.compile(r"^[0-9A-Z]{5}$")
LOCALITY_RE = re.compile(r"^[0-9]{5}-[0-9]{2}$")


def iso(date):
    return date.isoformat() if date else None


def release_json(release, request):
    return {
        "label": release.label,
        "kind": release.kind,
        "released_on": iso(release.released_on),
        "effective_from": iso(release.effective_from),
        "url": request.build_absolute_uri(release.get_absolute_url()),
    }


def medicare_json(facts, request):
    """What CMS's release in effect says about a code, with the release named."""
    if facts.release is None:
        return None
    data = {"release": release_json(facts.release, request), "covered": facts.covered}
    if not facts.covered:
        return data
    row = facts.row
    national = facts.national
    data.update(
        {
            "status": row.status,
            "status_meaning": facts.status_words,
            "global_period": row.global_days,
            "global_period_meaning": facts.global_words,
            "rvus": {
                "work": str(row.work_rvu),
                "facility_pe": str(row.facility_pe_rvu),
                "non_facility_pe": str(row.nonfacility_pe_rvu),
                "malpractice": str(row.mp_rvu),
                "facility_total": str(row.facility_total),
                "non_facility_total": str(row.nonfacility_total),
                "facility_na": row.facility_na,
                "non_facility_na": row.nonfacility_na,
            },
            "conversion_factor": str(row.conversion_factor),
            "national_payment": {
                "facility": str(national["facility"].amount),
                "non_facility": str(national["non_facility"].amount),
            },
            "indicators": [
                {"name": name, "modifiers": list(modifiers), "value": value, "meaning": words}
                for name, modifiers, value, words in facts.policies
            ],
        }
    )
    return data


def code_json(procedure, request, medicare=None):
    def absolute(code):
        return request.build_absolute_uri(code.get_absolute_url())

    return {
        "code": procedure.code,
        "url": absolute(procedure),
        "title": procedure.title,
        "status": procedure.status,
        "effective_date": iso(procedure.effective_date),
        "deleted_date": iso(procedure.deleted_date),
        "replaced_by": (
            procedure.replaced_by.code
            if procedure.replaced_by and procedure.replaced_by.is_published
            else None
        ),
        "editorial_state": procedure.editorial_state,
        "section": {"name": procedure.section.name, "slug": procedure.section.slug},
        "summary": procedure.summary,
        "plain_language": procedure.plain_language,
        "procedure_description": procedure.procedure_description,
        "medical_necessity": procedure.medical_necessity,
        "documentation": procedure.documentation,
        "coding_notes": procedure.coding_notes,
        "is_add_on": procedure.is_add_on,
        # From CMS's release where it covers the code (see "medicare"); null where no
        # source has verified the fact.
        "global_period": (
            medicare.row.global_days
            if medicare and medicare.covered
            else procedure.global_period or None
        ),
        "medicare": medicare_json(medicare, request) if medicare else None,
        "inpatient_only": {
            "status": procedure.inpatient_only,
            "as_of": iso(procedure.inpatient_only_as_of),
            "verified": procedure.inpatient_only_verified,
            "note": procedure.inpatient_only_note,
        },
        "clinical_examples": [
            {"title": example.title, "text": example.text} for example in procedure.examples.all()
        ],
        "modifiers": [
            {"code": item.modifier.code, "name": item.modifier.name, "note": item.note}
            for item in procedure.code_modifiers.all()
        ],
        "specialties": [
            {"name": specialty.name, "slug": specialty.slug}
            for specialty in procedure.specialties.all()
        ],
        "specialties_note": procedure.specialties_note,
        "nerves": [
            {
                "name": nerve.name,
                "slug": nerve.slug,
                "cranial_nerve_number": nerve.cranial_nerve_number,
                "aliases": nerve.alias_list,
            }
            for nerve in procedure.nerves.all()
        ],
        "places_of_service": [
            {"code": place.code, "name": place.name} for place in procedure.places_of_service.all()
        ],
        "places_of_service_note": procedure.places_of_service_note,
        "relations": [
            {
                "type": relation.relation_type,
                "code": relation.to_code.code,
                "title": relation.to_code.title,
                "note": relation.note,
                "verified": relation.is_verified,
            }
            for relation in procedure.relations.all()
        ],
        "sources": [
            {
                "title": source.title,
                "publisher": source.publisher,
                "url": source.url or None,
                "accessed_on": iso(source.accessed_on),
                "supports": source.supports,
                "third_party": source.is_third_party,
            }
            for source in procedure.sources.all()
        ],
        "last_reviewed_on": iso(procedure.last_reviewed_on),
        "updated_at": procedure.updated_at.isoformat(),
    }


@require_safe
def code_detail(request, code):
    if not is_cpt_code(code):
        return JsonResponse(
            {"error": "Not a CPT code: five digits, or four digits then F, T or U."},
            status=404,
        )
    procedure = visible_codes(request).for_detail_page().filter(code=code).first()
    if procedure is None:
        return JsonResponse({"error": f"No code {code} in this reference."}, status=404)
    return JsonResponse(code_json(procedure, request, medicare_facts(code)))


def error(message, status):
    return JsonResponse({"error": message}, status=status)


@require_safe
def fees(request):
    """What Medicare pays for a code, nationally or in a locality, with every input."""
    code = request.GET.get("code", "").strip().upper()
    key = request.GET.get("locality", "").strip()
    if not HCPCS_RE.match(code):
        return error("Give ?code= with a five-character code, e.g. ?code=64868.", 400)
    if key and not LOCALITY_RE.match(key):
        return error("A locality is its MAC and number, e.g. ?locality=10112-00.", 400)
    release, localities = current_release_and_localities()
    if release is None:
        return error("No Medicare fee-schedule release has been imported.", 404)
    row = FeeScheduleRow.objects.for_codes(release, [code]).first()
    if row is None:
        return error(f"CMS's {release.label} release does not list {code}.", 404)
    locality, problem = find_locality(localities, key)
    if problem:
        return error(f"No Medicare locality {key} in this release.", 404)
    amounts = payments(row, locality)
    return JsonResponse(
        {
            "code": code,
            "release": release_json(release, request),
            "status": row.status,
            "paid_under_fee_schedule": is_paid(row),
            "locality": (
                {
                    "id": locality.key,
                    "contractor": locality.contractor,
                    "number": locality.number,
                    "state": locality.state,
                    "name": locality.display_name,
                    "counties": locality.counties,
                }
                if locality
                else None
            ),
            "formula": "(work RVU x work GPCI + PE RVU x PE GPCI + MP RVU x MP GPCI) "
            "x conversion factor; every GPCI is 1 for the national amount",
            "payments": {setting: payment.as_json() for setting, payment in amounts.items()},
        }
    )
