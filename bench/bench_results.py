"""Keeping bench/RESULTS.md: each benchmark owns one `## ` section and replaces it when asked."""

from __future__ import annotations

import datetime
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def replace_section(heading: str, body: list[str]) -> None:
    """Replace (or append) the section `## heading`, stamped with today's date."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    lines = text.rstrip("\n").split("\n")
    start = next((i for i, line in enumerate(lines) if line == f"## {heading}"), None)
    stamp = f"_Measured {datetime.date.today().isoformat()}._"
    section = [f"## {heading}", "", stamp, "", *body]
    if start is None:
        lines += ["", *section]
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        lines[start:end] = [*section, ""]
    RESULTS.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")
