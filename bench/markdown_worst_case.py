"""How long the worst Markdown we know of takes to render (results in docs/reliability.md).

    .venv/bin/python bench/markdown_worst_case.py

Each input is an editor's field at four times the longest Markdown limit (40,000
characters) built to hit a quadratic path in a Markdown parser: nested or unclosed
brackets, unclosed images and links, half-open tags, nested emphasis, backslashes.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cptsite.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")

from codes.rich_text import render_markdown

SIZE = 40_000
CASES = {
    "nested brackets": "[" * (SIZE // 2) + "x" + "]" * (SIZE // 2),
    "unclosed brackets": "[" * SIZE,
    "unclosed images": "![" * (SIZE // 2),
    "unclosed links": "[a](" * (SIZE // 4),
    "half-open tags": "<a " * (SIZE // 3),
    "nested emphasis": "*" * (SIZE // 2) + "a" + "*" * (SIZE // 2),
    "backslashes": "\\" * SIZE,
    "nested lists": "".join("  " * depth + "- a\n" for depth in range(200)),
}


def main():
    worst = 0.0
    for name, text in CASES.items():
        started = time.perf_counter()
        render_markdown.__wrapped__(text)
        seconds = time.perf_counter() - started
        worst = max(worst, seconds)
        print(f"{name:20} {len(text):7,} chars  {seconds * 1000:8.1f} ms")
    print(f"worst: {worst * 1000:.1f} ms")


if __name__ == "__main__":
    main()
