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

Then, served as the site runs (`gunicorn --config gunicorn.conf.py`, one worker): seven
pages, every note of tests/casecheck/notes/ and --runs checks of the long note over HTTP,
and the resident memory of the web worker and of the case check's reader process (the one
process that loads spaCy: codes/casecheck/reader.py).
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from cms_import import fresh_database, manage, pages_in_process
from serving import child_pids

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


def process_rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def post_note(base, note):
    request = urllib.request.Request(
        f"{base}/api/check",
        data=json.dumps({"note": note}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def served(env, note, runs):
    """Memory of the worker and of the reader under gunicorn, and the check over HTTP."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "--config", "gunicorn.conf.py",
         "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null"],
        cwd=ROOT, env={**env, "WEB_CONCURRENCY": "1", "ALLOWED_HOSTS": "127.0.0.1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(300):
            try:
                post_note(base, "The ulnar digital nerve was repaired end-to-end.")
                break
            except OSError:  # not listening yet, or the reader still building (503)
                time.sleep(0.1)
        for path in ("/", "/codes/64831/", "/codes/64868/", "/search/?q=graft",
                     "/diagnoses/G51.0/", "/check/", "/codes/"):  # fmt: skip
            urllib.request.urlopen(base + path, timeout=60).read()
        processes = child_pids(server.pid)
        reader = [p for p in processes if b"codes.casecheck.reader" in
                  Path(f"/proc/{p}/cmdline").read_bytes()]  # fmt: skip
        workers = [p for p in processes if p not in reader]
        pages_only = max(process_rss_mb(p) for p in workers)
        for path in sorted(NOTES.glob("*.txt")):
            post_note(base, path.read_text())
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            post_note(base, note)
            timings.append((time.perf_counter() - started) * 1000)
        return {
            "worker_pages": pages_only,
            "worker_checks": max(process_rss_mb(p) for p in workers),
            "reader": sum(process_rss_mb(p) for p in reader),
            "worker_spacy": any("/spacy/" in Path(f"/proc/{p}/maps").read_text() for p in workers),
            "notes": len(list(NOTES.glob("*.txt"))),
            "timings": timings,
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    options = parser.parse_args()
    env = {"DATABASE_URL": f"sqlite:///{DATABASE}", "SECRET_KEY": "bench-only"}
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

    print("\nserving with gunicorn…", file=sys.stderr)
    result = served(env, note, options.runs)
    timings = result["timings"]
    p50, p95 = statistics.median(timings), percentile(timings, 0.95)
    print(
        f"\nServed (gunicorn.conf.py, one worker of 4 threads, its case check reader): "
        f"POST /api/check of the long note over HTTP, {options.runs} runs: p50 {p50:.0f} ms, "
        f"p95 {p95:.0f} ms.\n"
    )
    print("| resident memory (VmRSS) | MB |")
    print("| --- | ---: |")
    print(f"| web worker after 7 pages | {result['worker_pages']:.0f} |")
    checked = f"{result['notes']} notes and {options.runs} long ones"
    print(
        f"| web worker after {checked} (spaCy loaded in it: {result['worker_spacy']}) "
        f"| {result['worker_checks']:.0f} |"
    )
    print(f"| the case check's reader process | {result['reader']:.0f} |")


if __name__ == "__main__":
    main()
