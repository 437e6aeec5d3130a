"""The case check's page (/check/) and its JSON (POST /api/check). The reading and the
rules live in codes/casecheck/; these views only take the note in and show the result.

The note is never stored, cached or logged: the views are never page-cached and answer
with Cache-Control: no-store; the note is a sensitive POST parameter (hidden from Django's
error reports); an unexpected error is logged by its type and place only, never its
message, which could quote the note.
"""

import json
import logging
import traceback

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST

from codes.casecheck import MAX_NOTE_CHARS, NoteRefused, check_note

logger = logging.getLogger(__name__)
FAILED = "The check failed on this note; nothing of it was kept. Please report the time."


def log_failure(error):
    """Log where the check failed, without the exception's message or locals."""
    frames = traceback.extract_tb(error.__traceback__)[-3:]
    place = "; ".join(f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" for frame in frames)
    logger.error("case check failed: %s at %s", type(error).__name__, place)


@sensitive_variables("note", "text")
def run_check(note):
    """(result, message, status): the result, or a message and a 4xx/5xx status."""
    try:
        return check_note(note), "", 200
    except NoteRefused as refused:
        return None, str(refused), refused.status
    except Exception as error:
        log_failure(error)
        return None, FAILED, 500


@never_cache
@sensitive_post_parameters("note")
@require_http_methods(["GET", "HEAD", "POST"])
def check_page(request):
    context = {"max_chars": MAX_NOTE_CHARS, "result": None, "problem": "", "note": ""}
    status = 200
    if request.method == "POST":
        note = request.POST.get("note", "")
        context["result"], context["problem"], status = run_check(note)
        # The note goes back into the form for this answer only; it is never kept.
        context["note"] = note[:MAX_NOTE_CHARS]
    return render(request, "codes/check.html", context, status=status)


@csrf_exempt  # JSON only (a cross-site form cannot send it), and the check changes nothing
@never_cache
@sensitive_post_parameters("note")
@require_POST
def check_json(request):
    if request.content_type != "application/json":
        return JsonResponse(
            {"error": 'Send JSON: {"note": "…"} with Content-Type: application/json.'},
            status=415,
        )
    if len(request.body) > MAX_NOTE_CHARS * 8:
        return JsonResponse(
            {
                "error": NoteRefused(
                    f"The note is longer than {MAX_NOTE_CHARS:,} characters."
                ).args[0]
            },
            status=413,
        )
    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"error": "The body is not valid JSON."}, status=400)
    note = payload.get("note") if isinstance(payload, dict) else None
    if not isinstance(note, str):
        return JsonResponse({"error": 'Give the note as text: {"note": "…"}.'}, status=400)
    result, problem, status = run_check(note)
    if result is None:
        return JsonResponse({"error": problem}, status=status)
    return JsonResponse(result_json(result, request))


def rule_json(rule):
    return rule.as_json()


def proposal_json(proposal):
    return {
        "code": proposal.code,
        "title": proposal.title,
        "units": proposal.units,
        "add_on": proposal.add_on,
        "decided": proposal.decided,
        "for_the_coder": ""
        if proposal.decided
        else (
            proposal.rule.question or proposal.note or "To confirm: rests on an [R] or [X] item."
        ),
        "note": proposal.note,
        "rule": rule_json(proposal.rule),
        "evidence": [e.as_json() for e in proposal.evidence],
    }


def result_json(result, request):
    edits = result.edits
    data = {
        "message": result.message,
        "words": result.words,
        "proposed": [proposal_json(p) for p in result.proposed],
        "add_ons": [proposal_json(p) for p in result.add_ons],
        "missing": [
            {
                "fact": m.fact,
                "leads_to": m.leads_to,
                "rule": rule_json(m.rule),
                "evidence": [e.as_json() for e in m.evidence],
            }
            for m in result.missing
        ],
        "questions": [{"question": q.question, "rule": rule_json(q)} for q in result.questions],
        "refused": [
            {"code": r.code, "reason": r.reason, "rule": rule_json(r.rule)} for r in result.refused
        ],
        "modifiers": [
            {
                "modifier": m.modifier,
                "code": m.code,
                "reason": m.reason,
                "rule": m.rule_id,
                "confidence": m.confidence,
            }
            for m in result.modifiers
        ],
        "out_of_family": None,
        "not_counted": [
            {
                "kind": f.kind.lower(),
                "key": f.key,
                "why": f.why_not,
                "evidence": f.evidence.as_json(),
            }
            for f in result.not_counted
        ],
        "edits": None,
        "diagnoses": {
            "candidates": [
                {
                    "code": c.code,
                    "title": c.title,
                    "status": c.status,
                    "why": c.why,
                    "rule": c.rule,
                    "confidence": c.confidence,
                }
                for c in result.diagnoses.candidates
            ],
            "questions": result.diagnoses.questions,
        }
        if result.diagnoses
        else None,
    }
    if result.out_of_family:
        out = result.out_of_family
        data["out_of_family"] = {
            "rule": rule_json(out.rule),
            "question": out.rule.question,
            "codes_to_weigh": list(out.rule.out_of_family),
            "evidence": [e.as_json() for e in out.evidence],
        }
    if edits is not None:
        data["edits"] = {
            "ptp": [
                {
                    "column_1": p.edit.column_1,
                    "column_2": p.edit.column_2,
                    "modifier_indicator": p.edit.modifier_indicator,
                    "what_to_do": p.what_to_do,
                }
                for p in edits.edits
            ],
            "mue": [
                {
                    "code": entry.code,
                    "units": entry.units,
                    "mue": mue.units if mue else None,
                    "adjudication_indicator": mue.adjudication_indicator if mue else None,
                }
                for entry, mue in edits.units
            ],
            "unit_problems": [p.message for p in edits.unit_problems],
            "add_on_problems": [p.message for p in edits.add_on_problems],
            "releases": sorted(r.label for r in edits.releases.values()),
        }
    return data
