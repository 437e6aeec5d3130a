"""Case check benchmark: a 2,000-word operative note checked end to end, and the memory the
note-reading pipeline adds to a worker.

    .venv/bin/python bench/casecheck.py [--runs 100]

Works on its own SQLite file, var/bench/casecheck.sqlite3 (never the site's database),
created afresh each run: migrate, the reference content, the ICD-10-CM release, the shipped
RVU25D and NCCI July 2024 extracts (what the check reads for add-ons, 69990, modifiers,
edits, MUEs and diagnoses). Then, in
one process, as a worker would be: resident memory after Django has served a page, the time
to build the pipeline and the memory after it, then --runs checks of a synthetic 2,000-word
note through `check_note` and through POST /api/check (the whole request). Markdown on
stdout. Target (issue 18): p95 <= 200 ms; a worker under 150 MB or the reason written down.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from cms_import import fresh_database, manage, pages_in_process

ROOT = Path(__file__).resolve().parents[1]
DATABASE = ROOT / "var" / "bench" / "casecheck.sqlite3"
NOTES = ROOT / "tests" / "casecheck" / "notes"
# Narrative that decides nothing, as long notes carry: history, positioning, closure.
FILLER = (
    "The patient was identified in the holding area and the consent was confirmed. General "
    "anaesthesia was induced without incident and the arm was placed on a hand table. A "
    "tourniquet was applied and inflated after exsanguination. The wound was irrigated with "
    "saline and explored carefully. Haemostasis was obtained with bipolar cautery. The skin "
    "was closed with interrupted sutures and a bulky dressing and splint were applied. "
)


def rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def long_note(words=2_000):
    core = " ".join(
        (NOTES / name).read_text()
        for name in ("digital_direct_microscope.txt", "deep_ulnar_delayed.txt")
    )
    text = core
    while len(text.split()) < words:
        text += " " + FILLER
    return " ".join(text.split()[:words])


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    options = parser.parse_args()
    env = {"DATABASE_URL": f"sqlite:///{DATABASE}", "SECRET_KEY": "bench-only"}
    import os

    env = {**os.environ, **env}
    print("setting up the bench database…", file=sys.stderr)
    fresh_database(env, DATABASE)
    manage("load_icd10cm", "-v0", env=env)
    manage("import_cms_pfs", str(ROOT / "fixtures" / "cms" / "rvu25d"), "-v0", env=env)
    manage("import_cms_edits", str(ROOT / "fixtures" / "cms" / "ncci-2024-07"), "-v0", env=env)

    in_process = pages_in_process(env)
    from django.test import Client

    with in_process:
        client = Client()
        client.get("/codes/64831/")
        client.get("/check/")
        before = rss_mb()
        spacy_loaded = "spacy" in sys.modules
        started = time.perf_counter()
        from codes.casecheck import check_note
        from codes.casecheck.pipeline import get_pipeline

        get_pipeline()
        build_ms = (time.perf_counter() - started) * 1000
        after_build = rss_mb()
        note = long_note()
        result = check_note(note)
        codes = [p.code for p in result.proposed + result.add_ons]
        engine_ms = []
        for _ in range(options.runs):
            started = time.perf_counter()
            check_note(note)
            engine_ms.append((time.perf_counter() - started) * 1000)
        body = json.dumps({"note": note})
        request_ms = []
        for _ in range(options.runs):
            started = time.perf_counter()
            response = client.post("/api/check", body, content_type="application/json")
            request_ms.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        after_checks = rss_mb()

    print(f"Note: {len(note.split()):,} words, {len(note):,} characters; proposed "
          f"{', '.join(codes)}. {options.runs} runs each, after one warm-up.\n")  # fmt: skip
    print("| what | p50 ms | p95 ms | max ms | target |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name, values in (("check_note (read + rules + CMS data)", engine_ms),
                         ("POST /api/check (whole request)", request_ms)):  # fmt: skip
        print(f"| {name} | {statistics.median(values):.0f} | {percentile(values, 0.95):.0f} | "
              f"{max(values):.0f} | p95 ≤ 200 ms |")  # fmt: skip
    print(f"\nPipeline build (first check in a process): {build_ms:.0f} ms.\n")
    print("| worker resident memory | MB |")
    print("| --- | ---: |")
    print(f"| after serving pages, spaCy not loaded (loaded: {spacy_loaded}) | {before:.0f} |")
    print(f"| after building the pipeline | {after_build:.0f} |")
    print(f"| after {2 * options.runs + 1} checks | {after_checks:.0f} |")


if __name__ == "__main__":
    main()
