"""Read-only JSON for a code, with the same rules as its page: published content only (staff
also see drafts), the same code validation, and the same 404s."""

from django.http import JsonResponse
from django.views.decorators.http import require_safe

from codes.models import is_cpt_code
from codes.views.browse import visible_codes


def iso(date):
    return date.isoformat() if date else None


def code_json(procedure, request):
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
        # null where we have not verified the fact.
        "global_period": procedure.global_period or None,
        "work_rvu": str(procedure.work_rvu) if procedure.work_rvu is not None else None,
        "work_rvu_year": procedure.work_rvu_year,
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
    return JsonResponse(code_json(procedure, request))
